/**
 * One proxy in front of two PBXs (two mock-amis built alike, so that channel
 * names and Uniqueids are the same on both): channels listed with their PBX,
 * a listen acting on the PBX it names and only there, its job, events and
 * audit rows naming it, and one PBX down leaving the other served.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { SseReader } from "../_support/sse.ts";
import { CALLERS } from "../_support/proxy.ts";
import { startTwoPbxProxy, type TwoPbxProxy } from "./two_pbxs.ts";

/** The PBX named in each audit row's detail, with the row's outcome. */
function rowsByPbx(pbxs: TwoPbxProxy, requestId: string): string[] {
  return pbxs.auditOf(requestId)
    .map((row) => `${row.outcome} ${JSON.parse(row.detail ?? "{}").pbx}`).sort();
}

Deno.test("a proxy in front of two PBXs lists each one's channels under its name, each listed by its own audited CoreShowChannels", async () => {
  await using pbxs = await startTwoPbxProxy();
  const all = await pbxs.request("GET", "/ami/channels", { role: "supervisor" });
  assertEquals(all.status, 200, JSON.stringify(all.body));
  const names = (pbx: string) =>
    all.body.channels.filter((c: { pbx: string }) => c.pbx === pbx)
      .map((c: { channel: string }) => c.channel);
  assert(names("floor1").length > 0, "floor1 has calls");
  assertEquals(names("floor2"), names("floor1"), "alike PBXs: the same names on both");
  assertEquals(all.body.unavailable, undefined);
  assertEquals(all.sent, { floor1: ["CoreShowChannels"], floor2: ["CoreShowChannels"] });
  assertEquals(rowsByPbx(pbxs, all.requestId), [
    "attempt floor1",
    "attempt floor2",
    "ok floor1",
    "ok floor2",
  ]);

  const one = await pbxs.request("GET", "/ami/channels?pbx=floor2", { role: "supervisor" });
  assertEquals(one.status, 200);
  assert(one.body.channels.length > 0);
  assert(one.body.channels.every((c: { pbx: string }) => c.pbx === "floor2"));
  assertEquals(one.sent, { floor1: [], floor2: ["CoreShowChannels"] });
  assertEquals(rowsByPbx(pbxs, one.requestId), ["attempt floor2", "ok floor2"]);
});

