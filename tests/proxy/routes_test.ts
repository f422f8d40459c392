/**
 * The proxy's routes over real HTTP against a real mock-ami, for every role
 * (tokens of {@linkcode CALLERS}): allowed or refused as the permissions
 * table of `src/proxy/roles.ts` says, the audit rows each answer wrote
 * (attempt + ok for a PBX action, ok for a read, denied 403 for a refusal),
 * and that a refused PBX action sent nothing to the PBX.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import {
  type Answer,
  assertErrorAnswer,
  CALLERS,
  RECORDINGS,
  startTestProxy,
  TEST_SECRET,
  type TestProxy,
} from "../_support/proxy.ts";
import { DEV_TOKEN } from "../../src/proxy/auth.ts";
import { type Permission, PERMISSIONS, type Role, ROLES, scopeOf } from "../../src/proxy/roles.ts";
import { signToken } from "../../src/proxy/tokens.ts";

/** One expected audit row. */
interface Row {
  outcome: "attempt" | "ok" | "denied" | "error";
  status: number | null;
  action: string;
  target?: string | null;
  jobId?: string | null;
}

/** Asserts the audit rows of `answer`, written for `caller` from 127.0.0.1, in order. */
function assertAudit(px: TestProxy, answer: Answer, caller: string, role: Role, rows: Row[]) {
  const written = px.auditOf(answer.requestId);
  assertEquals(
    written.map((row, i) =>
      Object.fromEntries(
        Object.keys(rows[i] ?? rows[0]).map((key) => [key, row[key as keyof Row]]),
      )
    ),
    rows,
    `audit rows of request ${answer.requestId} (answered ${answer.status})`,
  );
  for (const row of written) {
    assertEquals(
      { userId: row.userId, role: row.role, remoteAddr: row.remoteAddr },
      { userId: caller, role, remoteAddr: "127.0.0.1" },
    );
  }
}

/** `text` as a regular expression that matches it literally. */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/**
 * Asserts a 403 with `code`, its one `denied` row (whose detail names the PBX when the
 * refusal came after the PBX was chosen), and that nothing reached the PBX.
 */
function assertDenied(
  px: TestProxy,
  answer: Answer,
  role: Role,
  code: string,
  row: Omit<Row, "outcome" | "status">,
  caller = CALLERS[role].sub,
) {
  assertErrorAnswer(answer, 403, code);
  assertAudit(px, answer, caller, role, [{ outcome: "denied", status: 403, ...row }]);
  // The extension is checked once the listen or playback has its PBX.
  const pbx = code === "not_your_extension" ? { pbx: "default" } : {};
  assertEquals(JSON.parse(px.auditOf(answer.requestId)[0].detail ?? "{}"), { code, ...pbx });
  assertEquals(answer.sent, [], "a refused request sends nothing to the PBX");
}

/** The roles table of DESIGN.md, written out here so that a change to the code's table shows. */
const DESIGN_TABLE: Record<Permission, Partial<Record<Role, "all" | "own">>> = {
  recordings: { user: "own", qa: "all", supervisor: "all", admin: "all" },
  channels: { supervisor: "all", admin: "all" },
  listen: { supervisor: "all", admin: "all" },
  playback: { qa: "all", supervisor: "all", admin: "all" },
  jobs: { user: "own", qa: "own", supervisor: "own", admin: "all" },
  events: { qa: "own", supervisor: "all", admin: "all" },
  audioToAnyExtension: { admin: "all" },
  audit: { admin: "all" },
  status: { admin: "all" },
};

/** Is `role` allowed `permission` at all, per DESIGN.md? */
const allowed = (role: Role, permission: Permission) =>
  DESIGN_TABLE[permission][role] !== undefined;

Deno.test("PERMISSIONS is the roles table of DESIGN.md", () => {
  for (const permission of Object.keys(DESIGN_TABLE) as Permission[]) {
    for (const role of ROLES) {
      assertEquals(
        scopeOf(role, permission),
        DESIGN_TABLE[permission][role],
        `${role} ${permission}`,
      );
    }
  }
  assertEquals(Object.keys(PERMISSIONS).sort(), Object.keys(DESIGN_TABLE).sort());
});

