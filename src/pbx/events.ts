/**
 * The events of the simulated PBX in Asterisk 12+'s layout, with the names,
 * classes and header order captured from 13, 16, 18 and 22 (tests/fixtures):
 * `Event`, `Privilege`, then the channel snapshot block(s), then the event's
 * own headers. {@linkcode snapshotEvents} assembles them into the
 * {@linkcode EventLayout} of one version (13's Newexten class and
 * ChanSpyStop differ).
 *
 * @module
 */

import type { AmiHeader } from "../ami/message.ts";
import type { AsteriskProfile } from "../ami/profiles.ts";
import { CAUSE_TEXT, type Channel } from "./channel.ts";

/** An event as headers in wire order. */
export type PbxEvent = AmiHeader[];

/**
 * What the simulated PBX announces, by what happened: each gives the events
 * one Asterisk version sends for it (none, one, or several).
 */
export interface EventLayout {
  newchannel(c: Channel): PbxEvent[];
  newstate(c: Channel): PbxEvent[];
  newCallerid(c: Channel): PbxEvent[];
  newConnectedLine(c: Channel): PbxEvent[];
  /**
   * An Originate applied its caller id, given or not, to the channel it dials
   * (11's NewCallerid; 12+ announces a given one with newCallerid and
   * newConnectedLine instead).
   */
  originateCallerId(c: Channel): PbxEvent[];
  /**
   * The originate thread applied the channel's account code: when it dials,
   * and again before it runs an application on it (11's NewAccountCode).
   */
  newAccountCode(c: Channel): PbxEvent[];
  /** The channel moved to a dialplan step (or, for `AppDial`/`AppDial2`, was dialed). */
  newexten(c: Channel, application: string, data: string): PbxEvent[];
  varSet(c: Channel, variable: string, value: string): PbxEvent[];
  /** An Originate's variable given to a Local `;2` too (11 copies them silently). */
  inheritedVarSet(c: Channel, variable: string, value: string): PbxEvent[];
  globalVarSet(variable: string, value: string): PbxEvent[];
  hangupRequest(c: Channel, cause: number): PbxEvent[];
  softHangupRequest(c: Channel, cause: number): PbxEvent[];
  hangup(c: Channel, cause: number): PbxEvent[];
  /** The `;2` of an originated Local channel whose exten@context does not exist, before it goes. */
  localCallFailed(two: Channel): PbxEvent[];
  /** A dial starts: `caller` is the channel running Dial(), absent for an Originate. */
  dialBegin(dest: Channel, dialString: string, caller?: Channel): PbxEvent[];
  dialEnd(dest: Channel, status: string, caller?: Channel): PbxEvent[];
  /** The Dial() application of `caller` returned (11's `Dial` / `SubEvent: End`). */
  dialDone(caller: Channel, status: string): PbxEvent[];
  /** The dialed leg reports progress (`RINGING`): 16+'s DialState. */
  dialState(dest: Channel, status: string, caller: Channel): PbxEvent[];
  /** Dial() gave its new leg the number dialed and the caller as connected line. */
  dialedIdentity(dest: Channel): PbxEvent[];
  localBridge(one: Channel, two: Channel, context: string, exten: string): PbxEvent[];
  deviceStateChange(device: string, state: string): PbxEvent[];
  originateResponse(o: OriginateOutcome): PbxEvent[];
  chanSpyStart(spyer: Channel, spyee: Channel): PbxEvent[];
  chanSpyStop(spyer: Channel, spyee: Channel): PbxEvent[];
  dialplanUserEvent(c: Channel, name: string, fields: AmiHeader[]): PbxEvent[];
  bridgeCreate(bridge: Bridge): PbxEvent[];
  bridgeEnter(bridge: Bridge, c: Channel): PbxEvent[];
  bridgeLeave(bridge: Bridge, c: Channel): PbxEvent[];
  bridgeDestroy(bridge: Bridge): PbxEvent[];
}

/** The Asterisk 12+ layout, as the version of `profile` sends it. */
export function snapshotEvents(profile: AsteriskProfile): EventLayout {
  return {
    newchannel: one(newchannel),
    newstate: one(newstate),
    newCallerid: one(newCallerid),
    newConnectedLine: one(newConnectedLine),
    originateCallerId: none,
    newAccountCode: none,
    newexten: (c, application, data) => [
      channelEvent(
        "Newexten",
        profile.newextenPrivilege,
        c,
        ["Extension", c.exten],
        ["Application", application],
        ["AppData", data],
      ),
    ],
    varSet: one(varSet),
    inheritedVarSet: one(varSet),
    globalVarSet: one(globalVarSet),
    hangupRequest: one(hangupRequest),
    softHangupRequest: one(softHangupRequest),
    hangup: one(hangup),
    localCallFailed: none,
    dialBegin: one(dialBegin),
    dialEnd: one(dialEnd),
    dialDone: none,
    dialState: profile.dialStateEvent ? one(dialState) : none,
    dialedIdentity: (c) => [newCallerid(c), newConnectedLine(c)],
    localBridge: one(localBridge),
    deviceStateChange: one(deviceStateChange),
    originateResponse: one(originateResponse),
    chanSpyStart: one(chanSpyStart),
    chanSpyStop: (spyer, spyee) => [[
      ["Event", "ChanSpyStop"],
      ["Privilege", CALL],
      ...spyer.snapshot("Spyer"),
      ...(profile.chanSpyStopSpyee ? spyee.snapshot("Spyee") : []),
    ]],
    dialplanUserEvent: one(dialplanUserEvent),
    bridgeCreate: one(bridgeCreate),
    bridgeEnter: one(bridgeEnter),
    bridgeLeave: one(bridgeLeave),
    bridgeDestroy: one(bridgeDestroy),
  };
}

const CALL = "call,all";
const DIALPLAN = "dialplan,all";

/** For what a version announces with no event. */
export const none = (): PbxEvent[] => [];

/** For what a version announces with the one event `build` makes. */
export const one = <A extends unknown[]>(build: (...args: A) => PbxEvent) => (...args: A) => [
  build(...args),
];

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

/** DialState: the caller's snapshot, the dest's, and how far the dial got. */
export function dialState(dest: Channel, status: string, caller: Channel): PbxEvent {
  return [
    ["Event", "DialState"],
    ["Privilege", CALL],
    ...caller.snapshot(),
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

/** UserEvent from the dialplan: the snapshot, `UserEvent`, then the `Key: Value` pairs given. */
export function dialplanUserEvent(c: Channel, name: string, fields: AmiHeader[]): PbxEvent {
  return channelEvent("UserEvent", "user,all", c, ["UserEvent", name], ...fields);
}

/** A bridge, as the Bridge* events describe it. */
export interface Bridge {
  id: string;
  channels: Channel[];
  /** How media flows: `simple_bridge`, or `native_rtp` between two SIP legs. */
  technology: string;
}

function bridgeBlock(bridge: Bridge): AmiHeader[] {
  return [
    ["BridgeUniqueid", bridge.id],
    ["BridgeType", "basic"],
    ["BridgeTechnology", bridge.technology],
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
