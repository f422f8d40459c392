/**
 * The audit browser and the health panel are the admin's alone: a user, a
 * qa or a supervisor asking GET /audit, /audit/verify or /status gets 403
 * forbidden_role and leaves a `denied` row saying so (reading who did what
 * is itself watched); without a token, 401 and no row. Nothing of the audit
 * is in a refusal's body.
 */

import { assertEquals } from "../_support/assert.ts";
import { assertErrorAnswer, CALLERS, startTestProxy } from "../_support/proxy.ts";

/** Each admin route and the action its rows name. */
const ROUTES = [
  ["/audit", "audit-read"],
  ["/audit?format=csv", "audit-read"],
  ["/audit/verify", "audit-verify"],
  ["/status", "status"],
] as const;

Deno.test("GET /audit, /audit/verify and /status: user, qa and supervisor get 403 forbidden_role and a denied row", async (t) => {
  await using px = await startTestProxy();
  for (const role of ["user", "qa", "supervisor"] as const) {
    for (const [path, action] of ROUTES) {
      await t.step(`${role}: ${path}`, async () => {
        const answer = await px.request("GET", path, { role });
        assertErrorAnswer(answer, 403, "forbidden_role");
        assertEquals(answer.headers.get("content-disposition"), null, "no download");
        const rows = px.auditOf(answer.requestId);
        assertEquals(
          rows.map((r) => [r.userId, r.role, r.action, r.target, r.outcome, r.status]),
          [[CALLERS[role].sub, role, action, null, "denied", 403]],
        );
        assertEquals(JSON.parse(rows[0].detail!), { code: "forbidden_role" });
        assertEquals(answer.sent, []);
      });
    }
  }
});

Deno.test("GET /audit, /audit/verify and /status without a token: 401 missing_token, no row", async () => {
  await using px = await startTestProxy();
  for (const [path] of ROUTES) {
    const answer = await px.request("GET", path);
    assertErrorAnswer(answer, 401, "missing_token");
    assertEquals(px.auditOf(answer.requestId), [], path);
  }
  const garbage = await px.request("GET", "/audit", { token: "garbage" });
  assertErrorAnswer(garbage, 401, "invalid_token");
  assertEquals(px.auditOf(garbage.requestId), []);
});

Deno.test("GET /audit refuses a non-admin before reading the query: a bad query is still 403", async () => {
  await using px = await startTestProxy();
  const answer = await px.request("GET", "/audit?since=not-a-time&limit=0", { role: "supervisor" });
  assertErrorAnswer(answer, 403, "forbidden_role");
  assertEquals(px.auditOf(answer.requestId).map((r) => r.outcome), ["denied"]);
});
