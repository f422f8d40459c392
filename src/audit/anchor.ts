/**
 * Where the audit chain starts (its first row's id and hash), recorded in a
 * file beside the key, `<key file>.anchor`, written once (mode 0600) when
 * the chain starts. Whoever can write the database but not the key's folder
 * cannot move it: stripping every hash, or re-starting the chain on top of
 * edited rows, leaves a database whose chain does not start where this file
 * says. One key anchors one chain: proxies that share a database share its
 * key, and so its anchor.
 *
 * @example
 * ```ts
 * import { anchorFile, readAnchor, recordAnchor } from "./anchor.ts";
 *
 * const file = anchorFile("/etc/astrix/audit.key"); // "/etc/astrix/audit.key.anchor"
 * recordAnchor(file, { id: 1, hash: "59901d2d…" }); // once; again with the same start is a no-op
 * readAnchor(file); // { id: 1, hash: "59901d2d…" }, or undefined if the chain has not started
 * ```
 *
 * @module
 */

import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { AuditAnchorError, AuditUnavailableError } from "./errors.ts";
import { loadKey } from "./key.ts";

/** A chained row named by its id and hash: the chain's start, or its head. */
export interface ChainPoint {
  id: number;
  hash: string;
}

/** The anchor file of a key file: beside it, `<key file>.anchor`. */
export function anchorFile(keyFile: string): string {
  return `${keyFile}.anchor`;
}

/** `ID:HASH`, as the anchor file and `--head` write a chain point. */
export function formatPoint(point: ChainPoint): string {
  return `${point.id}:${point.hash}`;
}

/** Reads `ID:HASH`; undefined if it is not one. */
export function parsePoint(text: string): ChainPoint | undefined {
  const match = text.trim().match(/^(\d{1,16}):([0-9a-f]{64})$/i);
  if (!match || !Number.isSafeInteger(Number(match[1]))) return undefined;
  return { id: Number(match[1]), hash: match[2].toLowerCase() };
}

/** The recorded chain start, or undefined if there is no anchor file (the chain has not started). */
export function readAnchor(path: string): ChainPoint | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new AuditAnchorError(
      `Cannot read ${path}, where the audit chain's start is recorded: ${
        (error as Error).message
      }. ` +
        "Give the proxy's user (and auditors) read access to it, beside the key file",
      { cause: error },
    );
  }
  const point = parsePoint(text);
  if (!point) {
    throw new AuditAnchorError(
      `${path} does not record an audit chain start (ID:HASH): someone changed it. ` +
        "Restore it from a backup of the key's folder",
    );
  }
  return point;
}

/**
 * Throws {@linkcode AuditAnchorError} unless the anchor file could be
 * created: checked when the proxy starts, rather than when its first row is
 * already written, by creating (and removing) a file where it goes, which
 * holds for any user, root included.
 */
export function assertCanRecord(path: string): void {
  const probe = stagingName(path);
  try {
    writeFileSync(probe, "", { mode: 0o600, flag: "wx" });
    rmSync(probe, { force: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "EACCES" || code === "EPERM" || code === "EROFS"
      ? `${dirname(path)} is not writable by this user`
      : code === "ENOENT"
      ? `${dirname(path)} does not exist`
      : `${dirname(path)} could not be checked (${(error as Error).message})`;
    throw new AuditAnchorError(
      `Cannot record where the audit chain starts in ${path}: ${why}. ` +
        "Let the proxy's user create that file once, beside the key file",
      { cause: error },
    );
  }
}

/**
 * Records `start` once: written whole under a private name, then linked into
 * place, so that it is never half-written and never replaced. Recording the
 * start already recorded is a no-op; another start throws
 * {@linkcode AuditAnchorError} (one key anchors one chain).
 */
export function recordAnchor(path: string, start: ChainPoint): void {
  const staging = stagingName(path);
  try {
    writeFileSync(staging, formatPoint(start) + "\n", { mode: 0o600, flag: "wx" });
    linkSync(staging, path);
  } catch (error) {
    if (!existsSync(path)) {
      throw new AuditAnchorError(
        `Cannot record where the audit chain starts in ${path}: ${(error as Error).message}. ` +
          "The proxy's user must be able to create that file once, beside the key file",
        { cause: error },
      );
    }
  } finally {
    rmSync(staging, { force: true });
  }
  const recorded = readAnchor(path)!;
  if (recorded.id !== start.id || recorded.hash !== start.hash) {
    throw new AuditAnchorError(
      `${path} records another chain start (${formatPoint(recorded)}) than this database's ` +
        `(${formatPoint(start)}): one key anchors one chain; give this database its own key file`,
    );
  }
}

/** A private name beside `path`, for a file written whole before it is linked into place. */
function stagingName(path: string): string {
  return `${path}.${crypto.randomUUID()}.tmp`;
}

/** A writer's key, its anchor file, and the chain start recorded there (if any). */
export interface WriterKey {
  key: Uint8Array;
  anchor: string;
  recorded?: ChainPoint;
}

/**
 * Loads (creating if absent) the key a writer hashes with, and reads the
 * chain start recorded beside it; throws {@linkcode AuditUnavailableError}
 * if either cannot be read, or if no start is recorded and none could be.
 */
export function writerKey(keyFile: string): WriterKey {
  const anchor = anchorFile(keyFile);
  try {
    const key = loadKey(keyFile, { create: true });
    const recorded = readAnchor(anchor);
    if (!recorded) assertCanRecord(anchor);
    return { key, anchor, recorded };
  } catch (error) {
    throw new AuditUnavailableError((error as Error).message, { cause: error });
  }
}

/**
 * Records where a chain started, once its first row is committed (`database`: how messages
 * name it); throws {@linkcode AuditUnavailableError} if it could not be recorded.
 */
export function recordChainStart(anchor: string, start: ChainPoint, database: string): void {
  try {
    recordAnchor(anchor, start);
  } catch (error) {
    throw new AuditUnavailableError(
      `The audit chain of ${database} started at row ${start.id}, which is written, but its ` +
        `start could not be recorded: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Why a chain may not start now, given what the tampering checks found and the start recorded
 * beside the key: a recorded start means the chain had started before, and is gone.
 */
export function startRefusal(
  tampering: string | undefined,
  recorded: ChainPoint | undefined,
): string | undefined {
  return tampering ??
    (recorded ? `the chain that started at row ${recorded.id} is gone` : undefined);
}
