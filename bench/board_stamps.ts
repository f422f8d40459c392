/**
 * The visible changes the console's board makes for AMI events, as keys that
 * bench/console_load.ts's three observers of one event agree on: its own AMI
 * session of mock-ami (the event entering the proxy), a bare reader of the
 * proxy's `GET /ami/events`, and the board's DOM in Chromium
 * (bench/console_page.ts). A key is `add <channel>` (Newchannel: a row
 * appears), `remove <channel>` (Hangup: it goes) or `state <channel> <state>`
 * (the second cell changes: Newstate, or NewCallerid / NewConnectedLine
 * carrying a new ChannelStateDesc); each observer stamps the first time it
 * sees each key. Channel names carry a sequence number, so a key happens once.
 *
 * @example
 * ```ts
 * import { BoardStamps, latencies } from "./board_stamps.ts";
 *
 * const entry = new BoardStamps();
 * const dom = new BoardStamps();
 * const channel = (name: string) => (header: string) => header === "Channel" ? name : "Ring";
 * entry.record("Newchannel", channel("SIP/201-00000001"), 1000);
 * dom.stamp("add SIP/201-00000001", 1012);
 * latencies(entry, dom, 0, 2000).delays; // [12]
 * ```
 */

/** The AMI events `ChannelBoard.apply` acts on (console/channels.ts). */
export const BOARD_EVENTS: ReadonlySet<string> = new Set([
  "Newchannel",
  "Hangup",
  "Newstate",
  "NewCallerid",
  "NewConnectedLine",
  "Newexten",
  "Rename",
]);

/** Events whose ChannelStateDesc the board shows (console/channels.ts `update`). */
const STATE_EVENTS: ReadonlySet<string> = new Set(["Newstate", "NewCallerid", "NewConnectedLine"]);

/** One observer's stamps: the first time it saw each key, in ms since the epoch. */
export class BoardStamps {
  readonly #at = new Map<string, number>();
  /** The state each live channel shows, as this observer followed it. */
  readonly #states = new Map<string, string>();

  /** Stamps the key an AMI event makes (if any) at `at`; `get` reads one of its headers. */
  record(name: string, get: (header: string) => string | undefined, at: number): void {
    const channel = get("Channel");
    if (channel === undefined) return;
    if (name === "Newchannel") {
      this.#states.set(channel, get("ChannelStateDesc") ?? "");
      this.stamp(`add ${channel}`, at);
    } else if (name === "Hangup") {
      if (this.#states.delete(channel)) this.stamp(`remove ${channel}`, at);
    } else if (STATE_EVENTS.has(name)) {
      const state = get("ChannelStateDesc");
      if (!state || state === "<unknown>" || !this.#states.has(channel)) return;
      if (this.#states.get(channel) === state) return;
      this.#states.set(channel, state);
      this.stamp(`state ${channel} ${state}`, at);
    }
  }

  /** Stamps `key` at `at` unless it was seen before. */
  stamp(key: string, at: number): void {
    if (!this.#at.has(key)) this.#at.set(key, at);
  }

  get(key: string): number | undefined {
    return this.#at.get(key);
  }

  /** The keys first seen from `from` (inclusive) to `to`, with their times. */
  *between(from: number, to: number): Iterable<[string, number]> {
    for (const [key, at] of this.#at) if (at >= from && at < to) yield [key, at];
  }
}

/** Delays from `entry`'s stamps between `from` and `to` to `seen`'s stamps of the same keys. */
export function latencies(
  entry: BoardStamps,
  seen: BoardStamps,
  from: number,
  to: number,
): { delays: number[]; keys: number; unseen: number } {
  const delays: number[] = [];
  let keys = 0;
  for (const [key, at] of entry.between(from, to)) {
    keys++;
    const later = seen.get(key);
    if (later !== undefined) delays.push(later - at);
  }
  return { delays, keys, unseen: keys - delays.length };
}

/** The `p`-th percentile (0 to 100, nearest rank) of `values`; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One SSE stream's frames as they arrive: calls `onAmi` with each `ami` event's data. */
export class AmiFrames {
  readonly #decoder = new TextDecoder();
  #tail = "";

  constructor(readonly onAmi: (data: Record<string, string | string[]>) => void) {}

  /** Parses `chunk`; returns how many `ami` events it completed. */
  push(chunk: Uint8Array): number {
    const frames = (this.#tail + this.#decoder.decode(chunk, { stream: true })).split("\n\n");
    this.#tail = frames.pop()!;
    let count = 0;
    for (const frame of frames) {
      if (!frame.includes("\nevent: ami\n") && !frame.startsWith("event: ami\n")) continue;
      const start = frame.indexOf("\ndata: ") + 7;
      const end = frame.indexOf("\n", start);
      this.onAmi(JSON.parse(frame.slice(start, end < 0 ? undefined : end)));
      count++;
    }
    return count;
  }
}

/** A header of an event as the stream relays it: the first value of a repeated one. */
export function streamHeader(data: Record<string, string | string[]>, header: string) {
  const value = data[header];
  return Array.isArray(value) ? value[0] : value;
}
