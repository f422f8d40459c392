/**
 * The live-call board's state: the channels `GET /ami/channels` listed,
 * kept current by the AMI events of the stream (Newchannel, Newstate,
 * NewCallerid, NewConnectedLine, Newexten, Rename, Hangup), keyed by PBX
 * and Uniqueid (two PBXs may number their calls alike). Each event costs one map lookup, so a board of a thousand
 * calls follows a hundred events a second without re-reading the list.
 * Durations tick from each channel's start, known from the list's
 * `durationSeconds` or the time its Newchannel arrived.
 *
 * @module
 */

import type { Channel } from "./api.ts";
import type { AmiEventData } from "./live.ts";

/** A channel on the board: the API's fields and when it started (ms since the epoch). */
export interface BoardChannel extends Channel {
  startedAtMs: number;
}

/** The channels of the board. */
export class ChannelBoard {
  readonly #byId = new Map<string, BoardChannel>();
  /** Bumped on every change, for views to know when to draw again. */
  version = 0;

  /** Replaces everything with the list the API answered at `nowMs`. */
  load(channels: readonly Channel[], nowMs: number): void {
    this.#byId.clear();
    for (const channel of channels) {
      this.#byId.set(keyOf(channel), {
        ...channel,
        startedAtMs: nowMs - (channel.durationSeconds ?? 0) * 1000,
      });
    }
    this.version++;
  }

  /** Applies one AMI event received at `nowMs`; true when the board changed. */
  apply(event: AmiEventData, nowMs: number): boolean {
    const id = header(event, "Uniqueid");
    const pbx = header(event, "pbx");
    if (!id || !pbx) return false;
    const key = callKey(pbx, id);
    const known = this.#byId.get(key);
    switch (event.event) {
      case "Newchannel":
        this.#byId.set(key, {
          pbx,
          channel: header(event, "Channel") ?? id,
          state: header(event, "ChannelStateDesc") ?? "Unknown",
          callerIdNum: header(event, "CallerIDNum"),
          callerIdName: header(event, "CallerIDName"),
          connectedLineNum: header(event, "ConnectedLineNum"),
          application: null,
          durationSeconds: 0,
          uniqueId: id,
          linkedId: header(event, "Linkedid"),
          startedAtMs: nowMs,
        });
        break;
      case "Hangup":
        if (!this.#byId.delete(key)) return false;
        break;
      case "Newstate":
      case "NewCallerid":
      case "NewConnectedLine":
        if (
          !known || !update(known, {
            state: header(event, "ChannelStateDesc"),
            callerIdNum: header(event, "CallerIDNum"),
            callerIdName: header(event, "CallerIDName"),
            connectedLineNum: header(event, "ConnectedLineNum"),
          })
        ) return false;
        break;
      case "Newexten":
        if (!known || !update(known, { application: header(event, "Application") })) return false;
        break;
      case "Rename":
        if (!known || !update(known, { channel: header(event, "Newname") })) return false;
        break;
      default:
        return false;
    }
    this.version++;
    return true;
  }

  /** The channels, longest-running first. */
  list(): BoardChannel[] {
    return [...this.#byId.values()].sort((a, b) => a.startedAtMs - b.startedAtMs);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The PBXs the board's channels are on, in order. */
  pbxs(): string[] {
    return [...new Set([...this.#byId.values()].map((channel) => channel.pbx))].sort();
  }
}

/** A channel's key on the board: its PBX and its Uniqueid (or name) there. */
function keyOf(channel: Channel): string {
  return callKey(channel.pbx, channel.uniqueId ?? channel.channel);
}

function callKey(pbx: string, id: string): string {
  return `${pbx}\n${id}`;
}

type TextField =
  | "channel"
  | "state"
  | "callerIdNum"
  | "callerIdName"
  | "connectedLineNum"
  | "application";

/** Sets each field of `row` that `fields` gives a value; true when one of them changed. */
function update(row: BoardChannel, fields: Partial<Record<TextField, string | null>>): boolean {
  let changed = false;
  for (const field of Object.keys(fields) as TextField[]) {
    const value = fields[field];
    if (value == null || row[field] === value) continue;
    row[field] = value;
    changed = true;
  }
  return changed;
}

/** A header's value; AMI's `<unknown>` and empty values are none. */
function header(event: AmiEventData, name: string): string | null {
  const value = event[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text !== "<unknown>" ? text : null;
}
