/**
 * A simulated channel: the state Asterisk reports in its channel snapshot
 * block (the 14 headers every channel event starts with) plus what the
 * simulation needs to run it.
 *
 * @module
 */

import type { AmiHeader } from "../ami/message.ts";
import type { Cancel } from "./clock.ts";
import type { Bridge } from "./events.ts";

/** Channel states (`ChannelState`) and their `ChannelStateDesc`. */
export const STATE = { Down: 0, Ring: 4, Ringing: 5, Up: 6, Busy: 7 } as const;
const STATE_DESC: Record<number, string> = {
  0: "Down",
  1: "Rsrvd",
  2: "OffHook",
  3: "Dialing",
  4: "Ring",
  5: "Ringing",
  6: "Up",
  7: "Busy",
};

/** Where a channel came from, which decides how it hangs up. */
export type ChannelRole =
  | "local1" // the `;1` half of a Local channel: the originated side
  | "local2" // the `;2` half: runs the dialplan of the Local's exten@context
  | "endpoint"; // a phone or trunk leg (SIP/..., PJSIP/...)

/** What a channel is running, for CoreShowChannels and Command output. */
export interface Running {
  application: string;
  data: string;
  /** Stops the application early (hangup); the application then ends silently. */
  stop?: Cancel;
}

/** One simulated channel. */
export class Channel {
  readonly name: string;
  readonly uniqueid: string;
  linkedid: string;
  readonly role: ChannelRole;
  /** The device whose state the channel changes (`Local/202@calls`, `SIP/202`). */
  readonly device: string;
  readonly createdAt: number;
  state: number;
  callerIdNum = "<unknown>";
  callerIdName = "<unknown>";
  connectedNum = "<unknown>";
  connectedName = "<unknown>";
  language = "en";
  accountCode = "";
  context: string;
  exten: string;
  priority = 1;
  running: Running = { application: "", data: "" };
  /** True while the channel executes dialplan (affects how a hangup is announced). */
  inDialplan = false;
  readonly variables = new Map<string, string>();
  /** The other half of a Local channel. */
  partner: Channel | undefined;
  /** The other party of the bridge this channel is in, and the bridge. */
  bridgedWith: Channel | undefined;
  bridge: Bridge | undefined;
  hungUp = false;
  /** Set once the device's NOT_INUSE has been announced for this channel. */
  deviceIdleSent = false;
  /** Set once a chan_sip peer's device state has been announced for this channel. */
  deviceStateSent = false;
  /** When the channel came up (its media started), on the PBX clock. */
  answeredAt: number | undefined;
  /** How long a phone this channel dials rings before answering (default: the PBX's). */
  ringMs: number | undefined;
  /** Called once when the channel is answered (a Local `;2` answering brings `;1` up). */
  onAnswer: (() => void) | undefined;
  /** Called if the channel goes away before it was answered (a failed Originate). */
  onHangupBeforeAnswer: (() => void) | undefined;
  /** Called after the channel's Hangup event (a spy watching it). */
  readonly hangupListeners = new Set<() => void>();

  constructor(init: {
    name: string;
    uniqueid: string;
    linkedid?: string;
    role: ChannelRole;
    device: string;
    state: number;
    context: string;
    exten: string;
    createdAt: number;
  }) {
    this.name = init.name;
    this.uniqueid = init.uniqueid;
    this.linkedid = init.linkedid ?? init.uniqueid;
    this.role = init.role;
    this.device = init.device;
    this.state = init.state;
    this.context = init.context;
    this.exten = init.exten;
    this.createdAt = init.createdAt;
  }

  /** `ChannelStateDesc` of the current state. */
  get stateDesc(): string {
    return STATE_DESC[this.state] ?? "Unknown";
  }

  /** The snapshot block, each key prefixed (`Dest`, `Spyee`, `LocalOne`, ...). */
  snapshot(prefix = ""): AmiHeader[] {
    return [
      [`${prefix}Channel`, this.name],
      [`${prefix}ChannelState`, String(this.state)],
      [`${prefix}ChannelStateDesc`, this.stateDesc],
      [`${prefix}CallerIDNum`, this.callerIdNum],
      [`${prefix}CallerIDName`, this.callerIdName],
      [`${prefix}ConnectedLineNum`, this.connectedNum],
      [`${prefix}ConnectedLineName`, this.connectedName],
      [`${prefix}Language`, this.language],
      [`${prefix}AccountCode`, this.accountCode],
      [`${prefix}Context`, this.context],
      [`${prefix}Exten`, this.exten],
      [`${prefix}Priority`, String(this.priority)],
      [`${prefix}Uniqueid`, this.uniqueid],
      [`${prefix}Linkedid`, this.linkedid],
    ];
  }
}

/** Hangup cause texts (`Cause-txt`) for the causes the simulation uses. */
export const CAUSE_TEXT: Record<number, string> = {
  0: "Unknown",
  1: "Unallocated (unassigned) number",
  16: "Normal Clearing",
  17: "User busy",
  18: "No user responding",
  19: "User alerting, no answer",
  21: "Call Rejected",
  34: "Circuit/channel congestion",
};

/** `HH:MM:SS` for CoreShowChannel's Duration. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}
