/**
 * Migration 003 (ids positive) on databases as earlier versions left them:
 * the seed's, and a chained version-2 one. Every row, id and hash kept; the
 * AUTOINCREMENT counter kept (a deleted last row's id is never reused).
 */

import { DatabaseSync } from "node:sqlite";
import { assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import { AuditLog, loadKey } from "../../src/audit/mod.ts";
import { verifyFile } from "../_support/audit_verify.ts";
import { type AuditRow, canonical, ChainKey, rowFields } from "../../src/audit/chain.ts";

const migration = (name: string) =>
  Deno.readTextFileSync(new URL(`../../src/audit/migrations/${name}`, import.meta.url));

function tempDb(): string {
  return `${Deno.makeTempDirSync({ prefix: "astrix-migrate-" })}/ami_audit.db`;
}

function rows(path: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  const all = db.prepare("SELECT * FROM ami_audit ORDER BY id").all() as Record<string, unknown>[];
  db.close();
  return all.map((r) => ({ ...r }));
}

function version(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  const v = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  db.close();
  return Number(v);
}

Deno.test("a seed database migrates in place: rows kept, the deleted last id not reused, ids ≤ 0 refused after", () => {
  const path = tempDb();
  const db = new DatabaseSync(path);
  db.exec(migration("001_create_audit_table.sql"));
  const insert = db.prepare(
    "INSERT INTO ami_audit (user_id, action, target, job_id, timestamp) VALUES (?, ?, ?, ?, ?)",
  );
  for (let i = 1; i <= 4; i++) insert.run(`u${i}`, "listen", "SIP/202", null, 1_700_000_000 + i);
  db.exec("DELETE FROM ami_audit WHERE id = 4"); // the seed's counter is at 4
  db.close();
  const before = rows(path);
  const log = AuditLog.open(path, { keyFile: `${path}.key` });
  assertEquals(version(path), 3);
  assertEquals(
    rows(path).map((r) => [r.id, r.user_id, r.timestamp, r.hash]),
    before.map((r) => [r.id, r.user_id, r.timestamp, null]),
  );
  assertEquals(log.append({ userId: "new", action: "listen", outcome: "ok" }).id, 5);
  log.close();
  const result = verifyFile(path, `${path}.key`);
  assertEquals([result.ok, result.legacy, result.chained], [true, 3, 1]);
  assertEquals(
    result.firstBad,
    undefined,
    "the gap at 4 is before the chain, covered by its anchor",
  );
  const raw = new DatabaseSync(path);
  assertThrows(
    () =>
      raw.exec("INSERT INTO ami_audit (id, user_id, action, timestamp) VALUES (0, 'x', 'y', 1)"),
    Error,
    "CHECK constraint failed",
  );
  assertThrows(
    () =>
      raw.exec(
        "INSERT INTO ami_audit (id, user_id, action, timestamp) VALUES (9007199254740992, 'x', 'y', 1)",
      ),
    Error,
    "CHECK constraint failed",
  );
  const indexes = raw.prepare(
    "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ami_audit'",
  ).get() as { n: number };
  assertEquals(Number(indexes.n), 6, "the indexes made again");
  raw.close();
});

Deno.test("a chained version-2 database migrates in place: every row and hash kept, it verifies, its start recorded", () => {
  const path = tempDb();
  const keyFile = `${path}.key`;
  const key = new ChainKey(loadKey(keyFile, { create: true }));
  const db = new DatabaseSync(path);
  db.exec(migration("001_create_audit_table.sql"));
  db.exec(migration("002_extend_and_chain.sql"));
  db.exec("PRAGMA user_version = 2");
  const insert = db.prepare(
    `INSERT INTO ami_audit (id, user_id, action, target, job_id, timestamp, role, outcome, status,
       request_id, remote_addr, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let prev = key.legacyAnchor([]);
  for (let id = 1; id <= 5; id++) {
    const row: AuditRow = {
      id,
      userId: `u${id}`,
      action: "listen",
      target: "SIP/202-0000000a",
      jobId: null,
      timestamp: 1_795_000_000_000 + id,
      role: "supervisor",
      outcome: "ok",
      status: 202,
      requestId: `r${id}`,
      remoteAddr: "10.0.0.9",
      detail: "{}",
      prevHash: prev,
      hash: null,
    };
    row.hash = key.hash(prev, canonical(row));
    insert.run(...rowFields(row), row.prevHash, row.hash);
    prev = row.hash;
  }
  db.exec("DELETE FROM ami_audit WHERE id = 5"); // the counter stays at 5
  db.close();
  const before = rows(path);
  const log = AuditLog.open(path, { keyFile });
  assertEquals(version(path), 3);
  assertEquals(rows(path), before, "every column of every row");
  assertMatch(Deno.readTextFileSync(`${keyFile}.anchor`), new RegExp(`^1:${before[0].hash}\n$`));
  assertEquals(log.append({ userId: "next", action: "listen", outcome: "ok" }).id, 6);
  log.close();
  // Row 5's id is not reused: whatever a recorded head says about row 5 stays checkable.
  const result = verifyFile(path, keyFile);
  assertEquals([result.ok, result.chained, result.head?.id], [true, 5, 6]);
});
