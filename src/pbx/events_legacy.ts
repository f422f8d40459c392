/**
 * The events of the simulated PBX in Asterisk 11's layout (AMI 1.3), with
 * the names, classes, header order and values captured from 11.25.3
 * (tests/fixtures/ami-versions/11.25.3): short per-event layouts with no
 * Linkedid or Language, `Dial` and `Bridge` events instead of DialBegin/End
 * and Bridge*, no DeviceStateChange or NewConnectedLine, and no `AppDial`
 * Newexten for a dialed leg. An unset caller id reads empty in the channel
 * events (Newchannel, Newstate, NewCallerid, CoreShowChannel) and
 * `<unknown>` in Hangup, Dial and OriginateResponse, as captured.
 *
 * @module
 */

import type { AmiHeader } from "../ami/message.ts";
import type { AsteriskProfile } from "../ami/profiles.ts";
import { CAUSE_TEXT, type Channel, formatDuration } from "./channel.ts";
import {
  dialplanUserEvent,
  type EventLayout,
  none,
  one,
  originateResponse,
  type PbxEvent,
} from "./events.ts";

const CALL = "call,all";
const DIALPLAN = "dialplan,all";
const UNSET = "<unknown>";

/** Asterisk 11's layout, as the version of `profile` sends it. */
export function legacyEvents(profile: AsteriskProfile): EventLayout {
  return {
    newchannel: one(newchannel),
    newstate: one(newstate),
    // 11 announces an Originate's caller id once, for `;1`, in originateCallerId
    // (chan_local copies it to `;2` silently); it has no NewConnectedLine.
    newCallerid: none,
    newConnectedLine: none,
    originateCallerId: one(newCallerid),
    newAccountCode: one(newAccountCode),
    newexten: (c, application, data) =>
      DIALED_APPS.has(application) ? [] : [newexten(profile, c, application, data)],
    varSet: one(varSet),
    inheritedVarSet: none,
    globalVarSet: one(globalVarSet),
    hangupRequest: (c) => c.role === "local2" ? [hangupRequest(c)] : [],
    localCallFailed: one(hangupRequest),
    softHangupRequest: one(softHangupRequest),
    hangup: one(hangup),
    dialBegin: (dest, dialString, caller) => caller ? [dialBegin(dest, dialString, caller)] : [],
    dialEnd: none,
    dialDone: one(dialEnd),
    dialState: none,
    dialedIdentity: one(newCallerid),
    localBridge: one(localBridge),
    deviceStateChange: none,
    originateResponse: one(originateResponse),
    chanSpyStart: one(chanSpyStart),
    chanSpyStop: one(chanSpyStop),
    dialplanUserEvent: one(dialplanUserEvent),
    bridgeCreate: none,
    bridgeEnter: (bridge) =>
      bridge.channels.length === 2 ? [bridgeLink("Link", bridge.channels)] : [],
    bridgeLeave: (bridge, c) =>
      bridge.channels.length === 1 ? [bridgeLink("Unlink", [c, ...bridge.channels])] : [],
    bridgeDestroy: none,
  };
}

/** The `(Outgoing Line)` applications of dialed legs: 11 sends no Newexten for them. */
const DIALED_APPS = new Set(["AppDial", "AppDial2"]);

/** A caller id value as 11's channel events print it: empty when unset. */
const blank = (value: string) => value === UNSET ? "" : value;

/** `Event`, `Privilege: call,all`, `Channel`, then `headers`. */
function channelEvent(name: string, c: Channel, ...headers: AmiHeader[]): PbxEvent {
  return [["Event", name], ["Privilege", CALL], ["Channel", c.name], ...headers];
}

/** ChannelState and ChannelStateDesc. */
function stateOf(c: Channel): AmiHeader[] {
  return [["ChannelState", String(c.state)], ["ChannelStateDesc", c.stateDesc]];
}

/** The caller id (`CallerIDNum`, `CallerIDName` as keyed), empty when unset. */
function callerOf(c: Channel, keys = ["CallerIDNum", "CallerIDName"]): AmiHeader[] {
  return [[keys[0], blank(c.callerIdNum)], [keys[1], blank(c.callerIdName)]];
}

/** The connected line, empty when unset. */
function connectedOf(c: Channel): AmiHeader[] {
  return [["ConnectedLineNum", blank(c.connectedNum)], [
    "ConnectedLineName",
    blank(c.connectedName),
  ]];
}

