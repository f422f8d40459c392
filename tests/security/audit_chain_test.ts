/**
 * Issue 11, items 1 and 2: someone who can write the audit database but not
 * read the key tries to make a forged log pass. Each attack runs on a real
 * SQLite file written by AuditLog, altered through a second connection as
 * such a person would, and is then checked the way auditors and ops do:
 * `astrix audit-query --verify` as a process, and the proxy's
 * `AuditLog.open`, which must refuse to write (and so re-anchor) on top.
 */

import { createHash, createHmac } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { AuditLog, AuditUnavailableError } from "../../src/audit/mod.ts";

const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);

interface Audit {
  dir: string;
  db: string;
  key: string;
}

/** A database the proxy wrote: `count` rows, chained, the key beside it. */
function written(count = 8): Audit {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-sec-chain-" });
  const db = `${dir}/ami_audit.db`;
  const key = `${db}.key`;
  const log = AuditLog.open(db, { keyFile: key });
  for (let i = 0; i < count; i++) {
    log.append({
      userId: `sup-${i % 3}`,
      role: "supervisor",
      action: i % 2 ? "listen" : "playback",
      target: `SIP/20${i % 10}-0000000a`,
      jobId: `job-${i}`,
      outcome: i % 2 ? "ok" : "attempt",
      status: i % 2 ? 202 : null,
      requestId: `req-${i}`,
      remoteAddr: "10.0.0.9",
      detail: { i },
      timestamp: CLOCK + i * 60_000,
    });
  }
  log.close();
  return { dir, db, key };
}

/** The attacker's own connection to the file. */
function attack(db: string, ...sql: string[]): void {
  const handle = new DatabaseSync(db);
  for (const statement of sql) handle.exec(statement);
  handle.close();
}

async function verify(audit: Audit, ...args: string[]) {
  return await runCli([
    "audit-query",
    "--db",
    audit.db,
    "--verify",
    "--key-file",
    audit.key,
    ...args,
  ]);
}

async function assertBroken(audit: Audit, pattern: RegExp, ...args: string[]): Promise<void> {
  const result = await verify(audit, ...args);
  assertEquals(result.code, 1, `verify must fail:\n${result.stdout}${result.stderr}`);
  assertMatch(result.stdout, pattern);
}