Deno.test("GET /recordings, metadata and stream: every role, a user only for its own extension", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const all = [RECORDINGS.of205, RECORDINGS.notOf205].sort();

  for (const role of ROLES) {
    const sub = CALLERS[role].sub;
    await t.step(`${role}: list`, async () => {
      // A user asking for another extension still gets only its own calls.
      const answer = await px.request("GET", "/recordings?extension=201", { role });
      assertEquals(answer.status, 200, JSON.stringify(answer.body));
      const ids = answer.body.recordings.map((r: { id: string }) => r.id).sort();
      assertEquals(ids, role === "user" ? [RECORDINGS.of205] : [RECORDINGS.notOf205]);
      const everything = await px.request("GET", "/recordings", { role });
      assertEquals(
        everything.body.recordings.map((r: { id: string }) => r.id).sort(),
        role === "user" ? [RECORDINGS.of205] : all,
      );
      assertAudit(px, answer, sub, role, [{
        outcome: "ok",
        status: 200,
        action: "recordings.list",
      }]);
      const detail = JSON.parse(px.auditOf(answer.requestId)[0].detail ?? "{}");
      assertEquals(detail.query.extension, role === "user" ? "205" : "201");
      assertEquals([...answer.sent, ...everything.sent], []);
    });

    await t.step(`${role}: metadata and stream of a call of extension 205`, async () => {
      const id = RECORDINGS.of205;
      const metadata = await px.request("GET", `/recordings/${id}/metadata`, { role });
      assertEquals(metadata.status, 200);
      assertEquals([metadata.body.id, metadata.body.dst], [id, "205"]);
      assertAudit(px, metadata, sub, role, [
        { outcome: "ok", status: 200, action: "recordings.metadata", target: id },
      ]);
      const stream = await px.request("GET", `/recordings/${id}/stream`, {
        role,
        headers: { range: "bytes=0-3" },
      });
      assertEquals([stream.status, stream.body], [206, "RIFF"]);
      assertAudit(px, stream, sub, role, [
        { outcome: "ok", status: 206, action: "recordings.stream", target: id },
      ]);
      assertEquals([...metadata.sent, ...stream.sent], []);
    });

    await t.step(`${role}: metadata and stream of a call of another extension`, async () => {
      const id = RECORDINGS.notOf205;
      const metadata = await px.request("GET", `/recordings/${id}/metadata`, { role });
      const stream = await px.request("GET", `/recordings/${id}/stream`, { role });
      if (role === "user") {
        assertDenied(px, metadata, role, "not_your_recording", {
          action: "recordings.metadata",
          target: id,
        });
        assertDenied(px, stream, role, "not_your_recording", {
          action: "recordings.stream",
          target: id,
        });
      } else {
        assertEquals([metadata.status, metadata.body.src], [200, "201"]);
        assertEquals(stream.status, 200);
        assertEquals(stream.headers.get("content-type"), "audio/wav");
        assertAudit(px, stream, sub, role, [
          { outcome: "ok", status: 200, action: "recordings.stream", target: id },
        ]);
      }
    });
  }

  await t.step(
    "a user token without ext has no recordings of its own: 403 no_extension",
    async () => {
      const token = await px.token({ sub: "user-noext", role: "user" });
      const answer = await px.request("GET", "/recordings", { token });
      assertErrorAnswer(answer, 403, "no_extension");
      assertEquals(px.auditOf(answer.requestId).map((r) => [r.outcome, r.status, r.userId]), [
        ["denied", 403, "user-noext"],
      ]);
    },
  );
});

Deno.test("GET /recordings with a bad limit or cursor: the proxy's 400 error body, not the recordings server's", async () => {
  await using px = await startTestProxy({ recordings: "folder" });
  for (const query of ["limit=0", "cursor=not-a-cursor", "from=yesterday-ish"]) {
    const answer = await px.request("GET", `/recordings?${query}`, { role: "qa" });
    assertErrorAnswer(answer, 400, "bad_request", "query");
    assertMatch(answer.body.error.message, /limit|cursor|from/);
  }
});

