/**
 * What a hostile page can do with a logged-in browser, refused: a
 * state-changing request the session cookie carries (the browser adds it)
 * without the session's own X-Astrix-CSRF (which only the proxy's origin can
 * read) is 403 csrf_required, reaches no PBX and leaves a `denied` row; a
 * login posted from another origin makes no session; a forged cookie is
 * nobody. And the session's secrets (its id, its CSRF token, a login code,
 * the token) never reach a log line or an audit row.
 */

import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import {
  CLEARED_COOKIE,
  cookieHeader,
  getUnfollowed,
  logIn,
  TestClock,
} from "../_support/console_session.ts";
import {
  assertErrorAnswer,
  CALLERS,
  RECORDINGS,
  startTestProxy,
  type TestProxy,
} from "../_support/proxy.ts";
import { createLogger } from "../../src/log.ts";

/** The state-changing routes a supervisor's session can call, with a body each; its two jobs. */
async function changes(px: TestProxy): Promise<{ routes: [string, unknown][]; jobs: string[] }> {
  const target = await px.liveChannel();
  const { jobId: listen } = await px.listenUntilActive(target);
  const started = await px.request("POST", "/ami/originate/playback", {
    role: "supervisor",
    json: { recordingId: RECORDINGS.notOf205 },
  });
  assertEquals(started.status, 202, JSON.stringify(started.body));
  const playback = started.body.jobId;
  await px.waitForJob(playback, (job) => job.status === "active", "the playback live");
  const routes: [string, unknown][] = [
    ["/ami/originate/listen", { targetChannel: target }],
    ["/ami/control/playback", { jobId: playback, control: "pause" }],
    [`/ami/jobs/${listen}/hangup`, undefined],
    ["/console/logout", undefined],
  ];
  return { routes, jobs: [listen, playback] };
}

Deno.test("a state-changing request by cookie without its session's X-Astrix-CSRF: 403 csrf_required, nothing sent, a denied row", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const { routes, jobs } = await changes(px);
  const browser = await logIn(px, px.tokens.supervisor);
  const other = await logIn(px, px.tokens.supervisor);
  const csrfs: [string, string | null][] = [
    ["no X-Astrix-CSRF", null],
    ["another session's CSRF token", other.csrfToken],
    ["a wrong one of the same length", "A".repeat(43)],
    ["the session id instead", browser.id],
    ["empty", ""],
    ["the right one with a character more", `${browser.csrfToken}x`],
  ];
  for (const [what, csrf] of csrfs) {
    await t.step(what, async () => {
      for (const [path, json] of routes) {
        const answer = await px.request("POST", path, { headers: browser.headers(csrf), json });
        assertErrorAnswer(answer, 403, "csrf_required");
        assertEquals(answer.sent, [], `${path}: nothing reaches the PBX`);
        const rows = px.auditOf(answer.requestId);
        // Refused before the route ran: the row names the request (the logout names itself).
        const action = path === "/console/logout" ? "console-logout" : "csrf";
        const target = path === "/console/logout" ? null : `POST ${path}`;
        assertEquals(
          rows.map((r) => [r.userId, r.role, r.action, r.target, r.outcome, r.status]),
          [[CALLERS.supervisor.sub, "supervisor", action, target, "denied", 403]],
          path,
        );
        assertEquals(JSON.parse(rows[0].detail!), { code: "csrf_required" });
      }
    });
  }
  await t.step("the session lives on, the jobs untouched", async () => {
    const session = await px.request("GET", "/console/session", { headers: browser.headers() });
    assertEquals(session.status, 200);
    for (const jobId of jobs) {
      const job = await px.request("GET", `/ami/jobs/${jobId}`, { role: "admin" });
      assertEquals(job.body.job.status, "active", jobId);
    }
  });
});

Deno.test("POST /console/session from another origin: 403 cross_origin, no session, a denied row", async () => {
  await using px = await startTestProxy();
  for (const origin of ["https://evil.example", "null", px.url.replace("127.0.0.1", "localhost")]) {
    const answer = await px.request("POST", "/console/session", {
      json: { token: px.tokens.admin },
      headers: { origin },
    });
    assertErrorAnswer(answer, 403, "cross_origin");
    assertEquals(answer.headers.get("set-cookie"), null, origin);
    const rows = px.auditOf(answer.requestId);
    assertEquals(
      rows.map((r) => [r.userId, r.action, r.outcome, r.status]),
      [[CALLERS.admin.sub, "console-login", "denied", 403]],
    );
    assertEquals(JSON.parse(rows[0].detail!), { code: "cross_origin" });
  }
  // The proxy's own origin logs in (so does a login without Origin: see logIn).
  const own = await px.request("POST", "/console/session", {
    json: { token: px.tokens.admin },
    headers: { origin: px.url },
  });
  assertEquals(own.status, 200);
});

