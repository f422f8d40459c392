/**
 * The proxy end to end over real HTTP against a real mock-ami over real TCP:
 * listen and playback jobs through their states, the live event stream,
 * and an AMI link that is down at start or drops mid-job. The tests speak to
 * the API as a client app does, through the client typed by the OpenAPI
 * document (`deno check` fails when the API drifts from it).
 */

import { type ApiClient, apiClient } from "../_support/api_client.ts";
import type { components } from "../../console/api_types.ts";
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

type Job = components["schemas"]["Job"];

/** The typed client of the proxy for one caller. */
function client(proxy: RunningProxy, bearer: string): ApiClient {
  return apiClient(proxy.url, bearer);
}

/** GET /ami/jobs/{id}: the job, which must be there. */
async function job(c: ApiClient, id: string): Promise<Job> {
  const { data, error, response } = await c.GET("/ami/jobs/{id}", { params: { path: { id } } });
  assert(data, `GET /ami/jobs/${id}: ${response.status} ${JSON.stringify(error)}`);
  return data.job;
}

/** POST /ami/originate/listen, which must be accepted: the job's id. */
async function listen(c: ApiClient, targetChannel: string): Promise<string> {
  const { data, error, response } = await c.POST("/ami/originate/listen", {
    body: { targetChannel },
  });
  assertEquals(response.status, 202, JSON.stringify(error));
  assert(data);
  return data.jobId;
}

/** POST /ami/jobs/{id}/hangup: the answer's status. */
async function hangup(c: ApiClient, id: string): Promise<number> {
  return (await c.POST("/ami/jobs/{id}/hangup", { params: { path: { id } } })).response.status;
}

/** GET /ami/events, opened through the typed client and read frame by frame. */
async function events(
  c: ApiClient,
  query: { event?: string } = {},
  lastEventId?: string,
): Promise<SseReader> {
  const header = lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId };
  const { response } = await c.GET("/ami/events", {
    params: { query, header },
    parseAs: "stream",
  });
  assertEquals(response.status, 200);
  return new SseReader(response);
}

async function ready(proxy: RunningProxy, expected = true): Promise<void> {
  const anonymous = apiClient(proxy.url);
  await eventually(async () => {
    const { data, error } = await anonymous.GET("/readyz");
    const readiness = data ?? (error && "ami" in error ? error : undefined);
    return readiness?.ami === expected ? true : undefined;
  }, `readyz ami=${expected}`);
}

