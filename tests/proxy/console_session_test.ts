/**
 * Console browser sessions over HTTP: logging in with a token (the cookie's
 * attributes exactly, the CSRF token, the `console-login` row), the session
 * read back, the cookie standing for the token on the API (the same rows as
 * the bearer call), logging out, the session ending with the token, and
 * `astrix dev`'s single-use login links. The proxy's clock is injected.
 */

import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import {
  CLEARED_COOKIE,
  cookieHeader,
  getUnfollowed,
  logIn,
  SECRET_FORM,
  TestClock,
} from "../_support/console_session.ts";
import {
  type Answer,
  assertErrorAnswer,
  CALLERS,
  RECORDINGS,
  startTestProxy,
  TEST_SECRET,
  type TestProxy,
} from "../_support/proxy.ts";
import type { AuditRow } from "../../src/audit/mod.ts";
import { ProxyConfigError } from "../../src/proxy/errors.ts";
import { sessionCookie } from "../../src/proxy/session/cookie.ts";
import { signToken } from "../../src/proxy/tokens.ts";

/** What a row says of who did what: the columns a cookie call must share with the bearer one. */
function who(rows: AuditRow[]) {
  return rows.map((r) => [r.userId, r.role, r.action, r.target, r.outcome, r.status]);
}

/** Asserts 401 session_expired with the cookie cleared. */
function assertSessionEnded(answer: Answer): void {
  assertErrorAnswer(answer, 401, "session_expired");
  assertEquals(answer.headers.get("set-cookie"), CLEARED_COOKIE);
}

async function startClocked(config: { loginCodes?: boolean } = {}) {
  const clock = new TestClock();
  const px = await startTestProxy({ recordings: "folder", config: { now: clock.now, ...config } });
  return { clock, px };
}

Deno.test("POST /console/session: the session, its cookie exactly, no-store, a console-login row", async (t) => {
  const { clock, px } = await startClocked();
  await using _ = px;
  const exp = clock.seconds + 1_800;
  const token = await px.token({ ...CALLERS.supervisor, role: "supervisor", now: clock.seconds });
  const shorter = await signToken(TEST_SECRET, {
    ...CALLERS.supervisor,
    role: "supervisor",
    now: clock.seconds,
    ttlSeconds: 1_800,
  });
  assert(token !== shorter);

  await t.step("the answer and the Set-Cookie", async () => {
    clock.seconds += 100;
    const browser = await logIn(px, shorter);
    assertEquals(
      browser.setCookie,
      `astrix_session=${browser.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=1700`,
      "Max-Age: until the token's exp",
    );
    assertEquals(browser.answer.headers.get("cache-control"), "no-store");
    assertEquals(browser.answer.body, {
      session: {
        userId: CALLERS.supervisor.sub,
        role: "supervisor",
        ext: CALLERS.supervisor.ext,
        expiresAt: new Date(exp * 1000).toISOString(),
        csrfToken: browser.csrfToken,
      },
    });
    assertMatch(browser.csrfToken, SECRET_FORM);
    assert(browser.csrfToken !== browser.id);
    const rows = px.auditOf(browser.answer.requestId);
    assertEquals(who(rows), [[
      CALLERS.supervisor.sub,
      "supervisor",
      "console-login",
      null,
      "ok",
      200,
    ]]);
    assertEquals(JSON.parse(rows[0].detail!), {
      via: "token",
      expiresAt: new Date(exp * 1000).toISOString(),
    });
  });

  await t.step("two logins: two sessions, each its own id and CSRF token", async () => {
    const [a, b] = [await logIn(px, token), await logIn(px, token)];
    assert(a.id !== b.id && a.csrfToken !== b.csrfToken);
  });

  await t.step("Secure is added when the request came over TLS", () => {
    assertEquals(
      sessionCookie("abc", 60, true),
      "astrix_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure",
    );
  });

  await t.step("GET /console/session: the same session, no-store, no row", async () => {
    const browser = await logIn(px, token);
    const answer = await px.request("GET", "/console/session", { headers: browser.headers(null) });
    assertEquals(answer.status, 200);
    assertEquals(answer.body, browser.answer.body);
    assertEquals(answer.headers.get("cache-control"), "no-store");
    assertEquals(px.auditOf(answer.requestId), []);
  });

  await t.step("GET /console/session without the cookie: 401 no_session", async () => {
    assertErrorAnswer(await px.request("GET", "/console/session"), 401, "no_session");
    const other = await px.request("GET", "/console/session", {
      headers: { cookie: "theme=dark; astrix_session=" },
    });
    assertErrorAnswer(other, 401, "no_session");
    // A bearer token is no session either.
    const bearer = await px.request("GET", "/console/session", { role: "admin" });
    assertErrorAnswer(bearer, 401, "no_session");
  });
});

