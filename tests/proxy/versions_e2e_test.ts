/**
 * The same proxy against `mock-ami --asterisk` 11, 13, 16, 18, 20 and 22:
 * a listen (on a SIP call and on a Local channel) goes active on its
 * ChanSpyStart and ends on hangup with the version's own ChanSpyStop; a
 * listen still ringing is hung up by its call's Uniqueid (ChannelId on 12+,
 * the tag's VarSet on 11); a playback pauses, resumes and stops where the
 * version has ControlPlayback, and on 11 refuses those controls with 501
 * and stops by hanging up.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { ASTERISK_MAJORS, type AsteriskMajor } from "../../src/ami/versions.ts";
import { asteriskProfile } from "../../src/ami/profiles.ts";
import { originate } from "../../src/pbx/originate.ts";
import { RECORDINGS, startTestProxy, type TestProxy, timelineNotes } from "../_support/proxy.ts";

/** A Local call up on the PBX (`Local/203@calls`, answered, waiting): its `;1` half. */
async function localCall(px: TestProxy): Promise<string> {
  const result = await originate(px.mock.pbx, {
    channel: "Local/203@calls",
    target: { application: "Wait", data: "600" },
    timeoutMs: 30_000,
  });
  assert(result.ok, "the Local call is up");
  return result.channel.name;
}

async function listenAndHangUp(px: TestProxy, asterisk: AsteriskMajor, target: string) {
  const { jobId, active } = await px.listenUntilActive(target);
  assert(
    timelineNotes(active).includes(`listening to ${target}`),
    timelineNotes(active).join(" | "),
  );
  const spy = px.actions.find((a) =>
    a.get("Action") === "Originate" && a.get("Variable") === `ASTRIX_JOB=${jobId}`
  )!;
  // 13+: pinned by Uniqueid with `u`; 11 (no `u`): the full name Status found live.
  const pinned = asteriskProfile(asterisk).chanSpyExactOption;
  const data = spy.get("Data")!;
  if (pinned) assertEquals(data.endsWith(",qESu"), true, data);
  else assertEquals(data, `${target},qES`);
  assertEquals(spy.get("ChannelId"), pinned ? jobId : undefined);
  const hangup = await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" });
  assertEquals(hangup.status, 200, JSON.stringify(hangup.body));
  const ended = await px.waitForJob(jobId, (j) => j.status === "ended", "the listen ended");
  assert(
    timelineNotes(ended).includes(`stopped listening to ${target}`),
    `the version's ChanSpyStop is read: ${timelineNotes(ended).join(" | ")}`,
  );
  assertEquals(ended.uniqueId, active.uniqueId);
}

for (const asterisk of ASTERISK_MAJORS) {
  Deno.test(`proxy against mock-ami --asterisk ${asterisk}: listen on a SIP call and on a Local channel, then hang up`, async () => {
    await using px = await startTestProxy({ mock: { asterisk } });
    const sip = await px.liveChannel();
    assert(/^SIP\/\d+-[0-9a-f]{8}$/.test(sip), sip);
    // The list reads the same on every version (11: UniqueID, CallerIDnum, no Linkedid).
    const listed = await px.request("GET", "/ami/channels", { role: "supervisor" });
    // deno-lint-ignore no-explicit-any
    const row = listed.body.channels.find((c: any) => c.channel === sip);
    assertEquals(row.uniqueId, px.mock.pbx.findChannel(sip)!.uniqueid);
    assertEquals([row.state, typeof row.callerIdNum], ["Up", "string"]);
    await listenAndHangUp(px, asterisk, sip);
    await listenAndHangUp(px, asterisk, await localCall(px));
  });

  Deno.test(`proxy against mock-ami --asterisk ${asterisk}: a listen still ringing is hung up by its call's Uniqueid`, async () => {
    await using px = await startTestProxy({ mock: { asterisk, answerDelayMs: 60_000 } });
    const started = await px.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: await px.liveChannel() },
    });
    assertEquals(started.status, 202);
    const jobId = started.body.jobId;
    const ringing = await px.waitForJob(jobId, (j) => j.uniqueId !== null, "the call known");
    assertEquals(ringing.status, "dialing");
    const call = px.mock.pbx.findChannel(ringing.uniqueId)!;
    assertEquals(call.name, ringing.channel, "the job's Uniqueid is its own call's");
    const from = px.actions.length;
    const hangup = await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" });
    assertEquals(hangup.status, 200, JSON.stringify(hangup.body));
    assertEquals(px.actions.slice(from).map((a) => a.get("Channel")), [ringing.uniqueId]);
    await px.waitForJob(jobId, (j) => j.status === "ended", "the job ended");
  });

  Deno.test(`proxy against mock-ami --asterisk ${asterisk}: playback controls as the version allows`, async () => {
    await using px = await startTestProxy({ mock: { asterisk }, recordings: "folder" });
    const started = await px.request("POST", "/ami/originate/playback", {
      role: "qa",
      json: { recordingId: RECORDINGS.notOf205 },
    });
    assertEquals(started.status, 202, JSON.stringify(started.body));
    const jobId = started.body.jobId;
    await px.waitForJob(jobId, (j) => j.status === "active", "the playback playing");
    const control = (what: string) =>
      px.request("POST", "/ami/control/playback", { role: "qa", json: { jobId, control: what } });
    if (asteriskProfile(asterisk).controlPlaybackAction) {
      for (const [what, status] of [["pause", "paused"], ["resume", "active"]]) {
        assertEquals((await control(what)).status, 200);
        await px.waitForJob(jobId, (j) => j.status === status, `the playback ${status}`);
      }
    } else {
      for (const what of ["pause", "resume", "forward", "reverse", "restart"]) {
        const from = px.actions.length;
        const refused = await control(what);
        assertEquals(refused.status, what === "resume" ? 409 : 501, JSON.stringify(refused.body));
        if (what === "resume") continue; // not paused: the state is checked first
        assertEquals(refused.body.error.code, "not_supported_by_pbx");
        assert(refused.body.error.message.includes("Asterisk 11"), refused.body.error.message);
        assertEquals(px.actionsSince(from), [], "nothing sent to the PBX");
      }
    }
    const from = px.actions.length;
    assertEquals((await control("stop")).status, 200);
    const sent = px.actionsSince(from);
    assertEquals(
      sent,
      asteriskProfile(asterisk).controlPlaybackAction ? ["ControlPlayback"] : ["Hangup"],
    );
    await px.waitForJob(jobId, (j) => j.status === "ended", "the playback over");
  });
}