Deno.test("GET /ami/channels: supervisor and admin list the live calls, user and qa are refused", async (t) => {
  await using px = await startTestProxy();
  for (const role of ROLES) {
    await t.step(role, async () => {
      const answer = await px.request("GET", "/ami/channels", { role });
      if (!allowed(role, "channels")) {
        assertDenied(px, answer, role, "forbidden_role", { action: "channels" });
        return;
      }
      assertEquals(answer.status, 200);
      const channels = answer.body.channels as { channel: string; state: string }[];
      assert(channels.filter((c) => c.state === "Up").length >= 2, JSON.stringify(channels));
      // CoreShowChannels reaches the PBX: attempt first, then the result.
      assertAudit(px, answer, CALLERS[role].sub, role, [
        { outcome: "attempt", status: null, action: "channels" },
        { outcome: "ok", status: 200, action: "channels" },
      ]);
      assertEquals(answer.sent, ["CoreShowChannels"]);
    });
  }
});

Deno.test("POST /ami/originate/listen: supervisor and admin call their own phone; user and qa reach no PBX", async (t) => {
  await using px = await startTestProxy();
  const target = await px.liveChannel();
  for (const role of ROLES) {
    for (const mode of ["listen", "whisper", "barge"] as const) {
      await t.step(`${role} ${mode}`, async () => {
        const from = px.actions.length;
        const answer = await px.request("POST", "/ami/originate/listen", {
          role,
          json: { targetChannel: target, mode },
        });
        if (!allowed(role, "listen")) {
          assertDenied(px, answer, role, "forbidden_role", { action: mode, target });
          return;
        }
        assertEquals(answer.status, 202, JSON.stringify(answer.body));
        assertEquals(answer.headers.get("x-request-id"), answer.requestId);
        const jobId = answer.body.jobId;
        assertMatch(jobId, /^job_[A-Za-z0-9_-]{22}$/);
        assertEquals(answer.body.job.owner, CALLERS[role].sub);
        assertAudit(px, answer, CALLERS[role].sub, role, [
          { outcome: "attempt", status: null, action: mode, target, jobId: null },
          { outcome: "ok", status: 202, action: mode, target, jobId },
        ]);
        // The target is checked by its exact name, then ChanSpy is pinned to its Uniqueid.
        assertEquals(answer.sent, ["Status", "Originate"]);
        assertEquals(px.actions[from].get("Channel"), target);
        const originate = px.actions[from + 1];
        assertEquals(originate.get("Channel"), `SIP/${CALLERS[role].ext}`);
        assertEquals(originate.get("Application"), "ChanSpy");
        const uniqueId = px.mock.pbx.findChannel(target)!.uniqueid;
        assertMatch(originate.get("Data") ?? "", new RegExp(`^${literally(uniqueId)},qESu`));
      });
    }
  }
});

Deno.test("POST /ami/originate/playback: qa, supervisor and admin play a recording to their own phone; a user reaches no PBX", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const recordingId = RECORDINGS.notOf205;
  for (const role of ROLES) {
    await t.step(role, async () => {
      const from = px.actions.length;
      const answer = await px.request("POST", "/ami/originate/playback", {
        role,
        json: { recordingId },
      });
      if (!allowed(role, "playback")) {
        assertDenied(px, answer, role, "forbidden_role", {
          action: "playback",
          target: recordingId,
        });
        return;
      }
      assertEquals(answer.status, 202, JSON.stringify(answer.body));
      const jobId = answer.body.jobId;
      assertAudit(px, answer, CALLERS[role].sub, role, [
        { outcome: "attempt", status: null, action: "playback", target: recordingId, jobId: null },
        { outcome: "ok", status: 202, action: "playback", target: recordingId, jobId },
      ]);
      assertEquals(answer.sent, ["Originate"]);
      assertEquals(px.actions[from].get("Channel"), `SIP/${CALLERS[role].ext}`);
      assertEquals(px.actions[from].get("Application"), "ControlPlayback");
      assertMatch(
        px.actions[from].get("Data") ?? "",
        new RegExp(`/${literally(recordingId)}(,|$)`),
      );
    });
  }

  await t.step("an unknown recording: 404, no attempt row, nothing sent", async () => {
    const answer = await px.request("POST", "/ami/originate/playback", {
      role: "admin",
      json: { recordingId: "20991231-235959-1-2-1.1" },
    });
    assertErrorAnswer(answer, 404, "not_found");
    assertEquals(px.auditOf(answer.requestId).filter((r) => r.outcome === "attempt"), []);
    assertEquals(answer.sent, []);
  });
});