Deno.test("the session cookie stands for the token on the API: same answers, same audit rows", async (t) => {
  const { px } = await startClocked();
  await using _ = px;
  const supervisor = await logIn(px, px.tokens.supervisor);
  const user = await logIn(px, px.tokens.user);

  await t.step("GET /ami/channels and GET /recordings as the token's role", async () => {
    const reads: [string, "supervisor" | "user", typeof supervisor][] = [
      ["/ami/channels", "supervisor", supervisor],
      ["/recordings", "supervisor", supervisor],
      ["/recordings", "user", user],
      ["/ami/channels", "user", user],
    ];
    for (const [path, role, browser] of reads) {
      const byCookie = await px.request("GET", path, { headers: browser.headers(null) });
      const byToken = await px.request("GET", path, { role });
      assertEquals([byCookie.status, byCookie.body.error?.code], [
        byToken.status,
        byToken.body.error?.code,
      ]);
      if (byToken.status === 200) assertEquals(byCookie.body, byToken.body, path);
      assertEquals(who(px.auditOf(byCookie.requestId)), who(px.auditOf(byToken.requestId)), path);
    }
    const own = await px.request("GET", "/recordings", { headers: user.headers(null) });
    assertEquals(
      own.body.recordings.map((r: { id: string }) => r.id),
      [RECORDINGS.of205],
      "a user's cookie sees the user's own calls only",
    );
  });

  await t.step(
    "a listen by cookie with X-Astrix-CSRF: the rows of the same listen by token",
    async () => {
      const target = await px.liveChannel();
      const json = { targetChannel: target };
      const byCookie = await px.request("POST", "/ami/originate/listen", {
        headers: supervisor.headers(),
        json,
      });
      assertEquals(byCookie.status, 202, JSON.stringify(byCookie.body));
      assert(byCookie.sent.includes("Originate"), JSON.stringify(byCookie.sent));
      const byToken = await px.request("POST", "/ami/originate/listen", {
        role: "supervisor",
        json,
      });
      assertEquals(byToken.status, 202, JSON.stringify(byToken.body));
      const rows = who(px.auditOf(byCookie.requestId));
      assertEquals(rows, [
        [CALLERS.supervisor.sub, "supervisor", "listen", target, "attempt", null],
        [CALLERS.supervisor.sub, "supervisor", "listen", target, "ok", 202],
      ]);
      assertEquals(rows, who(px.auditOf(byToken.requestId)));
      const job = await px.waitForJob(byCookie.body.jobId, (j) => j.status === "active", "live");
      assertEquals(job.owner, CALLERS.supervisor.sub);
    },
  );

  await t.step(
    "an Authorization header wins over the cookie, and needs no CSRF token",
    async () => {
      const answer = await px.request("POST", "/ami/originate/listen", {
        role: "supervisor",
        headers: user.headers(null),
        json: { targetChannel: await px.liveChannel() },
      });
      assertEquals(answer.status, 202, JSON.stringify(answer.body));
      assertEquals(px.auditOf(answer.requestId)[0].userId, CALLERS.supervisor.sub);
      const refused = await px.request("GET", "/ami/channels", {
        token: "garbage",
        headers: supervisor.headers(null),
      });
      assertErrorAnswer(refused, 401, "invalid_token");
    },
  );
});

