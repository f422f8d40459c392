import { DatabaseSync } from "node:sqlite";
import { createHash, createHmac } from "node:crypto";
import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import {
  AuditError,
  AuditFileMissingError,
  AuditLog,
  AuditReader,
  AuditUnavailableError,
  type BreakKind,
  loadKey,
  verifyChain,
} from "../../src/audit/mod.ts";
import {
  canonical,
  canonicalStored,
  ChainKey,
  type SqlRow,
  toAuditRow,
} from "../../src/audit/chain.ts";

const SEED_001 = Deno.readTextFileSync(
  new URL("../../src/audit/migrations/001_create_audit_table.sql", import.meta.url),
);

function tempDir(): string {
  return Deno.makeTempDirSync({ prefix: "astrix-audit-" });
}

/** A database the way the seed made it: its 001 SQL and some rows. */
function seedDatabase(path: string): void {
  const db = new DatabaseSync(path);
  db.exec(SEED_001);
  const insert = db.prepare(
    "INSERT INTO ami_audit (user_id, action, target, job_id, timestamp) VALUES (?, ?, ?, ?, ?)",
  );
  insert.run("u1", "listen", "SIP/202", null, 1_700_000_000_000);
  insert.run("u2", "playback", "rec-17", "job-9", 1_700_000_100_000);
  insert.run("u1", "hangup", "SIP/202", null, 1_700_000_200_000);
  db.close();
}

function appendSome(path: string, keyFile: string, n: number, start = 1_795_000_000_000): void {
  const log = AuditLog.open(path, { keyFile });
  for (let i = 0; i < n; i++) {
    log.append({
      userId: `user-${i % 3}`,
      role: ["supervisor", "qa", "admin"][i % 3],
      action: ["listen", "playback", "control"][i % 3],
      target: i % 2 ? "SIP/202-0000000a" : "rec-42",
      jobId: `job-${i}`,
      outcome: (["attempt", "ok", "denied", "error"] as const)[i % 4],
      status: [null, 202, 403, 502][i % 4],
      remoteAddr: "10.1.2.3",
      requestId: `req-${i}`,
      detail: { i },
      timestamp: start + i * 60_000,
    });
  }
  log.close();
}

function verify(path: string, keyFile: string, expectHead?: { id: number; hash: string }) {
  const reader = AuditReader.open(path);
  try {
    return verifyChain(reader.db, loadKey(keyFile, { create: false }), { expectHead });
  } finally {
    reader.close();
  }
}

/** A row inserted without the key, as someone with write access to the file could. */
const GHOST =
  "INSERT INTO ami_audit (user_id, action, timestamp, outcome) VALUES ('ghost', 'listen', 1, 'ok')";

function hashOf(path: string, id: number): string {
  const db = new DatabaseSync(path, { readOnly: true });
  const row = db.prepare("SELECT hash FROM ami_audit WHERE id = ?").get(id) as { hash: string };
  db.close();
  return row.hash;
}

function tamper(path: string, sql: string, ...params: (string | number | null)[]): void {
  const db = new DatabaseSync(path);
  db.prepare(sql).run(...params);
  db.close();
}