Deno.test("originate: only an admin sends the audio to another extension than the token's own", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const target = await px.liveChannel();
  const recordingId = RECORDINGS.of205;

  await t.step(
    "supervisor naming another extension: 403 not_your_extension, nothing sent",
    async () => {
      const answer = await px.request("POST", "/ami/originate/listen", {
        role: "supervisor",
        json: { targetChannel: target, listenerExtension: "209" },
      });
      assertDenied(px, answer, "supervisor", "not_your_extension", { action: "listen", target });
    },
  );

  await t.step("qa naming another extension for a playback: 403 not_your_extension", async () => {
    const answer = await px.request("POST", "/ami/originate/playback", {
      role: "qa",
      json: { recordingId, targetExtension: "209" },
    });
    assertDenied(px, answer, "qa", "not_your_extension", {
      action: "playback",
      target: recordingId,
    });
  });

  await t.step("supervisor naming its own extension: allowed", async () => {
    const answer = await px.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: target, listenerExtension: CALLERS.supervisor.ext },
    });
    assertEquals(answer.status, 202, JSON.stringify(answer.body));
    assertEquals(answer.sent, ["Status", "Originate"]);
  });

  await t.step("admin naming another extension: the Originate calls that phone", async () => {
    for (
      const [path, json] of [
        ["/ami/originate/listen", { targetChannel: target, listenerExtension: "209" }],
        ["/ami/originate/playback", { recordingId, targetExtension: "209" }],
      ] as const
    ) {
      const from = px.actions.length;
      const answer = await px.request("POST", path, { role: "admin", json });
      assertEquals(answer.status, 202, JSON.stringify(answer.body));
      const originate = path.endsWith("listen") ? ["Status", "Originate"] : ["Originate"];
      assertEquals(answer.sent, originate);
      assertEquals(px.actions[from + originate.length - 1].get("Channel"), "SIP/209");
      assertEquals(answer.body.job.extension, "209");
    }
  });

  await t.step("a token without ext naming no extension: 400, no row, nothing sent", async () => {
    const supervisor = await px.token({ sub: "sup-noext", role: "supervisor" });
    const listen = await px.request("POST", "/ami/originate/listen", {
      token: supervisor,
      json: { targetChannel: target },
    });
    assertErrorAnswer(listen, 400, "bad_request", "listenerExtension");
    assertEquals([px.auditOf(listen.requestId), listen.sent], [[], []]);

    const admin = await px.token({ sub: "admin-noext", role: "admin" });
    const named = await px.request("POST", "/ami/originate/listen", {
      token: admin,
      json: { targetChannel: target, listenerExtension: "207" },
    });
    assertEquals(named.status, 202, "an admin without ext may name the extension");

    const other = await px.request("POST", "/ami/originate/listen", {
      token: supervisor,
      json: { targetChannel: target, listenerExtension: "207" },
    });
    assertDenied(
      px,
      other,
      "supervisor",
      "not_your_extension",
      { action: "listen", target },
      "sup-noext",
    );
  });
});

// BUG (reported to the lead): the playback route's 400 names `listenerExtension`, a field of the
// listen route that the playback body does not have (sending it is then "unknown field").
Deno.test("POST /ami/originate/playback with a token without ext: 400 naming targetExtension", async () => {
  await using px = await startTestProxy({ recordings: "folder" });
  const qa = await px.token({ sub: "qa-noext", role: "qa" });
  const answer = await px.request("POST", "/ami/originate/playback", {
    token: qa,
    json: { recordingId: RECORDINGS.of205 },
  });
  assertEquals([px.auditOf(answer.requestId), answer.sent], [[], []]);
  assertErrorAnswer(answer, 400, "bad_request", "targetExtension");
});

// A second supervisor: its jobs are not the first one's.
const OTHER_SUPERVISOR = { sub: "sup-203", ext: "203" };

