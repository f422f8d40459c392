/**
 * Two proxies as one: a job started through proxy A is read, controlled and
 * hung up through proxy B, whose event stream carries its changes; and when
 * A is killed, B (which follows every job's call through its own AMI link)
 * answers for A's job, takes it over, and a proxy started afterwards finds
 * it in the database.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { type FleetProxy, startFleet } from "../_support/fleet.ts";
import { SseReader } from "../_support/sse.ts";
import { eventually } from "../_support/wait.ts";

const RECORDING = "20261124-101500-05551234567-201-1763979300.17";

function client(proxy: FleetProxy, token: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${proxy.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** The job's status through `proxy`, once it is `status`. */
function jobBecomes(call: ReturnType<typeof client>, id: string, status: string, what: string) {
  return eventually(async () => {
    const { status: code, body } = await call("GET", `/ami/jobs/${id}`);
    return code === 200 && body.job.status === status ? body.job : undefined;
  }, what);
}

Deno.test("a playback started on proxy A is paused, resumed and hung up on proxy B; B's stream shows it", async () => {
  await using fleet = await startFleet(2, { recordings: [RECORDING] });
  const [a, b] = fleet.proxies;
  const token = await fleet.token("qa", "qa-201", "201");
  const onA = client(a, token);
  const onB = client(b, token);
  const stream = await fetch(`${b.url}/ami/events`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assertEquals(stream.status, 200);
  const events = new SseReader(stream);

  const started = await onA("POST", "/ami/originate/playback", { recordingId: RECORDING });
  assertEquals(started.status, 202, JSON.stringify(started.body));
  const jobId: string = started.body.jobId;
  await jobBecomes(onB, jobId, "active", "B sees A's playback playing");

  const paused = await onB("POST", "/ami/control/playback", { jobId, control: "pause" });
  assertEquals([paused.status, paused.body.job.status], [200, "paused"]);
  await jobBecomes(onA, jobId, "paused", "A sees B's pause");
  const resumed = await onB("POST", "/ami/control/playback", { jobId, control: "resume" });
  assertEquals([resumed.status, resumed.body.job.status], [200, "active"]);
  const hungUp = await onB("POST", `/ami/jobs/${jobId}/hangup`);
  assertEquals(hungUp.status, 200, JSON.stringify(hungUp.body));
  await jobBecomes(onB, jobId, "ended", "ended on B");
  const onAEnded = await jobBecomes(onA, jobId, "ended", "ended on A");
  assert(onAEnded.timeline.some((t: { note: string }) => t.note === "paused"));

  const seen: string[] = [];
  while (!seen.includes("ended")) {
    const frame = await events.next(10_000);
    if (!frame) break;
    if (frame.event !== "job") continue;
    const data = JSON.parse(frame.data!);
    if (data.id === jobId && seen.at(-1) !== data.status) seen.push(data.status);
  }
  await events.cancel();
  for (const status of ["active", "paused", "ended"]) {
    assert(seen.includes(status), `B's stream carried ${status}: ${seen.join(", ")}`);
  }
  // Both proxies answered for one job: one playback reached the PBX.
  const playbacks = fleet.mock.pbx.channels.filter((c) =>
    c.running.application === "ControlPlayback"
  );
  assertEquals(playbacks.length, 0, "its call is gone");
});

Deno.test("proxy A killed: proxy B answers for A's listen, takes it over and hangs it up; a new proxy finds it", async () => {
  await using fleet = await startFleet(2, { extra: ["--fleet-dead-after", "1000"] });
  const [a, b] = fleet.proxies;
  const token = await fleet.token("supervisor", "sup-201", "201");
  const onA = client(a, token);
  const onB = client(b, token);
  const channels = await onA("GET", "/ami/channels");
  const target = channels.body.channels.find((c: { state: string; channel: string }) =>
    c.state === "Up" && !c.channel.startsWith("SIP/201-")
  );
  assert(target, "a call to listen to");
  const started = await onA("POST", "/ami/originate/listen", { targetChannel: target.channel });
  assertEquals(started.status, 202, JSON.stringify(started.body));
  const jobId: string = started.body.jobId;
  await jobBecomes(onB, jobId, "active", "B sees A's listen live");

  await a.kill();
  await eventually(
    () => Promise.resolve(/took over the live jobs/.test(b.stderr()) || undefined),
    "B takes over",
  );
  assertMatch(b.stderr(), new RegExp(jobId));
  const hungUp = await onB("POST", `/ami/jobs/${jobId}/hangup`);
  assertEquals(hungUp.status, 200, JSON.stringify(hungUp.body));
  const ended = await jobBecomes(onB, jobId, "ended", "B ended it");
  assertEquals(ended.pbx, "default");

  const c = await fleet.startProxy();
  const fromDb = await jobBecomes(client(c, token), jobId, "ended", "C reads it from the database");
  assertEquals(fromDb.timeline.length, ended.timeline.length);
});
