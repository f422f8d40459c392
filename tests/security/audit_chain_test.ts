/**
 * Issue 11, items 1 and 2, on both databases: someone who can write the
 * audit database but not read the key tries to make a forged log pass. Each
 * attack runs on a real SQLite file, and on a real PostgreSQL, written by
 * astrix's writer, altered through a second connection as such a person
 * would, and is then checked the way auditors and ops do: `astrix
 * audit-query --verify` as a process, and the proxy's writer, which must
 * refuse to write (and so re-anchor) on top. What only one database allows
 * (SQLite: a table rebuilt without its CHECK, a NUL hidden in a value, a
 * version-2 file) is tested on that one.
 */

import { createHash, createHmac } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../_support/assert.ts";
import {
  AUDIT_BACKENDS,
  type AuditBackend,
  type TestAudit,
  verifyCli,
} from "../_support/audit_backends.ts";
import { runCli } from "../_support/cli.ts";
import { AuditLog, AuditUnavailableError } from "../../src/audit/mod.ts";

const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);

/** An audit the proxy wrote: `count` rows, chained, the key beside it. */
async function written(backend: AuditBackend, count = 8): Promise<TestAudit> {
  const audit = await backend.create();
  await audit.append(Array.from({ length: count }, (_, i) => ({
    userId: `sup-${i % 3}`,
    role: "supervisor",
    action: i % 2 ? "listen" : "playback",
    target: `SIP/20${i % 10}-0000000a`,
    jobId: `job-${i}`,
    outcome: i % 2 ? "ok" as const : "attempt" as const,
    status: i % 2 ? 202 : null,
    requestId: `req-${i}`,
    remoteAddr: "10.0.0.9",
    detail: { i },
    timestamp: CLOCK + i * 60_000,
  })));
  return audit;
}

/** The attacker's own connection to the database. */
async function attack(audit: TestAudit, ...sql: string[]): Promise<void> {
  for (const statement of sql) await audit.exec(statement);
}

async function assertBroken(audit: TestAudit, pattern: RegExp, ...args: string[]): Promise<void> {
  const result = await verifyCli(audit, ...args);
  assertEquals(result.code, 1, `verify must fail:\n${result.stdout}${result.stderr}`);
  assertMatch(result.stdout, pattern);
}

/** The proxy refuses to open the database for writing, saying it was altered. */
async function assertProxyRefuses(audit: TestAudit, what: RegExp): Promise<void> {
  const error = await assertRejects(() => audit.openWriter(), AuditUnavailableError);
  assertMatch(error.message, /altered without the key/);
  assertMatch(error.message, what);
  assertMatch(
    error.message,
    /start the proxy on a new --audit-db file with its own --audit-key-file/,
    "tells ops what to do",
  );
}

/** Hashes stripped first, as in the attack: HEAD then called every row "legacy". */
const STRIP = "UPDATE ami_audit SET hash = NULL, prev_hash = NULL";

/**
 * `sql` is caught as `pattern` says on a chained log, and again after the
 * hashes were stripped first (which made it pass before); the proxy then
 * refuses to start a new chain on top.
 */
async function assertCaughtEvenStripped(
  backend: AuditBackend,
  sql: string[],
  pattern: RegExp,
): Promise<void> {
  await using plain = await written(backend);
  await attack(plain, ...sql);
  await assertBroken(plain, pattern);
  await using stripped = await written(backend);
  await attack(stripped, STRIP, ...sql);
  await assertBroken(stripped, /^chain BROKEN at row 1: .*(stripped|lost its hash)/);
  await assertProxyRefuses(stripped, /has lost its hash \(the hashes were stripped\)/);
}

async function count(audit: TestAudit, where = "1 = 1"): Promise<number> {
  return Number((await audit.rows(`SELECT count(*) AS n FROM ami_audit WHERE ${where}`))[0].n);
}

