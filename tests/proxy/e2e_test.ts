/**
 * The proxy end to end over real HTTP against a real mock-ami over real TCP:
 * listen and playback jobs through their states, the live event stream,
 * and an AMI link that is down at start or drops mid-job.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { SseReader } from "../_support/sse.ts";
import { eventually, unusedPort } from "../_support/wait.ts";
import { nullLogger } from "../../src/log.ts";
import { createMockAmi, type MockAmi } from "../../src/pbx/mock_ami.ts";
import { type ProxyConfig, type RunningProxy, startProxy } from "../../src/proxy/proxy.ts";
import { signToken } from "../../src/proxy/tokens.ts";
import { wavHeader } from "../../src/recordings/wav.ts";
import type { Role } from "../../src/proxy/roles.ts";

const SECRET = new TextEncoder().encode("e2e-secret-0123456789abcdef0123456789");
const AMI_USER = { username: "proxy", secret: "s3cret", read: ["all"], write: ["all"] };

async function token(sub: string, role: Role, ext?: string): Promise<string> {
  return await signToken(SECRET, { sub, role, ext });
}

async function startMock(
  port = 0,
  user: typeof AMI_USER = AMI_USER,
  answerDelayMs = 50,
): Promise<{ mock: MockAmi; port: number }> {
  const mock = createMockAmi({ users: [user], calls: 2, answerDelayMs });
  const addr = await mock.listen({ hostname: "127.0.0.1", port });
  return { mock, port: addr.port };
}

function config(amiPort: number, overrides: Partial<ProxyConfig> = {}): ProxyConfig {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-proxy-e2e-" });
  return {
    host: "127.0.0.1",
    port: 0,
    backend: { kind: "ami", host: "127.0.0.1", port: amiPort, ...AMI_USER },
    auditDb: `${dir}/audit.db`,
    auditKeyFile: `${dir}/audit.key`,
    auth: { kind: "hs256", secret: SECRET },
    logger: nullLogger,
    ...overrides,
  };
}

/** A small client of the proxy for one caller. */
function client(proxy: RunningProxy, bearer: string) {
  const headers = { authorization: `Bearer ${bearer}`, "content-type": "application/json" };
  return {
    get: (path: string, extra: Record<string, string> = {}) =>
      fetch(`${proxy.url}${path}`, { headers: { ...headers, ...extra } }),
    post: (path: string, body: unknown = {}) =>
      fetch(`${proxy.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) }),
    async job(id: string) {
      return (await (await this.get(`/ami/jobs/${id}`)).json()).job;
    },
  };
}

async function ready(proxy: RunningProxy, expected = true): Promise<void> {
  await eventually(async () => {
    const response = await fetch(`${proxy.url}/readyz`);
    const body = await response.json();
    return body.ami === expected ? true : undefined;
  }, `readyz ami=${expected}`);
}

async function liveTarget(c: ReturnType<typeof client>): Promise<string> {
  const { channels } = await (await c.get("/ami/channels")).json();
  const target = channels.find((ch: { state: string; channel: string }) =>
    ch.state === "Up" && !ch.channel.startsWith("SIP/201-")
  );
  assert(target, "a live call to listen to");
  return target.channel;
}

Deno.test("proxy e2e: a listen goes queued → dialing → active on ChanSpyStart and ends on hangup, seen on SSE", async () => {
  const { mock, port } = await startMock();
  const proxy = await startProxy(config(port, { heartbeatMs: 0 }));
  try {
    await ready(proxy);
    const sup = client(proxy, await token("sup-1", "supervisor", "201"));
    const events = new SseReader(await sup.get("/ami/events"));
    assertEquals((await events.next())?.retry, "3000");
    const target = await liveTarget(sup);
    const started = await sup.post("/ami/originate/listen", { targetChannel: target });
    assertEquals(started.status, 202);
    const { jobId } = await started.json();
    assertMatch(jobId, /^job_[A-Za-z0-9_-]{22}$/);

    const active = await eventually(async () => {
      const job = await sup.job(jobId);
      return job.status === "active" ? job : undefined;
    }, "the listen to be active");
    assertMatch(active.channel, /^SIP\/201-[0-9a-f]{8}$/);
    assertEquals(active.timeline.map((t: { status: string }) => t.status).slice(0, 2), [
      "queued",
      "dialing",
    ]);

    assertEquals((await sup.post(`/ami/jobs/${jobId}/hangup`)).status, 200);
    const ended = await eventually(async () => {
      const job = await sup.job(jobId);
      return job.status === "ended" ? job : undefined;
    }, "the listen to end");
    assert(ended.endedAt !== null);

    // The event stream told the same story, in order, with increasing ids.
    const states: string[] = [];
    let lastId = 0;
    while (!states.includes("ended")) {
      const frame = await events.until((f) => f.event === "job");
      assert(Number(frame.id) > lastId);
      lastId = Number(frame.id);
      const job = JSON.parse(frame.data!);
      if (job.id === jobId && states.at(-1) !== job.status) states.push(job.status);
    }
    assertEquals(states, ["queued", "dialing", "active", "ended"]);
    await events.cancel();
  } finally {
    await proxy.close();
    await mock.close();
  }
});

Deno.test("proxy e2e: a listen still ringing can be hung up (the channel is known from Newchannel)", async () => {
  const { mock, port } = await startMock(0, AMI_USER, 60_000); // nobody answers
  const proxy = await startProxy(config(port));
  try {
    await ready(proxy);
    const sup = client(proxy, await token("sup-1", "supervisor", "201"));
    const { jobId } = await (await sup.post("/ami/originate/listen", {
      targetChannel: await liveTarget(sup),
    })).json();
    const ringing = await eventually(async () => {
      const job = await sup.job(jobId);
      return job.channel ? job : undefined;
    }, "the ringing channel");
    assertEquals(ringing.status, "dialing");
    assertEquals(mock.pbx.findChannel(jobId)?.name, ringing.channel, "the uniqueid is the job id");
    assertEquals((await sup.post(`/ami/jobs/${jobId}/hangup`)).status, 200);
    const ended = await eventually(async () => {
      const job = await sup.job(jobId);
      return job.status === "ended" ? job : undefined;
    }, "the job to end");
    assertMatch(ended.timeline.at(-1).note, /hung up/);
    assertEquals(mock.pbx.findChannel(jobId), undefined);
  } finally {
    await proxy.close();
    await mock.close();
  }
});

Deno.test("proxy e2e: the manager.conf classes the docs give (read call; write call, originate, reporting) are enough", async () => {
  const least = { ...AMI_USER, read: ["call"], write: ["call", "originate", "reporting"] };
  const { mock, port } = await startMock(0, least);
  const proxy = await startProxy(config(port));
  try {
    await ready(proxy);
    const admin = client(proxy, await token("admin-1", "admin", "202"));
    const target = await liveTarget(admin); // CoreShowChannels: reporting
    const { jobId } = await (await admin.post("/ami/originate/listen", { targetChannel: target }))
      .json(); // Originate: originate
    await eventually(
      async () => (await admin.job(jobId)).status === "active" || undefined,
      "active",
    ); // events: call
    assertEquals((await admin.post(`/ami/jobs/${jobId}/hangup`)).status, 200); // Hangup: call
    await eventually(async () => (await admin.job(jobId)).status === "ended" || undefined, "ended");
  } finally {
    await proxy.close();
    await mock.close();
  }
});

Deno.test("proxy e2e: a playback plays, pauses, resumes (pause toggles) and stops", async () => {
  const { mock, port } = await startMock();
  const recordings = Deno.makeTempDirSync({ prefix: "astrix-proxy-rec-" });
  const id = "20261124-101500-05551234567-205-1763979300.17";
  Deno.writeFileSync(
    `${recordings}/${id}.wav`,
    wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 16000 }),
  );
  const proxy = await startProxy(
    config(port, { recordings, spoolDir: "/var/spool/asterisk/monitor" }),
  );
  try {
    await ready(proxy);
    const qa = client(proxy, await token("qa-1", "qa", "201"));
    const started = await qa.post("/ami/originate/playback", { recordingId: id });
    assertEquals(started.status, 202);
    const { jobId } = await started.json();
    await eventually(async () => (await qa.job(jobId)).status === "active" || undefined, "playing");
    const job = await qa.job(jobId);
    const channel = mock.pbx.findChannel(job.channel);
    assert(channel, "the PBX has the playback channel");
    assertEquals(channel.running.application, "ControlPlayback");
    assertEquals(channel.running.data, `/var/spool/asterisk/monitor/${id},3000`);

    for (const [control, status] of [["pause", "paused"], ["resume", "active"]] as const) {
      const response = await qa.post("/ami/control/playback", { jobId, control });
      assertEquals(response.status, 200, control);
      assertEquals((await response.json()).job.status, status);
    }
    const again = await qa.post("/ami/control/playback", { jobId, control: "resume" });
    assertEquals(again.status, 409, "resume while playing");
    assertEquals((await again.json()).error.code, "conflict");

    assertEquals((await qa.post("/ami/control/playback", { jobId, control: "stop" })).status, 200);
    await eventually(async () => (await qa.job(jobId)).status === "ended" || undefined, "stopped");
  } finally {
    await proxy.close();
    await mock.close();
  }
});

Deno.test("proxy e2e: AMI down at start, then up; dropped mid-job, then back: no crash, readyz follows, jobs updated", async () => {
  const amiPort = unusedPort();
  const proxy = await startProxy(config(amiPort));
  let mock: MockAmi | undefined;
  try {
    const sup = client(proxy, await token("sup-1", "supervisor", "201"));
    await ready(proxy, false);
    const refused = await sup.post("/ami/originate/listen", { targetChannel: "SIP/202-00000001" });
    assertEquals(refused.status, 503);
    assertEquals((await refused.json()).error.code, "ami_unavailable");
    assertEquals((await fetch(`${proxy.url}/readyz`)).status, 503);

    mock = (await startMock(amiPort)).mock;
    await ready(proxy, true);
    const target = await liveTarget(sup);
    const { jobId } = await (await sup.post("/ami/originate/listen", { targetChannel: target }))
      .json();
    await eventually(async () => (await sup.job(jobId)).status === "active" || undefined, "active");

    await mock.close(); // the PBX goes away mid-job
    await ready(proxy, false);
    await eventually(async () => {
      const job = await sup.job(jobId);
      return job.timeline.some((t: { note: string }) => t.note.startsWith("AMI connection lost"))
        ? true
        : undefined;
    }, "the job to be marked");

    mock = (await startMock(amiPort)).mock; // a restarted PBX: the old call is gone
    await ready(proxy, true);
    const ended = await eventually(async () => {
      const job = await sup.job(jobId);
      return job.status === "ended" ? job : undefined;
    }, "the job to end after the reconnect");
    assertMatch(ended.timeline.at(-1).note, /ended while the AMI connection was down/);

    const next = await sup.post("/ami/originate/listen", { targetChannel: await liveTarget(sup) });
    assertEquals(next.status, 202, "new jobs work after the reconnect");
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    assertMatch(metrics, /astrix_ami_reconnects_total [1-9]/);
    assertMatch(metrics, /astrix_ami_connected 1/);
  } finally {
    await proxy.close();
    await mock?.close();
  }
});

Deno.test("proxy e2e: Last-Event-ID resumes the event stream with nothing lost or repeated", async () => {
  const { mock, port } = await startMock();
  const proxy = await startProxy(config(port, { heartbeatMs: 0 }));
  try {
    await ready(proxy);
    const admin = client(proxy, await token("admin-1", "admin", "202"));
    const first = new SseReader(await admin.get("/ami/events?event=job"));
    await first.next(); // retry
    const target = await liveTarget(admin);
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { jobId } = await (await admin.post("/ami/originate/listen", { targetChannel: target }))
        .json();
      jobs.push(jobId);
    }
    // Read two job events, then drop the connection.
    const seen = [
      await first.until((f) => f.event === "job"),
      await first.until((f) => f.event === "job"),
    ];
    await first.cancel();
    for (const jobId of jobs) {
      await eventually(
        async () => (await admin.job(jobId)).status === "active" || undefined,
        "active",
      );
      assertEquals((await admin.post(`/ami/jobs/${jobId}/hangup`)).status, 200);
    }
    for (const jobId of jobs) {
      await eventually(
        async () => (await admin.job(jobId)).status === "ended" || undefined,
        "ended",
      );
    }
    // Resume: exactly the job events after the last one seen, then live ones.
    const resumed = new SseReader(
      await admin.get("/ami/events?event=job", { "last-event-id": seen[1].id! }),
    );
    await resumed.next(); // retry
    const replayed: number[] = [];
    for (;;) {
      const frame = await resumed.next(1_000).catch(() => undefined);
      if (!frame) break;
      if (frame.event === "job") replayed.push(Number(frame.id));
    }
    await resumed.cancel();
    assert(replayed.length > 0);
    assertEquals(replayed[0] > Number(seen[1].id), true, "nothing repeated");
    const all = new SseReader(
      await admin.get("/ami/events?event=job", { "last-event-id": String(Number(seen[0].id) - 1) }),
    );
    await all.next();
    const everything: number[] = [];
    for (;;) {
      const frame = await all.next(1_000).catch(() => undefined);
      if (!frame) break;
      if (frame.event === "job") everything.push(Number(frame.id));
    }
    await all.cancel();
    assertEquals(
      everything.slice(2),
      replayed,
      "nothing lost: the resumed stream is the rest of the whole",
    );
  } finally {
    await proxy.close();
    await mock.close();
  }
});