function newchannel(c: Channel): PbxEvent {
  return channelEvent(
    "Newchannel",
    c,
    ...stateOf(c),
    ...callerOf(c),
    ["AccountCode", c.accountCode],
    ["Exten", c.exten],
    ["Context", c.context],
    ["Uniqueid", c.uniqueid],
  );
}

function newstate(c: Channel): PbxEvent {
  return channelEvent(
    "Newstate",
    c,
    ...stateOf(c),
    ...callerOf(c),
    ...connectedOf(c),
    ["Uniqueid", c.uniqueid],
  );
}

/** NewCallerid: `CID-CallingPres` says "Number Unavailable" when no number is set. */
function newCallerid(c: Channel): PbxEvent {
  return channelEvent("NewCallerid", c, ...callerOf(c), ["Uniqueid", c.uniqueid], [
    "CID-CallingPres",
    c.callerIdNum === UNSET ? "67 (Number Unavailable)" : "0 (Presentation Allowed, Not Screened)",
  ]);
}

function newAccountCode(c: Channel): PbxEvent {
  return named("NewAccountCode", c, ["AccountCode", c.accountCode], [
    "OldAccountCode",
    c.accountCode,
  ]);
}

function newexten(
  profile: AsteriskProfile,
  c: Channel,
  application: string,
  data: string,
): PbxEvent {
  return [
    ["Event", "Newexten"],
    ["Privilege", profile.newextenPrivilege],
    ["Channel", c.name],
    ["Context", c.context],
    ["Extension", c.exten],
    ["Priority", String(c.priority)],
    ["Application", application],
    ["AppData", data],
    ["Uniqueid", c.uniqueid],
  ];
}

function varSet(c: Channel, variable: string, value: string): PbxEvent {
  return [
    ["Event", "VarSet"],
    ["Privilege", DIALPLAN],
    ["Channel", c.name],
    ["Variable", variable],
    ["Value", value],
    ["Uniqueid", c.uniqueid],
  ];
}

/** A global variable set: `Channel: none`, `Uniqueid: none` last. */
function globalVarSet(variable: string, value: string): PbxEvent {
  return [
    ["Event", "VarSet"],
    ["Privilege", DIALPLAN],
    ["Channel", "none"],
    ["Variable", variable],
    ["Value", value],
    ["Uniqueid", "none"],
  ];
}

/** The name and Uniqueid every short 11 event starts with. */
function named(name: string, c: Channel, ...extra: AmiHeader[]): PbxEvent {
  return channelEvent(name, c, ["Uniqueid", c.uniqueid], ...extra);
}

/** HangupRequest without a cause (chan_local's ast_queue_hangup). */
const hangupRequest = (c: Channel) => named("HangupRequest", c);

const softHangupRequest = (c: Channel, cause: number) =>
  named("SoftHangupRequest", c, ["Cause", String(cause)]);

function hangup(c: Channel, cause: number): PbxEvent {
  return named(
    "Hangup",
    c,
    ["CallerIDNum", c.callerIdNum],
    ["CallerIDName", c.callerIdName],
    ["ConnectedLineNum", c.connectedNum],
    ["ConnectedLineName", c.connectedName],
    ["AccountCode", c.accountCode],
    ["Cause", String(cause)],
    ["Cause-txt", CAUSE_TEXT[cause] ?? "Unknown"],
  );
}

/** `Dial` / `SubEvent: Begin` of Dial(): the caller's ids, the callee's, the dial string. */
function dialBegin(dest: Channel, dialString: string, caller: Channel): PbxEvent {
  return dialEvent(
    "Begin",
    caller,
    ["Destination", dest.name],
    ["CallerIDNum", caller.callerIdNum],
    ["CallerIDName", caller.callerIdName],
    ["ConnectedLineNum", caller.connectedNum],
    ["ConnectedLineName", caller.connectedName],
    ["UniqueID", caller.uniqueid],
    ["DestUniqueID", dest.uniqueid],
    ["Dialstring", dialString],
  );
}

/** `Dial` / `SubEvent: End`: sent when the caller's Dial() returns. */
function dialEnd(caller: Channel, status: string): PbxEvent {
  return dialEvent("End", caller, ["UniqueID", caller.uniqueid], ["DialStatus", status]);
}

function dialEvent(subEvent: "Begin" | "End", caller: Channel, ...headers: AmiHeader[]): PbxEvent {
  return [
    ["Event", "Dial"],
    ["Privilege", CALL],
    ["SubEvent", subEvent],
    ["Channel", caller.name],
    ...headers,
  ];
}