Deno.test("AuditLog upgrades a seed database in place: rows kept, new rows chained, old ones legacy", () => {
  const dir = tempDir();
  const path = `${dir}/ami_audit.db`;
  seedDatabase(path);
  appendSome(path, `${dir}/key`, 5);
  const reader = AuditReader.open(path);
  const rows = reader.query({}, { order: "asc", limit: 100 }).rows;
  assertEquals(rows.length, 8);
  assertEquals(
    rows.slice(0, 3).map((r) => [r.id, r.userId, r.action, r.target, r.jobId, r.timestamp, r.hash]),
    [
      [1, "u1", "listen", "SIP/202", null, 1_700_000_000_000, null],
      [2, "u2", "playback", "rec-17", "job-9", 1_700_000_100_000, null],
      [3, "u1", "hangup", "SIP/202", null, 1_700_000_200_000, null],
    ],
  );
  assert(rows.slice(3).every((r) => r.hash?.length === 64 && r.prevHash?.length === 64));
  const version =
    (reader.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  assertEquals(version, 3);
  reader.close();
  const result = verify(path, `${dir}/key`);
  assertEquals([result.ok, result.rows, result.legacy, result.chained], [true, 8, 3, 5]);
});

Deno.test("verify names the row of each tampering, including an attacker's re-computed SHA-256 chain", () => {
  const cases: [string, (path: string, keyFile: string) => void, number, BreakKind, RegExp][] = [
    [
      "a changed column",
      (p) => tamper(p, "UPDATE ami_audit SET target = 'SIP/205-00000001' WHERE id = 6"),
      6,
      "changed",
      /content does not match/,
    ],
    [
      "a deleted row",
      (p) => tamper(p, "DELETE FROM ami_audit WHERE id = 7"),
      8,
      "deleted",
      /row 7 before it is missing/,
    ],
    [
      "a forged row without hash",
      (p) =>
        tamper(
          p,
          GHOST,
        ),
      14,
      "unhashed",
      /no hash/,
    ],
    [
      "a forged row with a plain SHA-256 hash",
      (p) => {
        const db = new DatabaseSync(p);
        const last = db.prepare("SELECT hash FROM ami_audit ORDER BY id DESC LIMIT 1").get() as {
          hash: string;
        };
        const info = db.prepare(
          "INSERT INTO ami_audit (user_id, action, timestamp, outcome, prev_hash) VALUES ('ghost', 'listen', 1, 'ok', ?)",
        ).run(last.hash);
        const row = toAuditRow(
          db.prepare("SELECT * FROM ami_audit WHERE id = ?").get(info.lastInsertRowid) as never,
        );
        db.prepare("UPDATE ami_audit SET hash = ? WHERE id = ?").run(
          createHash("sha256").update(last.hash + canonical(row)).digest("hex"),
          row.id,
        );
        db.close();
      },
      14,
      "changed",
      /content does not match/,
    ],
    [
      "a changed row with every later hash recomputed with SHA-256",
      (p) => {
        const db = new DatabaseSync(p);
        db.exec("UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 5");
        let prev =
          (db.prepare("SELECT hash FROM ami_audit WHERE id = 4").get() as { hash: string }).hash;
        for (const raw of db.prepare("SELECT * FROM ami_audit WHERE id >= 5 ORDER BY id").all()) {
          const row = toAuditRow(raw as never);
          const hash = createHash("sha256").update(prev + canonical(row)).digest("hex");
          db.prepare("UPDATE ami_audit SET prev_hash = ?, hash = ? WHERE id = ?").run(
            prev,
            hash,
            row.id,
          );
          prev = hash;
        }
        db.close();
      },
      5,
      "changed",
      /content does not match/,
    ],
    [
      "a changed legacy row",
      (p) => tamper(p, "UPDATE ami_audit SET action = 'nothing' WHERE id = 2"),
      4,
      "legacy",
      /legacy rows/,
    ],
    [
      "a row inserted without the key, which the next real append links past",
      (p, keyFile) => {
        const log = AuditLog.open(p, { keyFile }); // the proxy is running
        tamper(p, GHOST);
        log.append({ userId: "u", action: "listen", outcome: "ok", timestamp: 1_795_000_000_000 });
        log.close();
      },
      14,
      "inserted",
      /inserted: it is not in the chain, which goes from row 13 straight to row 15/,
    ],
    [
      "a row with a forged hash put back where the last row was deleted before an append",
      (p, keyFile) => {
        tamper(p, "DELETE FROM ami_audit WHERE id = 13");
        appendSome(p, keyFile, 1); // row 14, chained to row 12
        const h12 = hashOf(p, 12);
        tamper(
          p,
          "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash) " +
            "VALUES (13, 'ghost', 'listen', 1, 'ok', ?, ?)",
          h12,
          createHash("sha256").update(h12).digest("hex"),
        );
      },
      13,
      "inserted",
      /from row 12 straight to row 14/,
    ],
    [
      "a row with a made-up prev_hash in that place",
      (p, keyFile) => {
        tamper(p, "DELETE FROM ami_audit WHERE id = 13");
        appendSome(p, keyFile, 1);
        tamper(
          p,
          "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash) " +
            "VALUES (13, 'ghost', 'listen', 1, 'ok', ?, ?)",
          "ab".repeat(32),
          "cd".repeat(32),
        );
      },
      13,
      "inserted",
      /from row 12 straight to row 14/,
    ],
    [
      "the first chained rows deleted",
      (p) => tamper(p, "DELETE FROM ami_audit WHERE id IN (4, 5)"),
      6,
      "deleted",
      /rows 4 to 5 before it are missing/,
    ],
    [
      "the first chained row changed, its prev_hash too",
      (p) =>
        tamper(
          p,
          "UPDATE ami_audit SET user_id = 'x', prev_hash = ? WHERE id = 4",
          "ab".repeat(32),
        ),
      4,
      "changed",
      /content does not match/,
    ],
  ];
  for (const [what, attack, badId, kind, reason] of cases) {
    const dir = tempDir();
    const path = `${dir}/a.db`;
    seedDatabase(path);
    appendSome(path, `${dir}/key`, 10);
    assert(verify(path, `${dir}/key`).ok, `${what}: valid before`);
    attack(path, `${dir}/key`);
    const result = verify(path, `${dir}/key`);
    assertEquals(
      [result.ok, result.firstBad?.id, result.firstBad?.kind],
      [false, badId, kind],
      what,
    );
    assertMatch(result.firstBad!.reason, reason, what);
    assertEquals(result.rows, result.legacy + result.chained, `${what}: the counts add up`);
  }
});

Deno.test("verify with the recorded head catches a truncated log", () => {
  const dir = tempDir();
  const path = `${dir}/a.db`;
  appendSome(path, `${dir}/key`, 10);
  const reader = AuditReader.open(path);
  const head = reader.head()!;
  reader.close();
  assertEquals(head.id, 10);
  tamper(path, "DELETE FROM ami_audit WHERE id > 7");
  assert(verify(path, `${dir}/key`).ok, "without the head, a truncated chain still holds");
  const result = verify(path, `${dir}/key`, head);
  assertEquals([result.ok, result.firstBad?.id], [false, 10]);
  assertMatch(result.firstBad!.reason, /truncated/);
  appendSome(path, `${dir}/key`, 3); // rows 11-13: the head row 10 is still gone
  assertEquals(verify(path, `${dir}/key`, head).ok, false);
});

Deno.test("a stored row's canonical form is the one its writer hashed", () => {
  const dir = tempDir();
  const path = `${dir}/a.db`;
  seedDatabase(path);
  appendSome(path, `${dir}/key`, 8);
  const db = new DatabaseSync(path, { readOnly: true });
  for (const raw of db.prepare("SELECT * FROM ami_audit").all() as SqlRow[]) {
    assertEquals(canonicalStored(raw), canonical(toAuditRow(raw)));
  }
  db.close();
});

Deno.test("ChainKey is HMAC-SHA256 for keys shorter than, equal to and longer than a block", () => {
  for (const length of [1, 32, 64, 65, 200]) {
    const key = crypto.getRandomValues(new Uint8Array(length));
    const chainKey = new ChainKey(key);
    const message = ["ab".repeat(32), '[1,"u","listen","SIP/202",null]', "é ünïcode"];
    assertEquals(
      chainKey.hash(message[0], message[1] + message[2]),
      createHmac("sha256", key).update(message.join("")).digest("hex"),
    );
    const mac = chainKey.legacyMac();
    mac.update(message[1] + "\n");
    assertEquals(
      mac.digest(),
      createHmac("sha256", key).update(`astrix audit legacy rows\n${message[1]}\n`).digest("hex"),
    );
  }
});

Deno.test("each stored hash is HMAC-SHA256(key, prev_hash + canonical row)", () => {
  const dir = tempDir();
  const path = `${dir}/a.db`;
  appendSome(path, `${dir}/key`, 5);
  const key = loadKey(`${dir}/key`, { create: false });
  const db = new DatabaseSync(path, { readOnly: true });
  let prev: string | undefined;
  for (const raw of db.prepare("SELECT * FROM ami_audit ORDER BY id").all() as SqlRow[]) {
    if (prev !== undefined) assertEquals(raw.prev_hash, prev);
    const expected = createHmac("sha256", key).update(`${raw.prev_hash}${canonicalStored(raw)}`);
    assertEquals(raw.hash, expected.digest("hex"));
    prev = raw.hash as string;
  }
  assert(prev !== undefined);
  db.close();
});

Deno.test("verifyChain with another key says the key is probably wrong, with or without legacy rows", () => {
  for (const legacy of [false, true]) {
    const dir = tempDir();
    if (legacy) seedDatabase(`${dir}/a.db`);
    appendSome(`${dir}/a.db`, `${dir}/key`, 3);
    const other = `${dir}/other.key`;
    loadKey(other, { create: true });
    const result = verify(`${dir}/a.db`, other);
    assertEquals(
      [result.firstBad?.id, result.firstBad?.kind, result.rows, result.legacy, result.chained],
      legacy ? [4, "key", 3, 3, 0] : [1, "key", 0, 0, 0],
    );
    assertMatch(
      result.firstBad!.reason,
      /the key is probably not the one the audit was written with/,
    );
  }
});

Deno.test("verifyChain without a key passes a database with no chain yet and stops at a chained row", () => {
  const dir = tempDir();
  const path = `${dir}/a.db`;
  seedDatabase(path);
  const seedOnly = (p: string) => {
    const reader = AuditReader.open(p);
    try {
      return verifyChain(reader.db, undefined);
    } finally {
      reader.close();
    }
  };
  assertEquals(seedOnly(path), { ok: true, rows: 3, legacy: 3, chained: 0 });
  appendSome(path, `${dir}/key`, 2);
  const result = seedOnly(path);
  assertEquals([result.ok, result.firstBad?.id, result.firstBad?.kind], [false, 4, "no-key"]);
  assertEquals([result.rows, result.legacy, result.chained], [3, 3, 0]);
});

Deno.test("the key file is created once, with mode 0600, and a bad one is refused", () => {
  const dir = tempDir();
  const key = loadKey(`${dir}/k`, { create: true });
  assertEquals(key.length, 32);
  assertEquals(Deno.statSync(`${dir}/k`).mode! & 0o777, 0o600);
  assertEquals(loadKey(`${dir}/k`, { create: true }), key, "not replaced");
  Deno.writeTextFileSync(`${dir}/bad`, "not a key");
  assertThrows(() => loadKey(`${dir}/bad`, { create: false }), AuditError, "64 hex digits");
  assertThrows(() => loadKey(`${dir}/missing`, { create: false }), AuditError, "Cannot read");
});

Deno.test("append fails closed with AuditUnavailableError when the database cannot be written", () => {
  const dir = tempDir();
  assertThrows(
    () => AuditLog.open(`${dir}/no/such/dir/a.db`, { keyFile: `${dir}/k` }),
    AuditUnavailableError,
  );
  const path = `${dir}/a.db`;
  const log = AuditLog.open(path, { keyFile: `${dir}/k`, busyTimeoutMs: 50 });
  const blocker = new DatabaseSync(path);
  blocker.exec("PRAGMA busy_timeout = 0");
  blocker.exec("BEGIN IMMEDIATE"); // another writer holds the lock past our busy timeout
  try {
    assertThrows(
      () => log.append({ userId: "u", action: "listen", outcome: "attempt" }),
      AuditUnavailableError,
      "locked",
    );
  } finally {
    blocker.exec("ROLLBACK");
    blocker.close();
  }
  assertEquals(
    log.append({ userId: "u", action: "listen", outcome: "attempt" }).id,
    1,
    "nothing half-written",
  );
  assertThrows(
    () => log.append({ userId: "", action: "listen", outcome: "attempt" }),
    AuditError,
    "userId",
  );
  assertThrows(
    () => log.append({ userId: "u", action: "listen", outcome: "maybe" as unknown as "ok" }),
    AuditError,
    "outcome",
  );
  log.close();
});

Deno.test("AuditReader never creates a database", () => {
  const dir = tempDir();
  assertThrows(() => AuditReader.open(`${dir}/missing.db`), AuditFileMissingError, "--db");
  assertEquals([...Deno.readDirSync(dir)].length, 0);
});

Deno.test("AuditReader filters, pages by keyset and counts", () => {
  const dir = tempDir();
  const path = `${dir}/a.db`;
  seedDatabase(path);
  appendSome(path, `${dir}/key`, 30);
  const reader = AuditReader.open(path);
  const all = (filter: Parameters<AuditReader["query"]>[0]) =>
    reader.query(filter, { limit: 1000 }).rows;
  assertEquals(all({ user: "user-1" }).length, 10);
  assertEquals(all({ role: "admin" }).length, 10);
  assertEquals(all({ action: "control" }).length, 10);
  assertEquals(all({ job: "job-7" }).map((r) => r.id), [11]);
  assertEquals(all({ outcome: "denied" }).length, 7);
  assertEquals(
    all({ target: "202" }).length,
    15 + 2,
    "an extension matches its channels and itself",
  );
  assertEquals(all({ target: "rec-*" }).length, 15 + 1);
  assertEquals(
    all({ since: 1_795_000_000_000 + 10 * 60_000, until: 1_795_000_000_000 + 19 * 60_000 }).length,
    10,
  );
  assertEquals(all({ user: "user-1", outcome: "ok" }).length, 3); // i = 1, 13, 25
  // Keyset pages cover every row exactly once, newest first.
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const page = reader.query({}, { limit: 7, cursor });
    seen.push(...page.rows.map((r) => r.id));
    cursor = page.nextCursor;
  } while (cursor);
  assertEquals(seen, Array.from({ length: 33 }, (_, i) => 33 - i));
  assertEquals(
    reader.stats("outcome").find((s) => s.key === "(none)")?.count,
    3,
    "legacy rows have no outcome",
  );
  assertEquals(reader.stats("day", {}, { utc: true }).map((s) => s.key), [
    "2023-11-14",
    "2026-11-18",
  ]);
  reader.close();
});