Deno.test("POST /console/logout: 204, the cookie cleared, the session refused everywhere after", async () => {
  const { px } = await startClocked();
  await using _ = px;
  const browser = await logIn(px, px.tokens.supervisor);
  const logout = await px.request("POST", "/console/logout", { headers: browser.headers() });
  assertEquals(logout.status, 204);
  assertEquals(logout.headers.get("set-cookie"), CLEARED_COOKIE);
  assertEquals(logout.headers.get("cache-control"), "no-store");
  assertEquals(
    who(px.auditOf(logout.requestId)),
    [[CALLERS.supervisor.sub, "supervisor", "console-logout", null, "ok", 204]],
  );

  const after: [string, string, unknown][] = [
    ["GET", "/console/session", undefined],
    ["GET", "/ami/channels", undefined],
    ["GET", "/recordings", undefined],
    ["POST", "/ami/originate/listen", { targetChannel: await px.liveChannel() }],
    ["POST", "/console/logout", undefined],
  ];
  for (const [method, path, json] of after) {
    const answer = await px.request(method, path, { headers: browser.headers(), json });
    assertSessionEnded(answer);
    assertEquals([answer.sent, px.auditOf(answer.requestId)], [[], []], path);
  }
  // The token itself still works: logging out ended the session, not the token.
  assertEquals((await px.request("GET", "/ami/channels", { role: "supervisor" })).status, 200);
});

Deno.test("a console session ends at its token's exp", async () => {
  const { clock, px } = await startClocked();
  await using _ = px;
  const token = await px.token({
    ...CALLERS.supervisor,
    role: "supervisor",
    now: clock.seconds,
    ttlSeconds: 600,
  });
  const browser = await logIn(px, token);
  clock.seconds += 599;
  const last = await px.request("GET", "/console/session", { headers: browser.headers(null) });
  assertEquals(last.status, 200);
  assertEquals(
    (await px.request("GET", "/ami/channels", { headers: browser.headers() })).status,
    200,
  );
  clock.seconds += 1;
  assertSessionEnded(
    await px.request("GET", "/console/session", { headers: browser.headers(null) }),
  );
  assertSessionEnded(await px.request("GET", "/ami/channels", { headers: browser.headers() }));
});

Deno.test("GET /console/login?code=: a good code logs in once, a used, unknown or 10-minute-old one is expired", async (t) => {
  const { clock, px } = await startClocked({ loginCodes: true });
  await using _ = px;
  const codeOf = (token = px.tokens.qa) => px.proxy.loginCode(token);

  await t.step(
    "good: 303 to / with the session cookie, a console-login row; reused: expired",
    async () => {
      const code = codeOf();
      assertMatch(code, SECRET_FORM);
      const redirect = await getUnfollowed(px, `/console/login?code=${code}`);
      assertEquals([redirect.status, redirect.location], [303, "/"]);
      const id = /^astrix_session=([^;]+); HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/
        .exec(redirect.setCookie ?? "")?.[1];
      assert(id !== undefined, redirect.setCookie ?? "no set-cookie");
      const session = await px.request("GET", "/console/session", { headers: cookieHeader(id) });
      assertEquals([session.status, session.body.session.userId], [200, CALLERS.qa.sub]);
      const rows = px.auditOf(redirect.requestId);
      assertEquals(who(rows), [[CALLERS.qa.sub, "qa", "console-login", null, "ok", 303]]);
      assertEquals(JSON.parse(rows[0].detail!).via, "login link");
      // Reused: 303 to /?login=expired, no cookie, no row.
      await assertExpired(px, code);
    },
  );

  await t.step("after 10 minutes: expired; a second before: good", async () => {
    const early = codeOf();
    const late = codeOf();
    clock.seconds += 599;
    assertEquals((await getUnfollowed(px, `/console/login?code=${early}`)).location, "/");
    clock.seconds += 1;
    await assertExpired(px, late);
  });

  await t.step("unknown, empty or missing: expired", async () => {
    for (const query of [`code=${"A".repeat(43)}`, "code=", ""]) {
      assertEquals(
        (await getUnfollowed(px, `/console/login?${query}`)).location,
        "/?login=expired",
      );
    }
  });

  await t.step("a code whose token expired meanwhile: expired", async () => {
    const token = await px.token({ ...CALLERS.qa, role: "qa", now: clock.seconds, ttlSeconds: 60 });
    const code = codeOf(token);
    clock.seconds += 60;
    await assertExpired(px, code);
  });
});