/** The proxy refuses to open the database for writing, saying it was altered. */
function assertProxyRefuses(audit: Audit, what: RegExp): void {
  const error = assertThrows(
    () => AuditLog.open(audit.db, { keyFile: audit.key }).close(),
    AuditUnavailableError,
    "altered without the key",
  );
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
async function assertCaughtEvenStripped(sql: string[], pattern: RegExp): Promise<void> {
  const plain = written();
  attack(plain.db, ...sql);
  await assertBroken(plain, pattern);
  const stripped = written();
  attack(stripped.db, STRIP, ...sql);
  await assertBroken(stripped, /^chain BROKEN at row 1: .*(stripped|lost its hash)/);
  assertProxyRefuses(stripped, /has lost its hash \(the hashes were stripped\)/);
}

function count(db: string, where = "1"): number {
  const handle = new DatabaseSync(db, { readOnly: true });
  const row = handle.prepare(`SELECT count(*) AS n FROM ami_audit WHERE ${where}`).get() as {
    n: number;
  };
  handle.close();
  return Number(row.n);
}

Deno.test("audit chain: an untouched log verifies, its start recorded beside the key", async () => {
  const audit = written();
  const result = await verify(audit);
  assertEquals(result.code, 0, result.stdout + result.stderr);
  assertMatch(result.stdout, /^chain OK · 8 rows: 8 chained, 0 legacy/);
  const anchor = Deno.readTextFileSync(`${audit.key}.anchor`);
  assertMatch(anchor, /^1:[0-9a-f]{64}\n$/);
  assertEquals(Deno.statSync(`${audit.key}.anchor`).mode! & 0o777, 0o600);
  assertMatch(result.stdout, /chain start 1 is the one recorded in .*ami_audit\.db\.key\.anchor/);
});

Deno.test("audit chain: an edited row is named", async () => {
  await assertCaughtEvenStripped(
    ["UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 4"],
    /^chain BROKEN at row 4: its content does not match its hash/,
  );
});

Deno.test("audit chain: an inserted row, with or without a made-up hash, is named", async () => {
  const plain = written();
  attack(
    plain.db,
    "INSERT INTO ami_audit (user_id, action, timestamp, outcome) VALUES ('ghost', 'listen', 1, 'ok')",
  );
  await assertBroken(plain, /^chain BROKEN at row 9: it has no hash/);
  assertProxyRefuses(plain, /row 9 has no hash/);

  const forged = written();
  const handle = new DatabaseSync(forged.db);
  const last = handle.prepare("SELECT hash FROM ami_audit WHERE id = 8").get() as { hash: string };
  handle.prepare(
    "INSERT INTO ami_audit (user_id, action, timestamp, outcome, prev_hash, hash) " +
      "VALUES ('ghost', 'listen', 1, 'ok', ?, ?)",
  ).run(last.hash, createHash("sha256").update(last.hash + "ghost").digest("hex"));
  handle.close();
  await assertBroken(forged, /^chain BROKEN at row 9: its content does not match its hash/);
});

Deno.test("audit chain: a deleted row is named", async () => {
  await assertCaughtEvenStripped(
    ["DELETE FROM ami_audit WHERE id = 5"],
    /^chain BROKEN at row 6: row 5 before it is missing \(deleted\)/,
  );
});

Deno.test("audit chain: reordered rows (two rows' ids swapped) are caught", async () => {
  await assertCaughtEvenStripped(
    [
      "UPDATE ami_audit SET id = 1000 WHERE id = 3",
      "UPDATE ami_audit SET id = 3 WHERE id = 4",
      "UPDATE ami_audit SET id = 4 WHERE id = 1000",
    ],
    /^chain BROKEN at row 3: /,
  );
});

Deno.test("audit chain: a truncated log fails --expect-head, which --head records with the chain start", async () => {
  const audit = written();
  const head = await runCli(["audit-query", "--db", audit.db, "--head"]);
  const recorded = head.stdout.trim();
  assertMatch(recorded, /^8:[0-9a-f]{64} 1:[0-9a-f]{64}$/, "the head, then the chain start");
  attack(audit.db, "DELETE FROM ami_audit WHERE id > 6");
  await assertBroken(
    audit,
    /^chain BROKEN at row 8: the recorded head row is gone/,
    "--expect-head",
    recorded,
  );

  // The whole chain replaced by a new one (the key file kept, so no anchor to compare with):
  // the start recorded with the head is what gives it away.
  const other = written();
  Deno.removeSync(`${other.key}.anchor`);
  const otherHead = (await runCli(["audit-query", "--db", other.db, "--head"])).stdout.trim();
  attack(other.db, "DELETE FROM ami_audit");
  const log = AuditLog.open(other.db, { keyFile: other.key }); // a new chain, rows 9..16
  for (let i = 0; i < 8; i++) log.append({ userId: "u", action: "listen", outcome: "ok" });
  log.close();
  await assertBroken(
    other,
    /^chain BROKEN at row 1: the chain starts at 9:/,
    "--expect-head",
    otherHead,
  );
});

Deno.test("audit chain: stripped hashes (SET hash = NULL, prev_hash = NULL) are not 'legacy'", async () => {
  const audit = written();
  attack(
    audit.db,
    "UPDATE ami_audit SET hash = NULL, prev_hash = NULL",
    "UPDATE ami_audit SET user_id = 'nobody' WHERE id = 3",
    "DELETE FROM ami_audit WHERE id = 5",
  );
  await assertBroken(audit, /^chain BROKEN at row 1: .*(stripped|lost its hash)/);
  assertProxyRefuses(audit, /row 1, where the chain started .* has lost its hash/);
  assertEquals(count(audit.db, "hash IS NOT NULL"), 0, "the proxy re-anchored nothing");
  await assertBroken(audit, /^chain BROKEN at row 1: /);
  // The proxy itself says so at startup, and exits.
  const proxy = await runCli([
    "proxy",
    ...["--port", "0", "--dev-token", "--audit-db", audit.db, "--audit-key-file", audit.key],
  ]);
  assertEquals(proxy.code, 2, proxy.stderr);
  assertMatch(proxy.stderr, /^astrix proxy: The audit database .* was altered without the key: /);
  assertMatch(
    proxy.stderr,
    /Keep the file as evidence, check it with `astrix audit-query --verify`/,
  );
  assertEquals(count(audit.db, "hash IS NOT NULL"), 0, "still nothing re-anchored");

  // An install from before the anchor file existed: astrix's columns without a hash still tell.
  const old = written();
  Deno.removeSync(`${old.key}.anchor`);
  attack(old.db, "UPDATE ami_audit SET hash = NULL, prev_hash = NULL");
  await assertBroken(old, /^chain BROKEN at row 1: it has astrix's columns .* no hash/);
  assertProxyRefuses(old, /row 1 carries astrix's columns .* without a hash/);
});

Deno.test("audit chain: rows made to look like the seed's (astrix's columns emptied too) break the recorded start", async () => {
  const audit = written();
  attack(
    audit.db,
    "UPDATE ami_audit SET hash = NULL, prev_hash = NULL, role = NULL, outcome = NULL, status = NULL, " +
      "request_id = NULL, remote_addr = NULL, detail = NULL",
  );
  await assertBroken(audit, /^chain BROKEN at row 1: it is where the chain started/);
  assertProxyRefuses(audit, /row 1, where the chain started/);
});

Deno.test("audit chain: a chain re-made without the key (every row re-hashed by the attacker) fails", async () => {
  const audit = written();
  const handle = new DatabaseSync(audit.db);
  handle.exec("UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 2");
  const attackerKey = crypto.getRandomValues(new Uint8Array(32));
  let prev = createHmac("sha256", attackerKey).update("astrix audit legacy rows\n").digest("hex");
  const rows = handle.prepare(
    "SELECT id, user_id, action, target, job_id, timestamp, role, outcome, status, request_id, " +
      "remote_addr, detail FROM ami_audit ORDER BY id",
  ).all() as Record<string, unknown>[];
  for (const row of rows) {
    const hash = createHmac("sha256", attackerKey).update(prev + JSON.stringify(Object.values(row)))
      .digest("hex");
    handle.prepare("UPDATE ami_audit SET prev_hash = ?, hash = ? WHERE id = ?").run(
      prev,
      hash,
      row.id as number,
    );
    prev = hash;
  }
  handle.close();
  await assertBroken(audit, /^chain (BROKEN|NOT VERIFIED) at row 1: /);
  assertProxyRefuses(audit, /row 1, where the chain started .* another hash now/);
});

Deno.test("audit chain: a row with id 0 is refused by the schema, and reported if the schema is rebuilt", async () => {
  const audit = written();
  assertThrows(
    () =>
      attack(
        audit.db,
        "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash) " +
          "VALUES (0, 'ghost', 'listen', 1, 'ok', NULL, NULL)",
      ),
    Error,
    "CHECK constraint failed",
  );
  // The attacker rebuilds the table without the CHECK, then adds rows 0 and -5.
  attack(
    audit.db,
    "CREATE TABLE copy AS SELECT * FROM ami_audit",
    "DROP TABLE ami_audit",
    "ALTER TABLE copy RENAME TO ami_audit",
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
  assertProxyRefuses(audit, /id -5/);
});

Deno.test("audit chain: a version-2 database holding id 0 is refused at migration, every row kept", () => {
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
  assertEquals(count(db), 2, "no row dropped");
  const version = new DatabaseSync(db, { readOnly: true });
  assertEquals(
    (version.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    2,
  );
  version.close();
});

Deno.test("audit chain: dropped hash columns are tampering, not a seed database", async () => {
  const audit = written();
  attack(
    audit.db,
    "ALTER TABLE ami_audit DROP COLUMN hash",
    "ALTER TABLE ami_audit DROP COLUMN prev_hash",
  );
  await assertBroken(audit, /^chain BROKEN: the columns prev_hash, hash were dropped/);
  assertProxyRefuses(audit, /columns prev_hash, hash were dropped/);
});

Deno.test("audit chain: the chain removed entirely (the start gone) is caught, and not re-anchored", async () => {
  const audit = written();
  attack(audit.db, "DELETE FROM ami_audit");
  await assertBroken(
    audit,
    /^chain BROKEN at row 1: the chain started at this row .* which is gone/,
  );
  assertProxyRefuses(audit, /row 1, where the chain started .* is gone/);
});

Deno.test("audit chain: a NUL appended to a stored value (hidden from every reader) is caught", async () => {
  const audit = written();
  attack(audit.db, "UPDATE ami_audit SET user_id = user_id || char(0) || 'x' WHERE id = 2");
  await assertBroken(audit, /^chain BROKEN at row 2: a text column of it holds a NUL character/);
});

Deno.test("audit chain: a database from before the anchor file gets its start recorded on open (trust on first use)", async () => {
  const audit = written(3);
  Deno.removeSync(`${audit.key}.anchor`);
  const before = await verify(audit);
  assertEquals(before.code, 0);
  assertMatch(before.stdout, /chain start 1 is not recorded in .* yet/);
  AuditLog.open(audit.db, { keyFile: audit.key }).close();
  assertMatch(Deno.readTextFileSync(`${audit.key}.anchor`), /^1:[0-9a-f]{64}\n$/);
  assertMatch((await verify(audit)).stdout, /chain start 1 is the one recorded/);
});
