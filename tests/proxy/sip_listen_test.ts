/**
 * A listen through the proxy on a real-shaped SIP call, against
 * `mock-ami --asterisk` 11 and 18, the versions of the 30-sip-call-chanspy
 * captures: phone 202 registers, 203 calls it, a supervisor listens to
 * `SIP/202-…`, hangs the listen up, then 203 is hung up. The proxy's job goes
 * active on ChanSpyStart and ends with the version's ChanSpyStop (11's
 * `Cause: 64` unbridge of the call is not taken for its end), and the events
 * its stream relays for the two call legs, from the ChanSpyStart on, come in
 * the order the capture shows for the same legs.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { type AsteriskMajor } from "../../src/ami/versions.ts";
import { AmiMessage } from "../../src/ami/message.ts";
import { placeCall } from "../../src/pbx/calls.ts";
import { phoneAddress, registerPhone } from "../../src/pbx/sip.ts";
import { CAPTURE_SETS, expectedMessages, listCaptures } from "../_support/transcripts.ts";
import { startTestProxy, timelineNotes } from "../_support/proxy.ts";
import { SseReader } from "../_support/sse.ts";
import { eventually } from "../_support/wait.ts";

/** RTP timing noise the mock does not make (see tests/pbx/sip_call_test.ts). */
const NOISE = new Set(["RTCPSent"]);

/** An event's fields (a repeated key, as Variable on Status, holds a list). */
type Fields = Record<string, string | string[]>;

/** An event as compared: its name, and a VarSet's variable or a request's cause. */
function step(event: Fields): string {
  if (event.Event === "VarSet") return `VarSet ${event.Variable}`;
  if (event.Event === "SoftHangupRequest") return `SoftHangupRequest ${event.Cause}`;
  return String(event.Event);
}

/** The call legs' events in a capture from its ChanSpyStart on, per leg (`SIP/202`, `SIP/203`). */
function capturedAfterSpy(asterisk: AsteriskMajor): Record<string, string[]> {
  const set = CAPTURE_SETS.find((s) => s.asterisk === asterisk)!;
  const capture = listCaptures(set.root).find((c) => c.scenario === "30-sip-call-chanspy")!;
  const messages = expectedMessages(capture).messages.map((m) => new AmiMessage(m));
  const from = messages.findIndex((m) => m.name === "ChanSpyStart");
  return legsOf(messages.slice(from).filter((m) => m.kind === "event").map((m) => m.toObject()));
}

function legsOf(events: Fields[]): Record<string, string[]> {
  const legs: Record<string, string[]> = { "SIP/202": [], "SIP/203": [] };
  for (const event of events) {
    if (NOISE.has(String(event.Event))) continue;
    const leg = Object.keys(legs).find((l) => String(event.Channel).startsWith(`${l}-`));
    if (leg) legs[leg].push(step(event));
  }
  return legs;
}

for (const asterisk of [11, 18] as const) {
  Deno.test(`proxy against mock-ami --asterisk ${asterisk}: a listen on SIP/202-… follows the order of the real SIP call`, async () => {
    await using px = await startTestProxy({ mock: { asterisk, calls: 0 } });
    const pbx = px.mock.pbx;
    const events = new SseReader(
      (await px.open("GET", "/ami/events?event=ami", { role: "admin" })).response,
    );
    registerPhone(pbx, { ext: "202", address: phoneAddress("202") });
    placeCall(pbx, { from: "203", to: "202", callerName: "Caller 203", ringMs: 50 });
    const callee = await eventually(
      () => Promise.resolve(pbx.channels.find((c) => c.name.startsWith("SIP/202-") && c.bridge)),
      "203's call to 202 bridged",
    );
    const caller = callee.bridgedWith!;

    const { jobId, active } = await px.listenUntilActive(callee.name);
    assert(
      timelineNotes(active).includes(`listening to ${callee.name}`),
      timelineNotes(active).join(" | "),
    );
    assertEquals(
      (await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" }))
        .status,
      200,
    );
    const ended = await px.waitForJob(jobId, (j) => j.status === "ended", "the listen ended");
    assert(
      timelineNotes(ended).includes(`stopped listening to ${callee.name}`),
      timelineNotes(ended).join(" | "),
    );
    // The call itself went on through the listen (11 broke its bridge loop with Cause 64).
    assert(!callee.hungUp && !caller.hungUp, "the spied-on call is still up");
    pbx.hangup(caller, 0);

    const relayed: Fields[] = [];
    let spying = false;
    const gone = (c: { name: string }) =>
      relayed.some((e) => e.Event === "Hangup" && e.Channel === c.name);
    while (!gone(callee) || !gone(caller)) {
      const frame = await events.until((f) => f.event === "ami");
      const event = JSON.parse(frame.data!);
      const ami = { ...event, Event: event.event };
      spying ||= ami.Event === "ChanSpyStart" && ami.SpyeeChannel === callee.name;
      if (spying) relayed.push(ami);
    }
    await events.cancel();
    assertEquals(legsOf(relayed), capturedAfterSpy(asterisk));
  });
}
