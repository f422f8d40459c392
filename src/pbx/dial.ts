/**
 * The Dial() application: rings a phone (SIP/PJSIP/trunk), answers the caller
 * when it picks up, and bridges them until one hangs up; then the caller's
 * dialplan goes on. Its variables and events follow app_dial as captured in
 * tests/fixtures/ami-versions/{11.25.3,18.26.4}/30-sip-call-chanspy: the
 * result variables cleared as it starts, the new leg's caller id set to the
 * number dialed, RINGTIME as it rings (13+), DIALSTATUS / DIALEDPEERNAME /
 * DIALEDPEERNUMBER on answer, ANSWEREDTIME / DIALEDTIME as it returns.
 *
 * @module
 */

import { type Channel, STATE } from "./channel.ts";
import type { Pbx } from "./pbx.ts";
import { isChanSip, openDialog } from "./sip.ts";

/** Called when Dial() returns by itself (the callee hung up, or nobody answered). */
export type DialDone = () => void;

/** Starts Dial(`data`) on `caller`; returns what stops it when the caller hangs up first. */
export function dial(pbx: Pbx, caller: Channel, data: string, done: DialDone): () => void {
  const [target = "", timeout] = data.split(",");
  const slash = target.indexOf("/");
  const tech = target.slice(0, slash);
  const resource = target.slice(slash + 1);
  const ms = pbx.profile.dialTimesMs;
  for (const name of resultVariables(ms)) pbx.setVariable(caller, name, "");
  if (tech.toUpperCase() === "LOCAL" || !pbx.resolvable(target)) {
    pbx.setVariable(caller, "DIALSTATUS", "CHANUNAVAIL");
    done();
    return () => {};
  }
  const startedAt = pbx.clock.now();
  const callee = callLeg(pbx, caller, `${tech}/${resource}`, resource);
  pbx.announce("dialBegin", callee, resource, caller);
  pbx.setState(callee, STATE.Ringing);
  pbx.deviceState(callee, "RINGING");
  if (ms) setDuration(pbx, caller, "RINGTIME", pbx.clock.now() - startedAt);
  pbx.announce("dialState", callee, "RINGING", caller);

  const ringLimitMs = (Number.parseInt(timeout) || 30) * 1000;
  let status = "CANCEL";
  /** What Dial() sets as it returns, then its 11 `Dial End`. */
  const returned = () => {
    const answeredAt = callee.answeredAt;
    if (answeredAt !== undefined) {
      const now = pbx.clock.now();
      setDuration(pbx, caller, "ANSWEREDTIME", now - answeredAt, ms);
      setDuration(pbx, caller, "DIALEDTIME", now - startedAt, ms);
    }
    pbx.setVariable(caller, "DIALSTATUS", status);
    pbx.announce("dialDone", caller, status);
  };
  const onCalleeGone = () => {
    if (caller.hungUp) return;
    pbx.leaveBridge(caller);
    returned();
    done();
  };
  const answer = pbx.after(Math.min(caller.ringMs ?? pbx.answerDelayMs, ringLimitMs), () => {
    status = "ANSWER";
    pbx.setState(callee, STATE.Up);
    pbx.deviceState(callee, "INUSE");
    // The answered leg's AppDial runs again with the extension cleared.
    callee.exten = "";
    pbx.announce("newexten", callee, "AppDial", "(Outgoing Line)");
    pbx.setVariable(caller, "DIALSTATUS", "ANSWER");
    pbx.setVariable(caller, "DIALEDPEERNAME", callee.name);
    pbx.setVariable(caller, "DIALEDPEERNUMBER", resource);
    pbx.announce("dialEnd", callee, "ANSWER", caller);
    if (pbx.profile.bridging === "loop") {
      // 11's app_dial names the peers before it answers the caller and enters the bridge loop.
      pbx.setVariable(caller, "BRIDGEPEER", callee.name);
      pbx.setVariable(callee, "BRIDGEPEER", caller.name);
      pbx.announce("newAccountCode", callee);
    }
    pbx.answer(caller);
    pbx.bridge(callee, caller);
    callee.hangupListeners.add(onCalleeGone);
  });
  return () => {
    answer();
    callee.hangupListeners.delete(onCalleeGone);
    returned();
    // Dial hangs up its own leg: no request, as captured.
    if (!callee.hungUp) pbx.drop(callee, 0);
  };
}

/**
 * The leg Dial() calls: Newchannel (Exten `s` on 12+), the SIP dialog's
 * Call-ID, DIALEDPEERNUMBER, then the number dialed as its caller id and the
 * caller as its connected line, shown in its AppDial Newexten.
 */
function callLeg(pbx: Pbx, caller: Channel, device: string, resource: string): Channel {
  const callee = pbx.newChannel({
    base: device,
    role: "endpoint",
    device,
    state: STATE.Down,
    context: "from-internal",
    exten: pbx.profile.bridging === "loop" ? "" : "s",
    linkedid: caller.linkedid,
  });
  if (isChanSip(callee)) openDialog(pbx, callee);
  // DIALEDPEERNUMBER's VarSet shows the extension cleared, the Newexten the number dialed.
  callee.exten = "";
  pbx.setVariable(callee, "DIALEDPEERNUMBER", resource);
  callee.callerIdNum = resource;
  callee.connectedNum = caller.callerIdNum;
  callee.connectedName = caller.callerIdName;
  callee.exten = resource;
  callee.running = { application: "AppDial", data: "(Outgoing Line)" };
  pbx.announce("newexten", callee, "AppDial", "(Outgoing Line)");
  pbx.announce("dialedIdentity", callee);
  return callee;
}

/** The variables Dial() clears as it starts, in its order. */
function resultVariables(ms: boolean): string[] {
  const timed = (name: string) => ms ? [name, `${name}_MS`] : [name];
  return [
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    ...timed("ANSWEREDTIME"),
    ...timed("DIALEDTIME"),
    ...(ms ? [...timed("RINGTIME"), ...timed("PROGRESSTIME")] : []),
  ];
}

/** A duration variable in whole seconds, and on 13+ its `_MS` twin. */
function setDuration(pbx: Pbx, channel: Channel, name: string, ms: number, withMs = true): void {
  pbx.setVariable(channel, name, String(Math.floor(ms / 1000)));
  if (withMs) pbx.setVariable(channel, `${name}_MS`, String(Math.round(ms)));
}