Deno.test("a listen acts on the PBX it names and only there: its Originate, job, events, audit rows and hangup", async () => {
  await using pbxs = await startTwoPbxProxy();
  const target = await pbxs.liveChannel("floor2");
  assertEquals(await pbxs.liveChannel("floor1"), target, "the same channel name on floor1");
  const token = await pbxs.token({ ...CALLERS.supervisor, role: "supervisor" });
  const events = new SseReader(
    await contractFetch(`${pbxs.url}/ami/events?event=job,ChanSpyStart`, {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  try {
    await events.next(); // retry:
    const listen = await pbxs.request("POST", "/ami/originate/listen", {
      token,
      json: { targetChannel: target, pbx: "floor2" },
    });
    assertEquals(listen.status, 202, JSON.stringify(listen.body));
    assertEquals(listen.body.job.pbx, "floor2");
    assertEquals(listen.sent, { floor1: [], floor2: ["Status", "Originate"] });
    const originate = pbxs.actions.floor2.findLast((a) => a.get("Action") === "Originate")!;
    assertEquals(originate.get("Channel"), `SIP/${CALLERS.supervisor.ext}`);
    assertEquals(rowsByPbx(pbxs, listen.requestId), ["attempt floor2", "ok floor2"]);
    const jobId: string = listen.body.jobId;

    // The job goes active on the ChanSpyStart, and its event comes first.
    const active = await events.until((f) =>
      f.event === "job" && JSON.parse(f.data!).id === jobId &&
      JSON.parse(f.data!).status === "active"
    );
    assertEquals(JSON.parse(active.data!).pbx, "floor2");
    const spy = await events.until((f) => f.event === "ami");
    assertEquals([JSON.parse(spy.data!).event, JSON.parse(spy.data!).pbx], [
      "ChanSpyStart",
      "floor2",
    ]);

    const read = await pbxs.request("GET", `/ami/jobs/${jobId}`, { token });
    assertEquals([read.body.job.pbx, read.body.job.status], ["floor2", "active"]);
    assertEquals(rowsByPbx(pbxs, read.requestId), ["ok floor2"]);

    const hangup = await pbxs.request("POST", `/ami/jobs/${jobId}/hangup`, { token });
    assertEquals(hangup.status, 200, JSON.stringify(hangup.body));
    assertEquals(hangup.sent, { floor1: [], floor2: ["Hangup"] });
    assertEquals(rowsByPbx(pbxs, hangup.requestId), ["attempt floor2", "ok floor2"]);
    await pbxs.waitForJob(jobId, (job) => job.status === "ended", "the floor2 listen ended");

    const other = await pbxs.request("POST", "/ami/originate/listen", {
      token,
      json: { targetChannel: target, pbx: "floor1" },
    });
    assertEquals(other.status, 202, JSON.stringify(other.body));
    assertEquals(other.body.job.pbx, "floor1");
    assertEquals(other.sent, { floor1: ["Status", "Originate"], floor2: [] });
    await pbxs.waitForJob(other.body.jobId, (job) => job.status === "active", "floor1 listen live");
  } finally {
    await events.cancel();
  }
});

Deno.test("with several PBXs a listen or playback must name a PBX of this proxy: 400 naming them, nothing sent, no row", async () => {
  await using pbxs = await startTwoPbxProxy();
  const target = await pbxs.liveChannel("floor1");
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "/ami/originate/listen",
      { targetChannel: target },
      /several PBXs: name one in pbx \(floor1, floor2\)/,
    ],
    [
      "/ami/originate/listen",
      { targetChannel: target, pbx: "floor9" },
      /No PBX is named "floor9" here: name one of floor1, floor2/,
    ],
    ["/ami/originate/listen", { targetChannel: target, pbx: "Floor 1" }, /pbx: must be a PBX name/],
    ["/ami/originate/playback", { recordingId: "r1" }, /several PBXs: name one in pbx/],
  ];
  for (const [path, json, message] of cases) {
    const answer = await pbxs.request("POST", path, { role: "admin", json });
    const where = `${path} ${JSON.stringify(json)}: ${JSON.stringify(answer.body)}`;
    assertEquals([answer.status, answer.body.error.code, answer.body.error.field], [
      400,
      "bad_request",
      "pbx",
    ], where);
    assertMatch(answer.body.error.message, message, where);
    assertEquals(answer.sent, { floor1: [], floor2: [] }, where);
    assertEquals(pbxs.auditOf(answer.requestId), [], where);
  }
  const unknown = await pbxs.request("GET", "/ami/channels?pbx=floor9", { role: "admin" });
  assertEquals([unknown.status, unknown.body.error.field], [400, "pbx"]);
});

Deno.test("one PBX down leaves the other served, and /readyz, /status and /metrics say which is down", async () => {
  await using pbxs = await startTwoPbxProxy();
  await pbxs.stopPbx("floor2");
  const readyz = await pbxs.readyzWhen((body) => !body.pbxs.floor2.ami, "floor2 seen down");
  assertEquals([readyz.status, readyz.body.ready, readyz.body.ami], [200, true, false]);
  assertEquals(readyz.body.pbxs.floor1.ready, true);
  assertEquals(readyz.body.pbxs.floor2.ready, false);
  assertMatch(readyz.body.pbxs.floor2.problem, /^not logged in to AMI/);
  assertEquals(readyz.body.pbxs.floor1.problem, undefined);

  const channels = await pbxs.request("GET", "/ami/channels", { role: "supervisor" });
  assertEquals(channels.status, 200, JSON.stringify(channels.body));
  assert(channels.body.channels.length > 0);
  assert(channels.body.channels.every((c: { pbx: string }) => c.pbx === "floor1"));
  assertEquals(channels.body.unavailable.map((u: { pbx: string }) => u.pbx), ["floor2"]);
  assertMatch(channels.body.unavailable[0].error, /"floor2" is not connected/);
  assertEquals(rowsByPbx(pbxs, channels.requestId), ["attempt floor1", "ok floor1"]);

  const target = await pbxs.liveChannel("floor1");
  const down = await pbxs.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: target, pbx: "floor2" },
  });
  assertEquals([down.status, down.body.error.code], [503, "ami_unavailable"]);
  assertMatch(down.body.error.message, /"floor2" is not connected/);
  assertEquals(down.sent, { floor1: [], floor2: [] });
  const up = await pbxs.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: target, pbx: "floor1" },
  });
  assertEquals(up.status, 202, JSON.stringify(up.body));
  await pbxs.waitForJob(up.body.jobId, (job) => job.status === "active", "the floor1 listen live");

  const status = await pbxs.request("GET", "/status", { role: "admin" });
  assertEquals(status.status, 200);
  assertEquals(status.body.ami.connected, false);
  assertEquals(status.body.ami.pbx, null, "no one identity for two PBXs");
  assertEquals(status.body.pbxs.floor1.connected, true);
  assertEquals(status.body.pbxs.floor1.pbx.asterisk, 22);
  assertEquals(status.body.pbxs.floor2.connected, false);
  assertMatch(status.body.pbxs.floor2.problem, /^not logged in to AMI/);

  const metrics = await (await fetch(`${pbxs.url}/metrics`)).text();
  assertMatch(metrics, /^astrix_ami_connected\{pbx="floor1"\} 1$/m);
  assertMatch(metrics, /^astrix_ami_connected\{pbx="floor2"\} 0$/m);
  assertMatch(metrics, /^astrix_ami_events_total\{pbx="floor1"\} [1-9]/m);

  await pbxs.stopPbx("floor1");
  const none = await pbxs.readyzWhen((body) => !body.pbxs.floor1.ami, "floor1 seen down too");
  assertEquals([none.status, none.body.ready], [503, false]);
  const nothing = await pbxs.request("GET", "/ami/channels", { role: "supervisor" });
  assertEquals([nothing.status, nothing.body.error.code], [503, "ami_unavailable"]);
});
