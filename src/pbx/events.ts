/**
 * The events of the simulated PBX, with the names, classes and header order
 * of Asterisk 22 as captured in tests/fixtures/ami: `Event`, `Privilege`,
 * then the channel snapshot block(s), then the event's own headers.
 *
 * @module
 */

import type { AmiHeader } from "../ami/message.ts";
import { CAUSE_TEXT, type Channel } from "./channel.ts";

/** An event as headers in wire order. */
export type PbxEvent = AmiHeader[];

const CALL = "call,all";
const DIALPLAN = "dialplan,all";

function channelEvent(
  name: string,
  privilege: string,
  channel: Channel,
  ...extra: AmiHeader[]
): PbxEvent {
  return [["Event", name], ["Privilege", privilege], ...channel.snapshot(), ...extra];
}

export const newchannel = (c: Channel) => channelEvent("Newchannel", CALL, c);
export const newstate = (c: Channel) => channelEvent("Newstate", CALL, c);
export const newConnectedLine = (c: Channel) => channelEvent("NewConnectedLine", CALL, c);

export function newCallerid(c: Channel): PbxEvent {
  return channelEvent("NewCallerid", CALL, c, [
    "CID-CallingPres",
    "0 (Presentation Allowed, Not Screened)",
  ]);
}

/** The channel moved to a dialplan step (or, for `AppDial2`, was dialed). */
export function newexten(c: Channel, application: string, data: string): PbxEvent {
  return channelEvent(
    "Newexten",
    DIALPLAN,
    c,
    ["Extension", c.exten],
    ["Application", application],
    ["AppData", data],
  );
}

export function varSet(c: Channel, variable: string, value: string): PbxEvent {
  return channelEvent("VarSet", DIALPLAN, c, ["Variable", variable], ["Value", value]);
}

/** A global variable set: no snapshot, `Channel: none`. */
export function globalVarSet(variable: string, value: string): PbxEvent {
  return [
    ["Event", "VarSet"],
    ["Privilege", DIALPLAN],
    ["Channel", "none"],
    ["Uniqueid", "none"],
    ["Variable", variable],
    ["Value", value],
  ];
}

export const hangupRequest = (c: Channel, cause: number) =>
  channelEvent("HangupRequest", CALL, c, ["Cause", String(cause)]);

export const softHangupRequest = (c: Channel, cause: number) =>
  channelEvent("SoftHangupRequest", CALL, c, ["Cause", String(cause)]);

export function hangup(c: Channel, cause: number): PbxEvent {
  return channelEvent(
    "Hangup",
    CALL,
    c,
    ["Cause", String(cause)],
    ["Cause-txt", CAUSE_TEXT[cause] ?? "Unknown"],
  );
}

/** DialBegin: the caller's snapshot when there is a caller (not for an Originate), then the dest. */
export function dialBegin(dest: Channel, dialString: string, caller?: Channel): PbxEvent {
  return [
    ["Event", "DialBegin"],
    ["Privilege", CALL],
    ...(caller ? caller.snapshot() : []),
    ...dest.snapshot("Dest"),
    ["DialString", dialString],
  ];
}

export function dialEnd(dest: Channel, status: string, caller?: Channel): PbxEvent {
  return [
    ["Event", "DialEnd"],
    ["Privilege", CALL],
    ...(caller ? caller.snapshot() : []),
    ...dest.snapshot("Dest"),
    ["DialStatus", status],
  ];
}

export function localBridge(one: Channel, two: Channel, context: string, exten: string): PbxEvent {
  return [
    ["Event", "LocalBridge"],
    ["Privilege", CALL],
    ...one.snapshot("LocalOne"),
    ...two.snapshot("LocalTwo"),
    ["Context", context],
    ["Exten", exten],
    ["LocalOptimization", "Yes"],
  ];
}

export function deviceStateChange(device: string, state: string): PbxEvent {
  return [["Event", "DeviceStateChange"], ["Privilege", CALL], ["Device", device], [
    "State",
    state,
  ]];
}

/** What an OriginateResponse reports. */
export interface OriginateOutcome {
  actionId?: string;
  success: boolean;
  /** The `;1` or endpoint channel on success; the requested dial string on failure. */
  channel: string;
  target: { context: string; exten: string } | { application: string; data: string };
  uniqueid: string;
  callerIdNum: string;
  callerIdName: string;
}

/** OriginateResponse: the only ordinary event that carries the request's ActionID. */
export function originateResponse(o: OriginateOutcome): PbxEvent {
  const event: PbxEvent = [["Event", "OriginateResponse"], ["Privilege", CALL]];
  if (o.actionId !== undefined) event.push(["ActionID", o.actionId]);
  event.push(["Response", o.success ? "Success" : "Failure"], ["Channel", o.channel]);
  if ("application" in o.target) {
    event.push(["Application", o.target.application], ["Data", o.target.data]);
  } else {
    event.push(["Context", o.target.context], ["Exten", o.target.exten]);
  }
  event.push(
    ["Reason", o.success ? "4" : "0"],
    ["Uniqueid", o.uniqueid],
    ["CallerIDNum", o.callerIdNum],
    ["CallerIDName", o.callerIdName],
  );
  return event;
}

export function chanSpyStart(spyer: Channel, spyee: Channel): PbxEvent {
  return [
    ["Event", "ChanSpyStart"],
    ["Privilege", CALL],
    ...spyer.snapshot("Spyer"),
    ...spyee.snapshot("Spyee"),
  ];
}

export function chanSpyStop(spyer: Channel, spyee: Channel): PbxEvent {
  return [
    ["Event", "ChanSpyStop"],
    ["Privilege", CALL],
    ...spyer.snapshot("Spyer"),
    ...spyee.snapshot("Spyee"),
  ];
}

/** UserEvent from the dialplan: the snapshot, `UserEvent`, then the `Key: Value` pairs given. */
export function dialplanUserEvent(c: Channel, name: string, fields: AmiHeader[]): PbxEvent {
  return channelEvent("UserEvent", "user,all", c, ["UserEvent", name], ...fields);
}

/** A bridge, as the Bridge* events describe it. */
export interface Bridge {
  id: string;
  channels: Channel[];
}

function bridgeBlock(bridge: Bridge): AmiHeader[] {
  return [
    ["BridgeUniqueid", bridge.id],
    ["BridgeType", "basic"],
    ["BridgeTechnology", "simple_bridge"],
    ["BridgeCreator", "<unknown>"],
    ["BridgeName", "<unknown>"],
    ["BridgeNumChannels", String(bridge.channels.length)],
    ["BridgeVideoSourceMode", "none"],
  ];
}

export function bridgeCreate(bridge: Bridge): PbxEvent {
  return [["Event", "BridgeCreate"], ["Privilege", CALL], ...bridgeBlock(bridge)];
}

export function bridgeEnter(bridge: Bridge, c: Channel): PbxEvent {
  return [["Event", "BridgeEnter"], ["Privilege", CALL], ...bridgeBlock(bridge), ...c.snapshot()];
}

export function bridgeLeave(bridge: Bridge, c: Channel): PbxEvent {
  return [["Event", "BridgeLeave"], ["Privilege", CALL], ...bridgeBlock(bridge), ...c.snapshot()];
}

export function bridgeDestroy(bridge: Bridge): PbxEvent {
  return [["Event", "BridgeDestroy"], ["Privilege", CALL], ...bridgeBlock(bridge)];
}