Deno.test("jobs: read, playback control and hangup of one's own jobs; only admin acts on all", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const other = await signToken(TEST_SECRET, { ...OTHER_SUPERVISOR, role: "supervisor" });
  const target = await px.liveChannel();
  const start = async (role: Role, path: string, json: unknown) => {
    const answer = await px.request("POST", path, { role, json });
    assertEquals(answer.status, 202, JSON.stringify(answer.body));
    return await px.waitForJob(
      answer.body.jobId,
      (job) => job.status === "active",
      `the ${role}'s job to be active`,
    );
  };
  const qaPlayback = await start("qa", "/ami/originate/playback", {
    recordingId: RECORDINGS.of205,
  });
  const supPlayback = await start("supervisor", "/ami/originate/playback", {
    recordingId: RECORDINGS.notOf205,
  });
  const supListen = await start("supervisor", "/ami/originate/listen", { targetChannel: target });

  /** Someone else's job: 403 not_your_job with its denied row, nothing sent. */
  const refused = (answer: Answer, role: Role, action: string, jobId: string, sub?: string) => {
    assertErrorAnswer(answer, 403, "not_your_job");
    assertEquals(
      px.auditOf(answer.requestId).map((r) => [r.outcome, r.status, r.action, r.jobId, r.userId]),
      [["denied", 403, action, jobId, sub ?? CALLERS[role].sub]],
    );
    assertEquals(answer.sent, []);
  };

  await t.step(
    "GET /ami/jobs/:id: the owner and admin read it, others get not_your_job",
    async () => {
      for (const [role, job] of [["qa", qaPlayback], ["supervisor", supListen]] as const) {
        const answer = await px.request("GET", `/ami/jobs/${job.id}`, { role });
        assertEquals([answer.status, answer.body.job.id], [200, job.id]);
        assertAudit(px, answer, CALLERS[role].sub, role, [
          { outcome: "ok", status: 200, action: "job.read", target: job.target, jobId: job.id },
        ]);
        assertEquals(answer.sent, []);
      }
      const admin = await px.request("GET", `/ami/jobs/${supListen.id}`, { role: "admin" });
      assertEquals([admin.status, admin.body.job.owner], [200, CALLERS.supervisor.sub]);
      for (const role of ["user", "qa"] as const) {
        const answer = await px.request("GET", `/ami/jobs/${supListen.id}`, { role });
        refused(answer, role, "job.read", supListen.id);
      }
      const answer = await px.request("GET", `/ami/jobs/${supListen.id}`, { token: other });
      refused(answer, "supervisor", "job.read", supListen.id, OTHER_SUPERVISOR.sub);
    },
  );

  await t.step("GET /ami/jobs/:id of an unknown job: 404", async () => {
    const answer = await px.request("GET", "/ami/jobs/job_nosuchjob", { role: "admin" });
    assertErrorAnswer(answer, 404, "not_found");
    assertEquals(answer.sent, []);
  });

  await t.step(
    "POST /ami/control/playback: the owner and admin control it, others reach no PBX",
    async () => {
      for (const role of ["user", "supervisor"] as const) {
        const answer = await px.request("POST", "/ami/control/playback", {
          role,
          json: { jobId: qaPlayback.id, control: "pause" },
        });
        refused(answer, role, "control", qaPlayback.id);
      }
      const byOther = await px.request("POST", "/ami/control/playback", {
        token: other,
        json: { jobId: supPlayback.id, control: "pause" },
      });
      refused(byOther, "supervisor", "control", supPlayback.id, OTHER_SUPERVISOR.sub);

      for (
        const [role, job, control, status] of [
          ["qa", qaPlayback, "pause", "paused"],
          ["admin", qaPlayback, "resume", "active"],
          ["supervisor", supPlayback, "forward", "active"],
        ] as const
      ) {
        const answer = await px.request("POST", "/ami/control/playback", {
          role,
          json: { jobId: job.id, control },
        });
        assertEquals([answer.status, answer.body.job?.status], [200, status]);
        assertAudit(px, answer, CALLERS[role].sub, role, [
          { outcome: "attempt", status: null, action: "control", jobId: job.id },
          { outcome: "ok", status: 200, action: "control", jobId: job.id },
        ]);
        assertEquals(answer.sent, ["ControlPlayback"]);
      }
    },
  );

  await t.step(
    "POST /ami/jobs/:id/hangup: the owner and admin hang up, others reach no PBX",
    async () => {
      for (const role of ["user", "qa"] as const) {
        const answer = await px.request("POST", `/ami/jobs/${supListen.id}/hangup`, { role });
        refused(answer, role, "hangup", supListen.id);
      }
      const byOther = await px.request("POST", `/ami/jobs/${supListen.id}/hangup`, {
        token: other,
      });
      refused(byOther, "supervisor", "hangup", supListen.id, OTHER_SUPERVISOR.sub);

      for (
        const [role, job] of [
          ["supervisor", supListen],
          ["qa", qaPlayback],
          ["admin", supPlayback],
        ] as const
      ) {
        const answer = await px.request("POST", `/ami/jobs/${job.id}/hangup`, { role });
        assertEquals(answer.status, 200, JSON.stringify(answer.body));
        assertAudit(px, answer, CALLERS[role].sub, role, [
          { outcome: "attempt", status: null, action: "hangup", target: job.target, jobId: job.id },
          { outcome: "ok", status: 200, action: "hangup", target: job.target, jobId: job.id },
        ]);
        assertEquals(answer.sent, ["Hangup"]);
        await px.waitForJob(job.id, (j) => j.status === "ended", `${job.id} to end`);
      }
    },
  );
});

