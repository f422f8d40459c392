/**
 * `astrix audit-migrate` as a process: a SQLite audit of 100,000 rows (the
 * seed's legacy rows first) copied into a real PostgreSQL, verified there by
 * `audit-query --verify`, appended to by the PostgreSQL writer afterwards;
 * a second copy into the same database, and a tampered source, refused.
 */

import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { testDatabase } from "../_support/postgres.ts";
import { writeSeedAudit } from "../_support/seed_audit.ts";
import { AuditLog } from "../../src/audit/log.ts";
import { PgAuditLog } from "../../src/audit/pg/log.ts";

const ROWS = 100_000;
const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);

/** A seed-era database (3 legacy rows), then astrix's chained rows. */
function sqliteAudit(dir: string, chained: number): { db: string; keyFile: string } {
  const db = `${dir}/ami_audit.db`;
  const keyFile = `${dir}/audit.key`;
  writeSeedAudit(db);
  const log = AuditLog.open(db, { keyFile });
  for (let done = 0; done < chained; done += 1_000) {
    log.appendAll(Array.from({ length: Math.min(1_000, chained - done) }, (_, i) => ({
      userId: `sup-${(done + i) % 7}`,
      role: "supervisor",
      action: "listen",
      target: `SIP/2${String((done + i) % 100).padStart(2, "0")}-0000000a`,
      outcome: "ok" as const,
      status: 202,
      detail: { n: done + i },
      timestamp: CLOCK + done + i,
    })));
  }
  log.close();
  return { db, keyFile };
}

/** `astrix audit-migrate --from <db> --to <url> --key-file <key>` as a process. */
function migrateCli(db: string, url: string, keyFile: string) {
  return runCli(["audit-migrate", "--from", db, "--to", url, "--key-file", keyFile]);
}

Deno.test("audit-migrate copies 100,000 rows with their hashes; the chain verifies on PostgreSQL and grows there", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-migrate-" });
  await using pg = await testDatabase();
  const { db, keyFile } = sqliteAudit(dir, ROWS);
  const migrate = await migrateCli(db, pg.url, keyFile);
  assertEquals(migrate.code, 0, migrate.stderr);
  assertMatch(
    migrate.stdout,
    new RegExp(`copied ${ROWS + 3} rows .* chain OK there: ${ROWS} chained, 3 legacy`),
  );
  assertMatch(
    migrate.stdout,
    /--audit-db postgres:\/\/astrix@127\.0\.0\.1:\d+\/astrix_test_\w+ --audit-key-file/,
  );

  const verify = () => runCli(["audit-query", "--db", pg.url, "--verify", "--key-file", keyFile]);
  const first = await verify();
  assertEquals(first.code, 0, first.stderr);
  assertMatch(first.stdout, new RegExp(`chain OK · ${ROWS + 3} rows: ${ROWS} chained`));
  // The same rows, the same answers.
  const count = await runCli([
    "audit-query",
    "--db",
    pg.url,
    "--stats",
    "--by",
    "user",
    "--format",
    "json",
  ]);
  assertEquals(
    JSON.parse(count.stdout).reduce((n: number, s: { count: number }) => n + s.count, 0),
    ROWS + 3,
  );

  const log = await PgAuditLog.open(pg.url, { keyFile });
  const [appended] = await log.appendAll([{ userId: "after", action: "listen", outcome: "ok" }]);
  await log.close();
  assertEquals(appended.id, ROWS + 4, "the proxies append after the copied head");
  const again = await verify();
  assertEquals(again.code, 0, again.stderr);

  const twice = await migrateCli(db, pg.url, keyFile);
  assertEquals(twice.code, 2);
  assertMatch(twice.stderr, /already holds 100004 audit rows/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("audit-migrate refuses a source that does not verify, and copies nothing", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-migrate-" });
  await using pg = await testDatabase();
  const { db, keyFile } = sqliteAudit(dir, 20);
  const handle = new DatabaseSync(db);
  handle.exec("UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 10");
  handle.close();
  const migrate = await migrateCli(db, pg.url, keyFile);
  assertEquals(migrate.code, 1);
  assertMatch(migrate.stderr, /does not verify \(row 10: .*\); nothing copied/);
  const query = await runCli(["audit-query", "--db", pg.url]);
  assertEquals(query.code, 2, "no audit was created there");
  assertMatch(query.stderr, /holds no astrix audit/);
  Deno.removeSync(dir, { recursive: true });
});
