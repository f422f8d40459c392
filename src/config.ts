/**
 * Reading flag and environment values for the CLI: ports, counts, extension
 * ranges, `NAME:SECRET` accounts and manager.conf-style users files. Each
 * parser throws {@linkcode InvalidArgumentError} with a message that says
 * what is expected, which commander turns into a usage error (exit 2).
 *
 * @module
 */

import { ASTERISK_MAJORS, type AsteriskMajor } from "./ami/versions.ts";
import { InvalidArgumentError } from "commander";
import type { AmiUser } from "./ami/server.ts";

/** A TCP port, 0 to 65535 (0: any free port). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw new InvalidArgumentError(`"${value}" is not a port number (0 to 65535).`);
  }
  return port;
}

/** An http(s) URL without a path, query or fragment: where browsers reach the proxy. */
export function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError(
      `"${value}" is not a URL: give one like https://console.example.com`,
    );
  }
  if (
    !["http:", "https:"].includes(url.protocol) || url.pathname !== "/" || url.search || url.hash
  ) {
    throw new InvalidArgumentError(
      `"${value}" must be an http(s) URL with no path, query or fragment, like https://console.example.com`,
    );
  }
  return url.origin;
}

/** A whole number ≥ 0. */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 0.`);
  }
  return Number(value);
}

/** A number ≥ 0 (decimals allowed). */
export function parseRate(value: string): number {
  const rate = Number(value);
  if (value.trim() === "" || !Number.isFinite(rate) || rate < 0) {
    throw new InvalidArgumentError(`"${value}" is not a number ≥ 0.`);
  }
  return rate;
}

/** `11`, `13`, `16`, `18`, `20` or `22`: an Asterisk major mock-ami can answer as. */
export function parseAsterisk(value: string): AsteriskMajor {
  const major = ASTERISK_MAJORS.find((m) => String(m) === value.trim());
  if (major === undefined) {
    throw new InvalidArgumentError(
      `"${value}" is not an Asterisk version mock-ami speaks: one of ${
        ASTERISK_MAJORS.join(", ")
      } (the major only; "asterisk -V" on the PBX tells which it runs).`,
    );
  }
  return major;
}

/** `201-210`, `201,202,300-305`: extension numbers, in order, without repeats. */
export function parseExtensions(value: string): string[] {
  const extensions: string[] = [];
  for (const part of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const range = part.match(/^(\d+)-(\d+)$/);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from || to - from > 10_000) {
        throw new InvalidArgumentError(`"${part}" is not a range like 201-210.`);
      }
      for (let n = from; n <= to; n++) extensions.push(String(n));
    } else if (/^\d+$/.test(part)) {
      extensions.push(part);
    } else {
      throw new InvalidArgumentError(
        `"${part}" is not an extension number or a range like 201-210.`,
      );
    }
  }
  if (extensions.length === 0) {
    throw new InvalidArgumentError("Give at least one extension, e.g. 201-210.");
  }
  return [...new Set(extensions)];
}

/** `NAME:SECRET` → an account with every permission class. */
export function parseUserSpec(value: string): AmiUser {
  const colon = value.indexOf(":");
  const username = value.slice(0, colon);
  const secret = value.slice(colon + 1);
  if (colon < 1 || secret === "" || /[\s\r\n]/.test(username)) {
    throw new InvalidArgumentError(`"${value.replace(/:.*/, ":…")}" is not NAME:SECRET.`);
  }
  return { username, secret, read: ["all"], write: ["all"] };
}

/** Collects a repeatable option into a list. */
export function collect<T>(
  parse: (value: string) => T,
): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}

/**
 * Reads AMI accounts from manager.conf syntax: a `[name]` section per user
 * with `secret`, `read` and `write` (class lists); `[general]`, `permit`,
 * `deny` and comments are ignored.
 */
export function parseUsersFile(text: string, source = "users file"): AmiUser[] {
  const users: AmiUser[] = [];
  let current: AmiUser | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/;.*$/, "").trim();
    if (line === "") return;
    const section = line.match(/^\[([^\]]+)\]/);
    if (section) {
      current = section[1] === "general"
        ? undefined
        : { username: section[1], secret: "", read: [], write: [] };
      if (current) users.push(current);
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      throw new Error(
        `${source}:${index + 1}: expected "key = value" or "[user]", got "${raw.trim()}"`,
      );
    }
    if (!current) return;
    const key = line.slice(0, eq).replace(/>$/, "").trim().toLowerCase();
    const value = line.slice(eq + 1).replace(/^>/, "").trim();
    if (key === "secret") current.secret = value;
    else if (key === "read") current.read = value.split(",").map((c) => c.trim()).filter(Boolean);
    else if (key === "write") current.write = value.split(",").map((c) => c.trim()).filter(Boolean);
  });
  const missing = users.find((u) => u.secret === "");
  if (missing) throw new Error(`${source}: user [${missing.username}] has no secret`);
  return users;
}

/** A lifetime in seconds: `90`, `90s`, `15m`, `8h`, `7d`. */
export function parseLifetime(value: string): number {
  const match = value.trim().match(/^(\d+)\s*([smhd]?)$/);
  const seconds = match
    ? Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2]]!
    : 0;
  if (!match || seconds <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a lifetime like 3600, 15m, 8h or 7d.`);
  }
  return seconds;
}
