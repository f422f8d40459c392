/**
 * Attack (issue 11, item 3): a token whose `sub` is "bob\u0000admin". SQLite
 * cut it at the NUL, so the action was audited as "bob", and `--verify`
 * reported tampering on an untouched log. Now the proxy answers 401
 * `invalid_claims` before any log line or audit row carries the value, for
 * each identity claim and each kind of control character; `astrix token`
 * refuses to sign such a token.
 */

import { SignJWT } from "jose";
import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { assertErrorAnswer, startTestProxy, TEST_SECRET } from "../_support/proxy.ts";
import { AuditReader } from "../../src/audit/mod.ts";
import { createLogger } from "../../src/log.ts";
import { InvalidClaimError } from "../../src/proxy/errors.ts";
import { signToken, type TokenClaims } from "../../src/proxy/tokens.ts";

/** A token signed with the test proxy's secret, claims as given (no checks on the way). */
async function forged(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("astrix")
    .setAudience("astrix").setIssuedAt(now).setExpirationTime(now + 600).sign(TEST_SECRET);
}

function allRows(auditDb: string) {
  const reader = AuditReader.open(auditDb);
  try {
    return reader.query({}, { limit: 1_000_000, order: "asc" }).rows;
  } finally {
    reader.close();
  }
}

Deno.test("a token whose sub holds a NUL gets 401 invalid_claims, with no audit row and no log line carrying it", async () => {
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "debug", write: (l) => lines.push(l) });
  await using px = await startTestProxy({ config: { logger } });
  const token = await forged({ sub: "bob\u0000admin", role: "supervisor", ext: "201" });
  const rowsBefore = allRows(px.auditDb).length;
  const linesBefore = lines.length;

  // Listing channels is audited (an attempt row, then ok): the attack would leave rows as "bob".
  const answer = await px.request("GET", "/ami/channels", { token });

  assertErrorAnswer(answer, 401, "invalid_claims");
  assertMatch(answer.body.error.message, /sub claim has a control character \(U\+0000/);
  assertEquals(answer.sent, [], "nothing reached the PBX");
  assertEquals(px.auditOf(answer.requestId), []);
  assertEquals(allRows(px.auditDb).length, rowsBefore, "no audit row at all");
  const logged = lines.slice(linesBefore);
  assert(logged.some((l) => l.includes(answer.requestId)), "the request is logged");
  for (const line of logged) {
    assert(!line.includes("bob"), `the log does not carry the claim: ${line}`);
  }
});

Deno.test("every identity claim with a control character, a lone surrogate or over 128 characters gets 401 invalid_claims naming it", async () => {
  await using px = await startTestProxy();
  const bad = [
    "\u0000",
    "\u0009",
    "\u001b[31m",
    "\u007f",
    "\u0085",
    "\u009b",
    "\u2028",
    "\u2029",
    "\ud800",
  ];
  const base = { sub: "sup-201", role: "supervisor", ext: "201" };
  for (const claim of ["sub", "user_id", "role", "ext"]) {
    for (const char of bad) {
      const value = claim === "role"
        ? `supervisor${char}`
        : `${claim === "ext" ? "201" : "x"}${char}`;
      const claims: Record<string, unknown> = { ...base, [claim]: value };
      if (claim === "user_id") delete claims.sub;
      const answer = await px.request("GET", "/ami/channels", { token: await forged(claims) });
      const what = `${claim} with U+${char.codePointAt(0)!.toString(16)}`;
      assertErrorAnswer(answer, 401, "invalid_claims");
      assertMatch(answer.body.error.message, new RegExp(`token's ${claim} claim has`), what);
      assertEquals(answer.sent, [], what);
    }
  }
  const long = await px.request("GET", "/ami/channels", {
    token: await forged({ ...base, sub: "u".repeat(129) }),
  });
  assertErrorAnswer(long, 401, "invalid_claims");
  assertMatch(long.body.error.message, /sub claim is longer than 128 characters/);
  // At the limit, and text with a zero-width non-joiner (common in Persian names), pass.
  for (const sub of ["u".repeat(128), "رضا\u200cاحمدی"]) {
    const ok = await px.request("GET", "/ami/channels", { token: await forged({ ...base, sub }) });
    assertEquals(ok.status, 200, JSON.stringify(ok.body));
    assertEquals(px.auditOf(ok.requestId).map((row) => row.userId), [sub, sub]);
  }
});

Deno.test("astrix token refuses to sign a user id with a control character or over 128 characters", async () => {
  const env = { ASTRIX_JWT_SECRET: "token-cli-secret-0123456789abcdef0123" };
  // A NUL cannot travel in argv; ESC, C1 and U+2028 can.
  for (
    const [user, message] of [
      ["bob\u001b[2J", /--user has a control character \(U\+001B at character 4\)/],
      ["a\u0085\u2028b", /--user has a control character \(U\+0085/],
      ["u".repeat(129), /--user is longer than 128 characters/],
    ] as const
  ) {
    const { code, stdout, stderr } = await runCli(
      ["token", "--user", user, "--role", "admin"],
      env,
    );
    assertEquals(code, 2, stderr);
    assertEquals(stdout, "");
    assertMatch(stderr, message);
    assert(!stderr.includes(user), "the value is not echoed to the terminal");
  }
});

Deno.test("signToken refuses claims the proxy would refuse, naming the claim", async () => {
  for (
    const [claims, claim] of [
      [{ sub: "bob\u0000admin", role: "admin" }, "sub"],
      [{ sub: "bob", role: "admin", ext: "201\u2029" }, "ext"],
    ] as const
  ) {
    const error = await assertRejects(
      () => signToken(TEST_SECRET, claims as TokenClaims),
      InvalidClaimError,
      `${claim} claim has a control character`,
    );
    assertEquals(error.claim, claim);
  }
});
