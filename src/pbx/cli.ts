/**
 * The Asterisk CLI commands mock-ami answers through the Command action,
 * with the output lines of the simulated version (see the `18-command`
 * captures: 13 and 16 cut `core show channels` names at 20 characters).
 *
 * @module
 */

import type { Pbx } from "./pbx.ts";

/** Output of a CLI command, or `undefined` for an unknown command. */
export function runCliCommand(pbx: Pbx, command: string): string[] | undefined {
  const words = command.trim().split(/\s+/);
  const line = words.join(" ").toLowerCase();
  if (line === "core show version") {
    const built = new Date(pbx.startedAt).toISOString().replace("T", " ").slice(0, 19);
    return [
      `Asterisk ${pbx.profile.version} built by astrix @ mock-ami on a x86_64 running Linux on ${built} UTC`,
    ];
  }
  if (line === "core show uptime" || line === "core show uptime seconds") {
    const seconds = Math.floor((pbx.clock.now() - pbx.startedAt) / 1000);
    if (line.endsWith("seconds")) return [`System uptime: ${seconds}`, `Last reload: ${seconds}`];
    return [`System uptime: ${spell(seconds)}`, `Last reload: ${spell(seconds)}`];
  }
  if (line === "core show channels") return showChannels(pbx);
  if (line === "core show channels concise") return concise(pbx);
  if (line === "core show calls") {
    return [`${activeCalls(pbx)} active call${activeCalls(pbx) === 1 ? "" : "s"}`, processed(pbx)];
  }
  return undefined;
}

/** The message Asterisk gives for an unknown command. */
export function noSuchCommand(command: string): string {
  const words = command.trim().split(/\s+/);
  return `No such command '${command.trim()}' (type 'core show help ${
    words.slice(0, -1).join(" ")
  }' for other possible commands)`;
}

function showChannels(pbx: Pbx): string[] {
  const [channel, location] = pbx.profile.cliNarrowChannels ? [20, 20] : [64, 32];
  const row = (a: string, b: string, c: string, d: string) =>
    `${fit(a, channel)} ${fit(b, location)} ${fit(c, 7)} ${fit(d, 30)}`;
  const lines = [row("Channel", "Location", "State", "Application(Data)")];
  for (const c of pbx.channels) {
    lines.push(
      row(
        c.name,
        `${c.exten}@${c.context}:${c.priority}`,
        c.stateDesc,
        `${c.running.application}(${c.running.data})`,
      ),
    );
  }
  const channels = pbx.channels.length;
  lines.push(
    `${channels} active channel${channels === 1 ? "" : "s"}`,
    `${activeCalls(pbx)} active call${activeCalls(pbx) === 1 ? "" : "s"}`,
    processed(pbx),
  );
  return lines;
}

/** `%-N.Ns`: padded, and cut, to `width`. */
function fit(text: string, width: number): string {
  return text.padEnd(width).slice(0, width);
}

function concise(pbx: Pbx): string[] {
  const now = pbx.clock.now();
  return pbx.channels.map((c) => {
    const seconds = Math.floor((now - c.createdAt) / 1000);
    const peer = c.bridgedWith?.name ?? "";
    return [
      c.name,
      c.context,
      c.exten,
      c.priority,
      c.stateDesc,
      c.running.application,
      c.running.data,
      c.callerIdNum === "<unknown>" ? "" : c.callerIdNum,
      c.accountCode,
      peer,
      3,
      seconds,
      c.bridge?.id ?? "",
      c.uniqueid,
    ].join("!");
  });
}

/** Active calls, as Asterisk counts them: channels running dialplan. */
function activeCalls(pbx: Pbx): number {
  return pbx.channels.filter((c) => c.inDialplan).length;
}

function processed(pbx: Pbx): string {
  return `${pbx.processedCalls} call${pbx.processedCalls === 1 ? "" : "s"} processed`;
}

function spell(total: number): string {
  const parts: string[] = [];
  const units: [string, number][] = [["day", 86_400], ["hour", 3_600], ["minute", 60], [
    "second",
    1,
  ]];
  let rest = total;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (name === "second" && parts.length === 0)) {
      parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
    }
  }
  return parts.join(", ");
}