function localBridge(one: Channel, two: Channel, context: string, exten: string): PbxEvent {
  return [
    ["Event", "LocalBridge"],
    ["Privilege", CALL],
    ...pairOf(one, two),
    ["Context", context],
    ["Exten", exten],
    ["LocalOptimization", "Yes"],
  ];
}

/** Two channels as LocalBridge and Bridge name them: Channel1/2, then Uniqueid1/2. */
function pairOf(one: Channel, two: Channel): AmiHeader[] {
  return [
    ["Channel1", one.name],
    ["Channel2", two.name],
    ["Uniqueid1", one.uniqueid],
    ["Uniqueid2", two.uniqueid],
  ];
}

/** The channel's place in creation order: 11's Uniqueid is `<start>.<serial>`. */
const serial = (c: Channel) => Number(c.uniqueid.slice(c.uniqueid.indexOf(".") + 1));

/** `Bridge` with `Bridgestate: Link|Unlink` of a two-party core bridge, the older party first. */
function bridgeLink(state: "Link" | "Unlink", parties: Channel[]): PbxEvent {
  const [one, two] = [...parties].sort((a, b) =>
    a.createdAt - b.createdAt || serial(a) - serial(b)
  );
  return [
    ["Event", "Bridge"],
    ["Privilege", CALL],
    ["Bridgestate", state],
    ["Bridgetype", "core"],
    ...pairOf(one, two),
    ["CallerID1", one.callerIdNum],
    ["CallerID2", two.callerIdNum],
  ];
}

function chanSpyStart(spyer: Channel, spyee: Channel): PbxEvent {
  return [
    ["Event", "ChanSpyStart"],
    ["Privilege", CALL],
    ["SpyerChannel", spyer.name],
    ["SpyeeChannel", spyee.name],
  ];
}

/** ChanSpyStop names the spyee only. */
function chanSpyStop(_spyer: Channel, spyee: Channel): PbxEvent {
  return [["Event", "ChanSpyStop"], ["Privilege", CALL], ["SpyeeChannel", spyee.name]];
}

/** A CoreShowChannel list item of Asterisk 11 (without Event and ActionID). */
export function legacyCoreShowChannel(c: Channel, now: number): AmiHeader[] {
  const peer = c.bridgedWith;
  return [
    ["Channel", c.name],
    ["UniqueID", c.uniqueid],
    ["Context", c.context],
    ["Extension", c.exten],
    ["Priority", String(c.priority)],
    ...stateOf(c),
    ["Application", c.running.application],
    ["ApplicationData", c.running.data],
    ...callerOf(c, ["CallerIDnum", "CallerIDname"]),
    ...connectedOf(c),
    ["Duration", formatDuration(now - c.createdAt)],
    ["AccountCode", c.accountCode],
    ["BridgedChannel", peer?.name ?? ""],
    ["BridgedUniqueID", peer?.uniqueid ?? ""],
  ];
}

/**
 * A `Status` event of Asterisk 11 (no capture has one), without the
 * `Variable:` lines and ActionID that follow: the fields of action_status in
 * main/manager.c of 11.25.3 (git tag `11.25.3` of asterisk/asterisk). A
 * channel running dialplan (with a PBX) gets Accountcode, ChannelState,
 * ChannelStateDesc, Context, Extension, Priority and Seconds; any other
 * (an originated leg running an application) `Account` and `State` only.
 * `BridgedChannel`/`BridgedUniqueid` come before Uniqueid when bridged.
 * Caller ids are printed with S_COR(valid, str, "<unknown>") there.
 */
export function legacyStatus(c: Channel, now: number): AmiHeader[] {
  const peer = c.bridgedWith;
  const bridged: AmiHeader[] = peer
    ? [["BridgedChannel", peer.name], ["BridgedUniqueid", peer.uniqueid]]
    : [];
  const state: AmiHeader[] = c.inDialplan
    ? [
      ["Accountcode", c.accountCode],
      ...stateOf(c),
      ["Context", c.context],
      ["Extension", c.exten],
      ["Priority", String(c.priority)],
      ["Seconds", String(Math.floor((now - c.createdAt) / 1000))],
    ]
    : [["Account", c.accountCode], ["State", c.stateDesc]];
  return [
    ["Event", "Status"],
    ["Privilege", "Call"],
    ["Channel", c.name],
    ["CallerIDNum", c.callerIdNum],
    ["CallerIDName", c.callerIdName],
    ["ConnectedLineNum", c.connectedNum],
    ["ConnectedLineName", c.connectedName],
    ...state,
    ...bridged,
    ["Uniqueid", c.uniqueid],
  ];
}