Deno.test("RunningProxy.loginCode throws unless the proxy was started with loginCodes: true", async () => {
  await using px = await startTestProxy();
  assertThrows(() => px.proxy.loginCode(px.tokens.admin), ProxyConfigError, "loginCodes: true");
});

/** A code refused: 303 to /?login=expired, no cookie, no audit row. */
async function assertExpired(px: TestProxy, code: string): Promise<void> {
  const redirect = await getUnfollowed(px, `/console/login?code=${code}`);
  assertEquals([redirect.status, redirect.location, redirect.setCookie], [
    303,
    "/?login=expired",
    null,
  ]);
  assertEquals(px.auditOf(redirect.requestId), []);
}

Deno.test("POST /console/session refuses an expired, forged or garbage token and a body that is not JSON, with no cookie", async (t) => {
  const { clock, px } = await startClocked();
  await using _ = px;
  const sup = { ...CALLERS.supervisor, role: "supervisor" as const };
  const forgedKey = new TextEncoder().encode("not the proxy's secret, but long enough for HS256");
  const tokens: [string, string, string][] = [
    [
      "expired",
      await px.token({ ...sup, now: clock.seconds - 3_600, ttlSeconds: 60 }),
      "token_expired",
    ],
    [
      "expired within the clock skew (a session would be over before it began)",
      await px.token({ ...sup, now: clock.seconds - 70, ttlSeconds: 60 }),
      "token_expired",
    ],
    ["forged", await signToken(forgedKey, sup), "invalid_signature"],
    ["garbage", "garbage", "invalid_token"],
  ];
  for (const [what, token, code] of tokens) {
    await t.step(what, async () => {
      const answer = await px.request("POST", "/console/session", { json: { token } });
      assertErrorAnswer(answer, 401, code);
      assertEquals(answer.headers.get("set-cookie"), null);
      assertEquals(px.auditOf(answer.requestId), []);
    });
  }
  await t.step("not JSON: 400 naming the body, whatever the text says", async () => {
    const bodies: [string, string][] = [
      ["application/x-www-form-urlencoded", `token=${px.tokens.supervisor}`],
      ["text/plain", JSON.stringify({ token: px.tokens.supervisor })],
      ["multipart/form-data; boundary=x", `--x\r\n\r\n${px.tokens.supervisor}\r\n--x--`],
    ];
    for (const [type, body] of bodies) {
      const answer = await px.request("POST", "/console/session", {
        body,
        headers: { "content-type": type },
      });
      assertErrorAnswer(answer, 400, "bad_request", "body");
      assertEquals(answer.headers.get("set-cookie"), null, type);
    }
    const broken = await px.request("POST", "/console/session", {
      body: "{",
      headers: { "content-type": "application/json" },
    });
    assertErrorAnswer(broken, 400, "bad_request", "body");
    const noToken = await px.request("POST", "/console/session", { json: {} });
    assertErrorAnswer(noToken, 400, "bad_request", "token");
  });
});
