/**
 * A job acts only on its own call, known by Uniqueid: after the PBX restarts
 * (channel numbers start again) a stranger's call with the job's channel
 * name is never taken for the job's; a listen's target is checked before
 * anyone's phone rings; an Originate whose answer was lost with the link is
 * answered as what it is (outcome unknown, with the job that follows it)
 * and the job finds its call by Uniqueid after the reconnect. Real proxy,
 * real mock-ami, real TCP (through a relay that cuts the link at an exact
 * byte).
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { assertErrorAnswer, startTestProxy, timelineNotes } from "../_support/proxy.ts";
import type { AmiMessage } from "../../src/ami/mod.ts";
import { placeCall } from "../../src/pbx/calls.ts";
import { createMockAmi } from "../../src/pbx/mock_ami.ts";
import { waitFor } from "../_support/wait.ts";

Deno.test("a job after a PBX restart: a stranger's call with its channel's name is not its call", async () => {
  await using px = await startTestProxy({ relay: true });
  const target = await px.liveChannel();
  const { jobId, active: live } = await px.listenUntilActive(target);
  assertEquals(live.uniqueId, jobId, "the call's Uniqueid is the job id (ChannelId)");

  // The PBX restarts and numbers channels from the start again: before the proxy is back,
  // somebody else's call gets the very name the job's call had.
  const received: AmiMessage[] = [];
  const restarted = createMockAmi({
    users: [px.amiUser],
    calls: 0,
    answerDelayMs: 0,
    firstSequence: Number.parseInt(live.channel.split("-").at(-1), 16),
    onAction: (action) => received.push(action),
  });
  try {
    const { port } = await restarted.listen({ hostname: "127.0.0.1", port: 0 });
    placeCall(restarted.pbx, { from: live.channel.slice(4, 7), to: "209", ringMs: 0 });
    const stranger = restarted.pbx.findChannel(live.channel);
    assert(stranger, `the stranger's call is named ${live.channel} too`);
    assert(stranger.uniqueid !== jobId);

    await px.mock.close();
    px.relay!.retarget(port);
    const ended = await px.waitForJob(jobId, (j) => j.status === "ended", "the job to end");
    assertMatch(ended.timeline.at(-1).note, new RegExp(`Uniqueid ${jobId}\\) ended while`));
    assert(!timelineNotes(ended).some((n) => /still up/.test(n)), timelineNotes(ended).join(" / "));

    const from = received.length;
    const hangup = await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" });
    assertErrorAnswer(hangup, 409, "conflict");
    assertEquals(received.slice(from), [], "nothing was sent to the PBX");
    assertEquals(
      received.map((a) => a.get("Action")),
      ["Login", "ListCommands", "Status"],
      "the recheck looked the job's call up by Uniqueid",
    );
    assertEquals(received[2].get("Channel"), jobId);
    assert(restarted.pbx.findChannel(live.channel), "the stranger's call is still up");
    assertEquals(
      px.auditOf(hangup.requestId).map((r) => [r.outcome, r.status, r.jobId]),
      [["attempt", null, jobId], ["error", 409, jobId]],
    );
  } finally {
    await restarted.close();
  }
});

Deno.test("listen on a channel that is not live: 404 channel_not_found, audited, nothing rings", async (t) => {
  await using px = await startTestProxy();
  const live = await px.liveChannel();
  const cases = {
    "a channel that does not exist": "SIP/299-00000fff",
    // ChanSpy would match the prefix; the check is exact, as ChanSpy is pinned.
    "a prefix of a live channel": live.slice(0, live.indexOf("-")),
  };
  for (const [name, targetChannel] of Object.entries(cases)) {
    await t.step(name, async () => {
      const answer = await px.request("POST", "/ami/originate/listen", {
        role: "supervisor",
        json: { targetChannel },
      });
      assertErrorAnswer(answer, 404, "channel_not_found");
      assertMatch(answer.body.error.message, new RegExp(targetChannel.replace(/[/]/g, "\\/")));
      assertEquals(answer.sent, ["Status"], "no Originate");
      assertEquals(
        px.auditOf(answer.requestId).map((r) => [r.outcome, r.status, r.target]),
        [["attempt", null, targetChannel], ["error", 404, targetChannel]],
      );
    });
  }
});

Deno.test("listen whose target hangs up before ChanSpy starts: failed, target channel gone, the ringing phone hung up", async () => {
  await using px = await startTestProxy({ mock: { answerDelayMs: 60_000 } }); // nobody answers
  const target = await px.liveChannel();
  const started = await px.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: target },
  });
  const jobId = started.body.jobId;
  await px.waitForJob(jobId, (j) => j.channel !== null, "the listener's phone to ring");
  const from = px.actions.length;
  px.mock.pbx.hangup(px.mock.pbx.findChannel(target)!, 16);
  const failed = await px.waitForJob(jobId, (j) => j.status === "failed", "the job to fail");
  assertMatch(failed.timeline.at(-1).note, /^target channel gone: /);
  await waitFor(
    () => px.mock.pbx.findChannel(jobId) === undefined,
    "the listener's ringing call to be hung up",
  );
  assertEquals(px.actionsSince(from), ["Hangup"]);
  assertEquals(px.actions[from].get("Channel"), jobId, "by Uniqueid");
});

Deno.test("an Originate whose answer is lost with the link: 504 outcome_unknown with the job, found by Uniqueid after the reconnect", async () => {
  await using px = await startTestProxy({ relay: true });
  const target = await px.liveChannel();
  // The Originate reaches the PBX, then the link drops before its answer.
  const cut = px.relay!.cutAfter(/Action: Originate/, { forward: true });
  const answer = await px.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: target },
  });
  await cut;
  assertEquals(answer.status, 504, JSON.stringify(answer.body));
  assertEquals(answer.body.error.code, "outcome_unknown");
  const jobId = answer.body.error.jobId;
  assertMatch(jobId, /^job_/);
  assertMatch(answer.body.error.message, /may exist/);
  assertEquals(
    px.auditOf(answer.requestId).map((r) => [r.outcome, r.status, r.jobId]),
    [["attempt", null, null], ["error", 504, jobId]],
  );

  const found = await px.waitForJob(jobId, (j) => j.status === "active", "the call to be found");
  assert(found.timeline.some((t: { status: string }) => t.status === "unknown"), "was unknown");
  assertMatch(
    found.timeline.at(-1).note,
    new RegExp(`found after the reconnect by Uniqueid ${jobId}`),
  );
  assertEquals(px.actions.filter((a) => a.get("Action") === "Originate").length, 1, "one call");

  const hangup = await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" });
  assertEquals(hangup.status, 200);
  await px.waitForJob(jobId, (j) => j.status === "ended", "the call to end");
  assertEquals(px.mock.pbx.findChannel(jobId), undefined);
});

Deno.test("an Originate lost before it reached the PBX: 504, then failed: no call with the job's Uniqueid", async () => {
  await using px = await startTestProxy({ relay: true });
  const target = await px.liveChannel();
  const cut = px.relay!.cutAfter(/Action: Originate/, { forward: false });
  const answer = await px.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: target },
  });
  await cut;
  assertEquals([answer.status, answer.body.error.code], [504, "outcome_unknown"]);
  const jobId = answer.body.error.jobId;
  const during = await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" });
  if (during.status !== 503) assertErrorAnswer(during, 409, "conflict"); // unknown, or link down
  const failed = await px.waitForJob(jobId, (j) => j.status === "failed", "the job to fail");
  assertMatch(failed.timeline.at(-1).note, new RegExp(`no call with Uniqueid ${jobId}`));
  assertEquals(px.actions.filter((a) => a.get("Action") === "Originate"), []);
});
