/**
 * Fail closed on PostgreSQL, as on SQLite (`audit_fail_closed_test.ts`):
 * while the database refuses the audit's inserts (a trigger raising, as a
 * full disk or a revoked grant would), a request that would act on the PBX
 * answers 503 `audit_unavailable` and nothing reaches mock-ami, `/readyz`
 * says why and what to do, and once the database takes rows again requests
 * go through, audited.
 */

import postgres from "postgres";
import { assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { testDatabase } from "../_support/postgres.ts";
import { assertErrorAnswer, CALLERS, startTestProxy } from "../_support/proxy.ts";
import { eventually } from "../_support/wait.ts";

Deno.test("PostgreSQL audit refusing inserts: 503 audit_unavailable, nothing sent, /readyz says why; then it goes through", async () => {
  await using pg = await testDatabase();
  const keyDir = Deno.makeTempDirSync({ prefix: "astrix-pg-fail-closed-" });
  await using px = await startTestProxy({
    config: { auditDb: pg.url, auditKeyFile: `${keyDir}/audit.key` },
  });
  const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    const target = await px.liveChannel();
    await sql.unsafe(`
      CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'disk full (simulated by the test)'; END $$;
      CREATE TRIGGER test_refuse BEFORE INSERT ON ami_audit FOR EACH ROW EXECUTE FUNCTION test_refuse();
    `);
    const refused = await px.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: target },
    });
    assertErrorAnswer(refused, 503, "audit_unavailable");
    assertEquals(refused.sent, []);
    const ready = await contractFetch(`${px.url}/readyz`);
    const body = await ready.json();
    assertEquals([ready.status, body.audit], [503, false]);
    assertMatch(body.auditProblem.reason, /disk full \(simulated by the test\)/);
    assertMatch(body.auditProblem.fix, /pg_isready/);

    await sql.unsafe("DROP TRIGGER test_refuse ON ami_audit");
    const accepted = await px.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: target },
    });
    assertEquals(accepted.status, 202, JSON.stringify(accepted.body));
    assertEquals(accepted.sent, ["Status", "Originate"]);
    const rows = await sql`SELECT outcome, status, user_id FROM ami_audit
      WHERE request_id = ${accepted.requestId} ORDER BY id`;
    assertEquals(
      rows.map((r) => [r.outcome, r.status === null ? null : Number(r.status), r.user_id]),
      [["attempt", null, CALLERS.supervisor.sub], ["ok", 202, CALLERS.supervisor.sub]],
    );
    await eventually(async () => {
      const again = await (await contractFetch(`${px.url}/readyz`)).json();
      return again.audit === true || undefined;
    }, "/readyz ready again");
  } finally {
    await sql.end();
    Deno.removeSync(keyDir, { recursive: true });
  }
});