async function liveTarget(c: ApiClient): Promise<string> {
  const { data } = await c.GET("/ami/channels");
  const target = data?.channels.find((ch) =>
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
    const stream = await events(sup);
    assertEquals((await stream.next())?.retry, "3000");
    const target = await liveTarget(sup);
    const started = await sup.POST("/ami/originate/listen", { body: { targetChannel: target } });
    assertEquals(started.response.status, 202);
    assert(started.data);
    const { jobId } = started.data;
    assertMatch(jobId, /^job_[A-Za-z0-9_-]{22}$/);
    assertEquals(started.data.job.id, jobId);

    const active = await eventually(async () => {
      const current = await job(sup, jobId);
      return current.status === "active" ? current : undefined;
    }, "the listen to be active");
    assertMatch(active.channel ?? "", /^SIP\/201-[0-9a-f]{8}$/);
    assertEquals(active.timeline.map((t) => t.status).slice(0, 2), ["queued", "dialing"]);

    assertEquals(await hangup(sup, jobId), 200);
    const ended = await eventually(async () => {
      const current = await job(sup, jobId);
      return current.status === "ended" ? current : undefined;
    }, "the listen to end");
    assert(ended.endedAt !== null);

    // The event stream told the same story, in order, with increasing ids.
    const states: string[] = [];
    let lastId = 0;
    while (!states.includes("ended")) {
      const frame = await stream.until((f) => f.event === "job");
      assert(Number(frame.id) > lastId);
      lastId = Number(frame.id);
      const event: components["schemas"]["JobEvent"] = JSON.parse(frame.data!);
      if (event.id === jobId && states.at(-1) !== event.status) states.push(event.status);
    }
    assertEquals(states, ["queued", "dialing", "active", "ended"]);
    await stream.cancel();
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
    const jobId = await listen(sup, await liveTarget(sup));
    const ringing = await eventually(async () => {
      const current = await job(sup, jobId);
      return current.channel ? current : undefined;
    }, "the ringing channel");
    assertEquals(ringing.status, "dialing");
    assertEquals(mock.pbx.findChannel(jobId)?.name, ringing.channel, "the uniqueid is the job id");
    assertEquals(await hangup(sup, jobId), 200);
    const ended = await eventually(async () => {
      const current = await job(sup, jobId);
      return current.status === "ended" ? current : undefined;
    }, "the job to end");
    assertMatch(ended.timeline.at(-1)?.note ?? "", /hung up/);
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
    const jobId = await listen(admin, target); // Originate: originate
    await eventually(
      async () => (await job(admin, jobId)).status === "active" || undefined,
      "active",
    ); // events: call
    assertEquals(await hangup(admin, jobId), 200); // Hangup: call
    await eventually(
      async () => (await job(admin, jobId)).status === "ended" || undefined,
      "ended",
    );
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
    const started = await qa.POST("/ami/originate/playback", { body: { recordingId: id } });
    assertEquals(started.response.status, 202);
    assert(started.data);
    const { jobId } = started.data;
    await eventually(
      async () => (await job(qa, jobId)).status === "active" || undefined,
      "playing",
    );
    const playing = await job(qa, jobId);
    assert(playing.channel, "the job knows its channel");
    const channel = mock.pbx.findChannel(playing.channel);
    assert(channel, "the PBX has the playback channel");
    assertEquals(channel.running.application, "ControlPlayback");
    assertEquals(channel.running.data, `/var/spool/asterisk/monitor/${id},3000`);

    for (const [control, status] of [["pause", "paused"], ["resume", "active"]] as const) {
      const { data, response } = await qa.POST("/ami/control/playback", {
        body: { jobId, control },
      });
      assertEquals(response.status, 200, control);
      assertEquals(data?.job.status, status);
    }
    const again = await qa.POST("/ami/control/playback", { body: { jobId, control: "resume" } });
    assertEquals(again.response.status, 409, "resume while playing");
    assertEquals(again.error?.error.code, "conflict");

    const stop = await qa.POST("/ami/control/playback", { body: { jobId, control: "stop" } });
    assertEquals(stop.response.status, 200);
    await eventually(async () => (await job(qa, jobId)).status === "ended" || undefined, "stopped");
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
    const anonymous = apiClient(proxy.url);
    await ready(proxy, false);
    const refused = await sup.POST("/ami/originate/listen", {
      body: { targetChannel: "SIP/202-00000001" },
    });
    assertEquals(refused.response.status, 503);
    assertEquals(refused.error?.error.code, "ami_unavailable");
    assertEquals((await anonymous.GET("/readyz")).response.status, 503);

    mock = (await startMock(amiPort)).mock;
    await ready(proxy, true);
    const target = await liveTarget(sup);
    const jobId = await listen(sup, target);
    await eventually(
      async () => (await job(sup, jobId)).status === "active" || undefined,
      "active",
    );

    await mock.close(); // the PBX goes away mid-job
    await ready(proxy, false);
    await eventually(async () => {
      const current = await job(sup, jobId);
      return current.timeline.some((t) => t.note.startsWith("AMI connection lost"))
        ? true
        : undefined;
    }, "the job to be marked");

    mock = (await startMock(amiPort)).mock; // a restarted PBX: the old call is gone
    await ready(proxy, true);
    const ended = await eventually(async () => {
      const current = await job(sup, jobId);
      return current.status === "ended" ? current : undefined;
    }, "the job to end after the reconnect");
    assertMatch(ended.timeline.at(-1)?.note ?? "", /ended while the AMI connection was down/);

    const next = await sup.POST("/ami/originate/listen", {
      body: { targetChannel: await liveTarget(sup) },
    });
    assertEquals(next.response.status, 202, "new jobs work after the reconnect");
    const { data: metrics = "" } = await anonymous.GET("/metrics", { parseAs: "text" });
    assertMatch(metrics, /astrix_ami_reconnects_total\{pbx="default"\} [1-9]/);
    assertMatch(metrics, /astrix_ami_connected\{pbx="default"\} 1/);
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
    const first = await events(admin, { event: "job" });
    await first.next(); // retry
    const target = await liveTarget(admin);
    const jobs: string[] = [];
    for (let i = 0; i < 3; i++) jobs.push(await listen(admin, target));
    // Read two job events, then drop the connection.
    const seen = [
      await first.until((f) => f.event === "job"),
      await first.until((f) => f.event === "job"),
    ];
    await first.cancel();
    for (const jobId of jobs) {
      await eventually(
        async () => (await job(admin, jobId)).status === "active" || undefined,
        "active",
      );
      assertEquals(await hangup(admin, jobId), 200);
    }
    for (const jobId of jobs) {
      await eventually(
        async () => (await job(admin, jobId)).status === "ended" || undefined,
        "ended",
      );
    }
    // Resume: exactly the job events after the last one seen, then live ones.
    const resumed = await events(admin, { event: "job" }, seen[1].id!);
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
    const all = await events(admin, { event: "job" }, String(Number(seen[0].id) - 1));
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