Deno.test("GET /ami/events: qa, supervisor and admin get the stream, a user is refused", async (t) => {
  await using px = await startTestProxy();
  for (const role of ROLES) {
    await t.step(role, async () => {
      if (!allowed(role, "events")) {
        const answer = await px.request("GET", "/ami/events", { role });
        assertDenied(px, answer, role, "forbidden_role", { action: "events" });
        return;
      }
      // Ends the test instead of hanging it if the first frame never comes.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), 5_000);
      const { response, requestId } = await px.open("GET", "/ami/events", {
        role,
        signal: abort.signal,
      });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      try {
        assertEquals(response.status, 200);
        assertMatch(response.headers.get("content-type") ?? "", /^text\/event-stream/);
        assertEquals(response.headers.get("x-request-id"), requestId);
        let text = "";
        while (!text.includes("\n\n")) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        assertEquals(text.slice(0, text.indexOf("\n\n") + 2), "retry: 3000\n\n");
      } finally {
        clearTimeout(timer);
        await reader.cancel();
      }
      assertEquals(
        px.auditOf(requestId).map((r) => [r.outcome, r.status, r.action, r.userId]),
        [["ok", 200, "events", CALLERS[role].sub]],
      );
    });
  }
});

Deno.test("tokens over HTTP: missing, garbage, expired and dev tokens get 401 with their code, no audit row, nothing sent", async (t) => {
  await using px = await startTestProxy();
  const target = await px.liveChannel();
  const expired = await signToken(TEST_SECRET, {
    sub: "sup-201",
    role: "supervisor",
    ext: "201",
    now: Date.now() / 1000 - 3_600,
    ttlSeconds: 60,
  });
  const cases: [string, string | null, string][] = [
    ["no Authorization header", null, "missing_token"],
    ["garbage", "garbage", "invalid_token"],
    ["expired", expired, "token_expired"],
    ["the development token, not enabled", DEV_TOKEN, "dev_token_refused"],
  ];
  for (const [name, token, code] of cases) {
    await t.step(name, async () => {
      const listen = await px.request("POST", "/ami/originate/listen", {
        token,
        json: { targetChannel: target },
      });
      assertErrorAnswer(listen, 401, code);
      assertEquals(listen.sent, []);
      const list = await px.request("GET", "/ami/channels", { token });
      assertErrorAnswer(list, 401, code);
      assertEquals([px.auditOf(listen.requestId), px.auditOf(list.requestId)], [[], []]);
    });
  }

  await t.step(
    "an answer to a request without x-request-id carries one, the same as its body's",
    async () => {
      const response = await contractFetch(`${px.url}/ami/channels`);
      const body = await response.json();
      assertEquals(response.status, 401);
      assertMatch(response.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
      assertEquals(body.error.requestId, response.headers.get("x-request-id"));
    },
  );

  await t.step("an unknown endpoint: 404 not_found in the same shape", async () => {
    const answer = await px.request("GET", "/ami/nothing-here", { role: "admin" });
    assertErrorAnswer(answer, 404, "not_found");
  });
});
