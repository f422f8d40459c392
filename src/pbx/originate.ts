/**
 * Originate on the simulated PBX: a Local channel pair whose `;2` half runs
 * the dialplan of its exten@context, or a phone that rings and answers; then
 * the requested target runs on the originated channel (`;1` or the phone):
 * an application, or dialplan from Context/Exten/Priority.
 *
 * @module
 */

import { type Channel, STATE } from "./channel.ts";
import { findExtension } from "./dialplan.ts";
import { runApplication } from "./apps.ts";
import type { Pbx } from "./pbx.ts";

/** An Originate, after the AMI layer validated it. */
export interface OriginateRequest {
  channel: string;
  target: { context: string; exten: string; priority: number } | {
    application: string;
    data: string;
  };
  callerId?: { num: string; name: string };
  variables?: [string, string][];
  timeoutMs: number;
  /** Uniqueids chosen by the originator (ChannelId, OtherChannelId for a Local's `;2`). */
  channelId?: string;
  otherChannelId?: string;
}

/** How an Originate ended: answered (with the originated channel) or failed. */
export type OriginateResult = { ok: true; channel: Channel } | { ok: false };

/**
 * Places an originated call: a Local pair, or a phone that rings then
 * answers. Resolves once it is answered (the target then runs) or failed.
 */
export function originate(pbx: Pbx, request: OriginateRequest): Promise<OriginateResult> {
  pbx.countCall();
  // A uniqueid already in use cannot be given to a new channel.
  for (const id of [request.channelId, request.otherChannelId]) {
    if (id !== undefined && pbx.findChannel(id)) return Promise.resolve({ ok: false });
  }
  const slash = request.channel.indexOf("/");
  const tech = request.channel.slice(0, slash);
  const resource = request.channel.slice(slash + 1);
  if (tech.toUpperCase() === "LOCAL") return originateLocal(pbx, resource, request);
  if (!["SIP", "PJSIP"].includes(tech.toUpperCase()) || !pbx.endpointExists(resource)) {
    return Promise.resolve({ ok: false });
  }
  return originateEndpoint(pbx, tech, resource, request);
}

function originateLocal(
  pbx: Pbx,
  resource: string,
  request: OriginateRequest,
): Promise<OriginateResult> {
  const [exten, rest] = resource.split("@");
  const context = rest.replace(/\/n$/, "");
  const device = `Local/${exten}@${context}`;
  const seq = pbx.nextSequence("Local");
  const one = pbx.newChannel({
    base: device,
    suffix: ";1",
    role: "local1",
    device,
    state: STATE.Down,
    context,
    exten,
    sequence: seq,
    uniqueid: request.channelId,
  });
  const two = pbx.newChannel({
    base: device,
    suffix: ";2",
    role: "local2",
    device,
    state: STATE.Ring,
    context,
    exten,
    linkedid: one.uniqueid,
    sequence: seq,
    uniqueid: request.otherChannelId,
  });
  one.partner = two;
  two.partner = one;
  one.running = { application: "AppDial2", data: "(Outgoing Line)" };
  pbx.announce("newexten", one, "AppDial2", "(Outgoing Line)");
  for (const [name, value] of [...(request.variables ?? [])].reverse()) {
    pbx.setVariable(one, name, value);
  }
  for (const [name, value] of request.variables ?? []) {
    two.variables.set(name, value);
    pbx.announce("inheritedVarSet", two, name, value);
  }
  if (request.callerId) setCallerId(pbx, one, two, request.callerId);
  announceDialIdentity(pbx, one);
  const steps = findExtension(pbx.dialplan, context, exten);
  if (!steps) {
    pbx.announce("localCallFailed", two);
    pbx.discard(two, 0);
    pbx.discard(one, 0);
    for (let i = 0; i < 2; i++) pbx.announce("deviceStateChange", device, "INVALID");
    return Promise.resolve({ ok: false });
  }
  pbx.announce("localBridge", one, two, context, exten);
  pbx.announce("dialBegin", one, `${exten}@${context}`);
  return new Promise((resolve) => {
    two.onAnswer = () => {
      pbx.setState(one, STATE.Up);
      pbx.announce("deviceStateChange", device, "INUSE");
      pbx.announce("dialEnd", one, "ANSWER");
      resolve({ ok: true, channel: one });
      startTarget(pbx, one, request);
    };
    two.onHangupBeforeAnswer = () => resolve({ ok: false });
    pbx.runDialplan(two);
  });
}

function originateEndpoint(
  pbx: Pbx,
  tech: string,
  resource: string,
  request: OriginateRequest,
): Promise<OriginateResult> {
  const device = `${tech}/${resource}`;
  const channel = pbx.newChannel({
    base: device,
    role: "endpoint",
    device,
    state: STATE.Down,
    context: "from-internal",
    exten: resource,
    uniqueid: request.channelId,
  });
  // The Originate's variables are set on the new channel at once (a VarSet each), as on a Local.
  for (const [name, value] of request.variables ?? []) pbx.setVariable(channel, name, value);
  if (request.callerId) {
    channel.callerIdNum = request.callerId.num;
    channel.callerIdName = request.callerId.name;
  }
  announceDialIdentity(pbx, channel);
  channel.running = { application: "AppDial2", data: "(Outgoing Line)" };
  pbx.announce("newexten", channel, "AppDial2", "(Outgoing Line)");
  pbx.announce("dialBegin", channel, resource);
  pbx.setState(channel, STATE.Ringing);
  pbx.announce("deviceStateChange", device, "RINGING");
  return new Promise((resolve) => {
    const answer = pbx.after(Math.min(pbx.answerDelayMs, request.timeoutMs), () => {
      pbx.setState(channel, STATE.Up);
      pbx.announce("deviceStateChange", device, "INUSE");
      pbx.announce("dialEnd", channel, "ANSWER");
      resolve({ ok: true, channel });
      startTarget(pbx, channel, request);
    });
    channel.onHangupBeforeAnswer = () => {
      answer();
      resolve({ ok: false });
    };
  });
}

/** Runs what the Originate asked for on the answered channel: dialplan or an application. */
function startTarget(pbx: Pbx, channel: Channel, request: OriginateRequest): void {
  channel.onHangupBeforeAnswer = undefined;
  const target = request.target;
  if ("application" in target) {
    pbx.announce("newAccountCode", channel);
    // After the OriginateResponse (queued behind this answer), as the originate thread runs it.
    queueMicrotask(() => {
      if (channel.hungUp) return;
      runApplication(pbx, channel, target.application, target.data, () => pbx.hangup(channel, 0));
    });
  } else {
    channel.context = target.context;
    channel.exten = target.exten;
    channel.priority = target.priority;
    pbx.runDialplan(channel);
  }
}

/** The account code and caller id the originate thread applies to the channel it dials. */
function announceDialIdentity(pbx: Pbx, channel: Channel): void {
  pbx.announce("newAccountCode", channel);
  pbx.announce("originateCallerId", channel);
}

function setCallerId(
  pbx: Pbx,
  one: Channel,
  two: Channel,
  cid: { num: string; name: string },
): void {
  one.callerIdNum = cid.num;
  one.callerIdName = cid.name;
  pbx.announce("newCallerid", one);
  one.connectedNum = cid.num;
  one.connectedName = cid.name;
  pbx.announce("newConnectedLine", one);
  two.callerIdNum = cid.num;
  two.callerIdName = cid.name;
  two.connectedNum = cid.num;
  two.connectedName = cid.name;
  pbx.announce("newCallerid", two);
  pbx.announce("newConnectedLine", two);
}