for (const backend of AUDIT_BACKENDS) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test(`[${backend.name}] audit chain: ${name}`, fn);

  test("an untouched log verifies, its start recorded beside the key", async () => {
    await using audit = await written(backend);
    const result = await verifyCli(audit);
    assertEquals(result.code, 0, result.stdout + result.stderr);
    assertMatch(result.stdout, /^chain OK · 8 rows: 8 chained, 0 legacy/);
    const anchor = Deno.readTextFileSync(`${audit.keyFile}.anchor`);
    assertMatch(anchor, /^1:[0-9a-f]{64}\n$/);
    assertEquals(Deno.statSync(`${audit.keyFile}.anchor`).mode! & 0o777, 0o600);
    assertMatch(result.stdout, /chain start 1 is the one recorded in .*audit\.key\.anchor/);
  });

  test("an edited row is named", async () => {
    await assertCaughtEvenStripped(
      backend,
      ["UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 4"],
      /^chain BROKEN at row 4: its content does not match its hash/,
    );
  });

  test("an inserted row, with or without a made-up hash, is named", async () => {
    await using plain = await written(backend);
    await attack(
      plain,
      "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome) VALUES (9, 'ghost', 'listen', 1, 'ok')",
    );
    await assertBroken(plain, /^chain BROKEN at row 9: it has no hash/);
    await assertProxyRefuses(plain, /row 9 has no hash/);

    await using forged = await written(backend);
    const [last] = await forged.rows("SELECT hash FROM ami_audit WHERE id = 8");
    await forged.exec(
      "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash) " +
        "VALUES (9, 'ghost', 'listen', 1, 'ok', ?, ?)",
      String(last.hash),
      createHash("sha256").update(last.hash + "ghost").digest("hex"),
    );
    await assertBroken(forged, /^chain BROKEN at row 9: its content does not match its hash/);
  });

  test("a deleted row is named", async () => {
    await assertCaughtEvenStripped(
      backend,
      ["DELETE FROM ami_audit WHERE id = 5"],
      /^chain BROKEN at row 6: row 5 before it is missing \(deleted\)/,
    );
  });

  test("reordered rows (two rows' ids swapped) are caught", async () => {
    await assertCaughtEvenStripped(
      backend,
      [
        "UPDATE ami_audit SET id = 1000 WHERE id = 3",
        "UPDATE ami_audit SET id = 3 WHERE id = 4",
        "UPDATE ami_audit SET id = 4 WHERE id = 1000",
      ],
      /^chain BROKEN at row 3: /,
    );
  });

  test("a truncated log fails --expect-head, which --head records with the chain start", async () => {
    await using audit = await written(backend);
    const head = await runCli(["audit-query", "--db", audit.db, "--head"]);
    const recorded = head.stdout.trim();
    assertMatch(recorded, /^8:[0-9a-f]{64} 1:[0-9a-f]{64}$/, "the head, then the chain start");
    await attack(audit, "DELETE FROM ami_audit WHERE id > 6");
    await assertBroken(
      audit,
      backend.name === "sqlite"
        ? /^chain BROKEN at row 8: the recorded head row is gone/
        // PostgreSQL's writers keep the head in the database: that tells first.
        : /^chain BROKEN at row 8: the writers' chain head is 8:.* rows were deleted from the end/,
      "--expect-head",
      recorded,
    );

    // The whole chain replaced by a new one (the key file kept, so no anchor to compare with):
    // the start recorded with the head is what gives it away.
    await using other = await written(backend);
    Deno.removeSync(`${other.keyFile}.anchor`);
    const otherHead = (await runCli(["audit-query", "--db", other.db, "--head"])).stdout.trim();
    await attack(other, "DELETE FROM ami_audit");
    // A new chain, rows 9..16 (on PostgreSQL chained after the head its writers keep).
    await other.append(Array.from({ length: 8 }, () => ({
      userId: "u",
      action: "listen",
      outcome: "ok" as const,
    })));
    await assertBroken(
      other,
      backend.name === "sqlite"
        ? /^chain BROKEN at row 1: the chain starts at 9:/
        // PostgreSQL's writer chained the new rows after the head it keeps: the gap tells.
        : /^chain BROKEN at row 9: rows 1 to 8 before it are missing \(deleted\)/,
      "--expect-head",
      otherHead,
    );
  });

  test("stripped hashes (SET hash = NULL, prev_hash = NULL) are not 'legacy'", async () => {
    await using audit = await written(backend);
    await attack(
      audit,
      "UPDATE ami_audit SET hash = NULL, prev_hash = NULL",
      "UPDATE ami_audit SET user_id = 'nobody' WHERE id = 3",
      "DELETE FROM ami_audit WHERE id = 5",
    );
    await assertBroken(audit, /^chain BROKEN at row 1: .*(stripped|lost its hash)/);
    await assertProxyRefuses(audit, /row 1, where the chain started .* has lost its hash/);
    assertEquals(await count(audit, "hash IS NOT NULL"), 0, "the proxy re-anchored nothing");
    await assertBroken(audit, /^chain BROKEN at row 1: /);
    // The proxy itself says so at startup, and exits.
    const proxy = await runCli([
      "proxy",
      ...["--port", "0", "--dev-token", "--audit-db", audit.db, "--audit-key-file", audit.keyFile],
    ]);
    assertEquals(proxy.code, 2, proxy.stderr);
    assertMatch(proxy.stderr, /^astrix proxy: The audit database .* was altered without the key: /);
    assertMatch(
      proxy.stderr,
      /Keep the file as evidence, check it with `astrix audit-query --verify`/,
    );
    assertEquals(await count(audit, "hash IS NOT NULL"), 0, "still nothing re-anchored");

    // An install from before the anchor file existed: astrix's columns without a hash still tell.
    await using old = await written(backend);
    Deno.removeSync(`${old.keyFile}.anchor`);
    await attack(old, "UPDATE ami_audit SET hash = NULL, prev_hash = NULL");
    await assertBroken(old, /^chain BROKEN at row 1: it has astrix's columns .* no hash/);
    await assertProxyRefuses(old, /row 1 carries astrix's columns .* without a hash/);
  });

  test("rows made to look like the seed's (astrix's columns emptied too) break the recorded start", async () => {
    await using audit = await written(backend);
    await attack(
      audit,
      "UPDATE ami_audit SET hash = NULL, prev_hash = NULL, role = NULL, outcome = NULL, status = NULL, " +
        "request_id = NULL, remote_addr = NULL, detail = NULL",
    );
    await assertBroken(audit, /^chain BROKEN at row 1: it is where the chain started/);
    await assertProxyRefuses(audit, /row 1, where the chain started/);
  });

  test("a chain re-made without the key (every row re-hashed by the attacker) fails", async () => {
    await using audit = await written(backend);
    await audit.exec("UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 2");
    const attackerKey = crypto.getRandomValues(new Uint8Array(32));
    let prev = createHmac("sha256", attackerKey).update("astrix audit legacy rows\n").digest("hex");
    const rows = await audit.rows(
      "SELECT id, user_id, action, target, job_id, timestamp, role, outcome, status, request_id, " +
        "remote_addr, detail FROM ami_audit ORDER BY id",
    );
    for (const row of rows) {
      const hash = createHmac("sha256", attackerKey).update(
        prev + JSON.stringify(Object.values(row)),
      ).digest("hex");
      await audit.exec(
        "UPDATE ami_audit SET prev_hash = ?, hash = ? WHERE id = ?",
        prev,
        hash,
        row.id,
      );
      prev = hash;
    }
    await assertBroken(audit, /^chain (BROKEN|NOT VERIFIED) at row 1: /);
    await assertProxyRefuses(audit, /row 1, where the chain started .* another hash now/);
  });

  test("dropped hash columns are tampering, not a seed database", async () => {
    await using audit = await written(backend);
    await attack(
      audit,
      "ALTER TABLE ami_audit DROP COLUMN hash",
      "ALTER TABLE ami_audit DROP COLUMN prev_hash",
    );
    await assertBroken(audit, /^chain BROKEN: the columns prev_hash, hash were dropped/);
    await assertProxyRefuses(audit, /columns prev_hash, hash were dropped/);
  });

  test("the chain removed entirely (the start gone) is caught, and not re-anchored", async () => {
    await using audit = await written(backend);
    await attack(audit, "DELETE FROM ami_audit");
    await assertBroken(
      audit,
      /^chain BROKEN at row 1: the chain started at this row .* which is gone/,
    );
    await assertProxyRefuses(audit, /row 1, where the chain started .* is gone/);
  });

  test("an audit from before the anchor file gets its start recorded on open (trust on first use)", async () => {
    await using audit = await written(backend, 3);
    Deno.removeSync(`${audit.keyFile}.anchor`);
    const before = await verifyCli(audit);
    assertEquals(before.code, 0);
    assertMatch(before.stdout, /chain start 1 is not recorded in .* yet/);
    await audit.openWriter();
    assertMatch(Deno.readTextFileSync(`${audit.keyFile}.anchor`), /^1:[0-9a-f]{64}\n$/);
    assertMatch((await verifyCli(audit)).stdout, /chain start 1 is the one recorded/);
  });
}

const sqlite = AUDIT_BACKENDS.find((b) => b.name === "sqlite")!;
const postgres = AUDIT_BACKENDS.find((b) => b.name === "postgres")!;

/** The rows 0 and -5 an attacker adds once the id CHECK is gone, and what that shows. */
async function assertForeignIdsCaught(audit: TestAudit): Promise<void> {
  await attack(
    audit,
    "INSERT INTO ami_audit (id, user_id, action, timestamp) VALUES (0, 'ghost', 'listen', 1)",
    "INSERT INTO ami_audit (id, user_id, action, timestamp) VALUES (-5, 'ghost', 'hangup', 2)",
  );
  const listed = await runCli([
    "audit-query",
    "--db",
    audit.db,
    "--format",
    "ndjson",
    "--limit",
    "100",
  ]);
  assert(listed.stdout.includes('"user":"ghost"'), "queries list the row as real");
  await assertBroken(
    audit,
    /^chain BROKEN at row -5: its id is below 1, which astrix never writes/,
  );
  const head = (await runCli(["audit-query", "--db", audit.db, "--head"])).stdout.trim();
  await assertBroken(audit, /^chain BROKEN at row -5: /, "--expect-head", head);
  await assertProxyRefuses(audit, /id -5/);
}

/** The schema refuses a row with id 0, saying `why`. */
async function assertIdZeroRefused(audit: TestAudit, why: string): Promise<void> {
  await assertRejects(
    () =>
      attack(
        audit,
        "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash) " +
          "VALUES (0, 'ghost', 'listen', 1, 'ok', NULL, NULL)",
      ),
    Error,
    why,
  );
}

Deno.test("[sqlite] audit chain: a row with id 0 is refused by the schema, and reported if the schema is rebuilt", async () => {
  await using audit = await written(sqlite);
  await assertIdZeroRefused(audit, "CHECK constraint failed");
  // The attacker rebuilds the table without the CHECK (SQLite drops none otherwise).
  await attack(
    audit,
    "CREATE TABLE copy AS SELECT * FROM ami_audit",
    "DROP TABLE ami_audit",
    "ALTER TABLE copy RENAME TO ami_audit",
  );
  await assertForeignIdsCaught(audit);
});

Deno.test("[postgres] audit chain: a row with id 0 is refused by the schema, and reported if the CHECK is dropped", async () => {
  await using audit = await written(postgres);
  await assertIdZeroRefused(audit, "ami_audit_id_check");
  await attack(audit, "ALTER TABLE ami_audit DROP CONSTRAINT ami_audit_id_check");
  await assertForeignIdsCaught(audit);
});

Deno.test("[sqlite] audit chain: a version-2 database holding id 0 is refused at migration, every row kept", () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-sec-chain-" });
  const db = `${dir}/ami_audit.db`;
  const migrations = new URL("../../src/audit/migrations/", import.meta.url);
  const handle = new DatabaseSync(db);
  handle.exec(Deno.readTextFileSync(new URL("001_create_audit_table.sql", migrations)));
  handle.exec(Deno.readTextFileSync(new URL("002_extend_and_chain.sql", migrations)));
  handle.exec("PRAGMA user_version = 2");
  handle.exec(
    "INSERT INTO ami_audit (id, user_id, action, timestamp) VALUES (0, 'ghost', 'listen', 1), " +
      "(1, 'u1', 'listen', 2)",
  );
  handle.close();
  const error = assertThrows(
    () => AuditLog.open(db, { keyFile: `${db}.key` }),
    AuditUnavailableError,
    "id 0",
  );
  assertMatch(error.message, /neither migrate nor drop it/);
  const version = new DatabaseSync(db, { readOnly: true });
  assertEquals(
    Number((version.prepare("SELECT count(*) AS n FROM ami_audit").get() as { n: number }).n),
    2,
    "no row dropped",
  );
  assertEquals(
    (version.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    2,
  );
  version.close();
  Deno.removeSync(dir, { recursive: true });
});

// PostgreSQL's text refuses a NUL: the attack exists on SQLite only.
Deno.test("[sqlite] audit chain: a NUL appended to a stored value (hidden from every reader) is caught", async () => {
  await using audit = await written(sqlite);
  await attack(audit, "UPDATE ami_audit SET user_id = user_id || char(0) || 'x' WHERE id = 2");
  await assertBroken(audit, /^chain BROKEN at row 2: a text column of it holds a NUL character/);
});