Deno.test("behind a proxy terminating TLS: the https page of the same host logs in with a Secure cookie; another host does not", async () => {
  await using px = await startTestProxy();
  const tlsPage = px.url.replace("http://", "https://");
  const login = await px.request("POST", "/console/session", {
    json: { token: px.tokens.admin },
    headers: { origin: tlsPage },
  });
  assertEquals(login.status, 200);
  assertMatch(login.headers.get("set-cookie")!, /; Secure$/);
  const other = await px.request("POST", "/console/session", {
    json: { token: px.tokens.admin },
    headers: { origin: tlsPage.replace("127.0.0.1", "localhost") },
  });
  assertErrorAnswer(other, 403, "cross_origin");
});

Deno.test("with --public-url, only its origin logs in, and its https makes the cookie Secure", async () => {
  await using px = await startTestProxy({ config: { publicUrl: "https://console.example.com" } });
  const login = await px.request("POST", "/console/session", {
    json: { token: px.tokens.admin },
    headers: { origin: "https://console.example.com" },
  });
  assertEquals(login.status, 200);
  assertMatch(login.headers.get("set-cookie")!, /; Secure$/);
  // Without Origin (not a browser's cross-site request): Secure all the same.
  const bare = await px.request("POST", "/console/session", { json: { token: px.tokens.admin } });
  assertMatch(bare.headers.get("set-cookie")!, /; Secure$/);
  for (
    const origin of [px.url, px.url.replace("http://", "https://"), "http://console.example.com"]
  ) {
    const refused = await px.request("POST", "/console/session", {
      json: { token: px.tokens.admin },
      headers: { origin },
    });
    assertErrorAnswer(refused, 403, "cross_origin");
    assertMatch(refused.body.error.message, /https:\/\/console\.example\.com/);
  }
});

Deno.test("a forged or random session cookie: 401 session_expired, cleared, nothing sent, no row", async () => {
  await using px = await startTestProxy();
  const target = await px.liveChannel();
  const real = await logIn(px, px.tokens.admin);
  const forged = ["A".repeat(43), crypto.randomUUID(), `${real.id.slice(0, -1)}x`, "' OR 1=1 --"];
  for (const id of forged) {
    const requests: [string, string, unknown][] = [
      ["GET", "/console/session", undefined],
      ["GET", "/ami/channels", undefined],
      ["POST", "/ami/originate/listen", { targetChannel: target }],
    ];
    for (const [method, path, json] of requests) {
      const answer = await px.request(method, path, {
        headers: { ...cookieHeader(id), "x-astrix-csrf": real.csrfToken },
        json,
      });
      assertErrorAnswer(answer, 401, "session_expired");
      assertEquals(answer.headers.get("set-cookie"), CLEARED_COOKIE);
      assertEquals([answer.sent, px.auditOf(answer.requestId)], [[], []], `${path} ${id}`);
    }
  }
});

Deno.test("session ids, CSRF tokens, login codes and tokens never reach the log or the audit", async () => {
  const lines: string[] = [];
  const logger = createLogger({
    format: "json",
    level: "debug",
    write: (line) => lines.push(line),
  });
  const clock = new TestClock();
  await using px = await startTestProxy({ config: { logger, now: clock.now, loginCodes: true } });
  const token = px.tokens.supervisor;
  const browser = await logIn(px, token);
  const code = px.proxy.loginCode(token);
  const link = await getUnfollowed(px, `/console/login?code=${code}`);
  assertEquals(link.location, "/");
  const linked = /^astrix_session=([^;]+);/.exec(link.setCookie ?? "")![1];
  const linkedSession = await px.request("GET", "/console/session", {
    headers: cookieHeader(linked),
  });
  await px.request("GET", "/ami/channels", { headers: browser.headers() });
  const listen = await px.request("POST", "/ami/originate/listen", {
    headers: browser.headers(),
    json: { targetChannel: await px.liveChannel() },
  });
  assertEquals(listen.status, 202);
  const refused = await px.request("POST", "/console/logout", { headers: browser.headers("x") });
  assertErrorAnswer(refused, 403, "csrf_required");
  assertEquals(
    (await getUnfollowed(px, `/console/login?code=${code}`)).location,
    "/?login=expired",
  );
  const logout = await px.request("POST", "/console/logout", { headers: browser.headers() });
  assertEquals(logout.status, 204);
  await px.request("GET", "/ami/channels", { headers: browser.headers() });

  const handle = new DatabaseSync(px.auditDb, { readOnly: true });
  const rows = JSON.stringify(handle.prepare("SELECT * FROM ami_audit").all());
  handle.close();
  assert(rows.includes("console-login") && rows.includes("console-logout"), rows);
  assert(
    lines.some((line) => line.includes('"route":"/console/login"')),
    "the requests were logged",
  );
  const secrets = {
    "session id": browser.id,
    "linked session id": linked,
    "CSRF token": browser.csrfToken,
    "linked CSRF token": linkedSession.body.session.csrfToken,
    "login code": code,
    token,
  };
  for (const [what, secret] of Object.entries(secrets)) {
    assertEquals(lines.filter((line) => line.includes(secret)), [], `${what} in the log`);
    assertEquals(rows.includes(secret), false, `${what} in the audit`);
  }
});
