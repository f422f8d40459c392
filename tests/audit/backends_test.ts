/**
 * The audit's claims, each proven on both databases: a SQLite file and a
 * real PostgreSQL. The same writer semantics (one chain, exact rows), the
 * same verdicts on the same attacks, the same answers to the same queries.
 */

import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { AUDIT_BACKENDS, type TestAudit } from "../_support/audit_backends.ts";
import { writeSeedAudit } from "../_support/seed_audit.ts";
import { anchorFile, readAnchor } from "../../src/audit/anchor.ts";
import { type AuditEntry, canonical, toAuditRow } from "../../src/audit/chain.ts";
import {
  AuditKeyMismatchError,
  AuditTamperedError,
  AuditUnavailableError,
} from "../../src/audit/errors.ts";
import { AuditLog } from "../../src/audit/log.ts";
import { loadKey } from "../../src/audit/key.ts";
import { copyToPostgres } from "../../src/audit/pg/copy.ts";
import { PgAuditLog } from "../../src/audit/pg/log.ts";
import type { BreakKind, RecordedHead } from "../../src/audit/verify.ts";

const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);
const USERS = ["sup-0", "sup-1", "qa-2"];
const ACTIONS = ["listen", "playback", "control"];
const OUTCOMES = ["attempt", "ok", "denied", "error"] as const;

/** Row `i` of the fixture (ids from 1 = i + 1). */
function entry(i: number): AuditEntry {
  return {
    userId: USERS[i % 3],
    role: i % 3 === 2 ? "qa" : "supervisor",
    action: ACTIONS[i % 3],
    target: i % 2 ? `SIP/20${i % 4}-0000000${i % 10}` : `rec-${i}.wav`,
    jobId: `job-${i}`,
    outcome: OUTCOMES[i % 4],
    status: i % 4 === 1 ? 202 : null,
    requestId: `req-${i}`,
    remoteAddr: "127.0.0.1",
    detail: { i, note: `ünïcode "quoted" ${i}` },
    timestamp: CLOCK + i * 3_600_000,
  };
}

async function written(audit: TestAudit, count = 10): Promise<void> {
  await audit.append(Array.from({ length: count }, (_, i) => entry(i)));
}

/** The chain verified as audit-query does: the start recorded beside the key. */
async function verify(
  audit: TestAudit,
  options: { expectHead?: RecordedHead; key?: Uint8Array | null } = {},
) {
  const source = await audit.source();
  try {
    const key = options.key === null
      ? undefined
      : options.key ?? loadKey(audit.keyFile, { create: false });
    return await source.verify(key, {
      start: readAnchor(anchorFile(audit.keyFile)),
      expectHead: options.expectHead,
    });
  } finally {
    await source.close();
  }
}

type Attack = (audit: TestAudit) => Promise<void>;

const ATTACKS: [string, Attack, number, BreakKind | undefined, RegExp][] = [
  [
    "a changed column",
    (a) => a.exec("UPDATE ami_audit SET target = 'SIP/205-00000001' WHERE id = 6"),
    6,
    "changed",
    /content does not match/,
  ],
  [
    "a deleted row",
    (a) => a.exec("DELETE FROM ami_audit WHERE id = 7"),
    8,
    "deleted",
    /row 7 before it is missing/,
  ],
  [
    "a row appended without a hash",
    (a) =>
      a.exec(
        "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome) VALUES (11, 'ghost', 'listen', 1, 'ok')",
      ),
    11,
    "unhashed",
    /no hash/,
  ],
  [
    "a row appended with a plain SHA-256 hash",
    async (a) => {
      const [last] = await a.rows("SELECT hash FROM ami_audit WHERE id = 10");
      const row = toAuditRow({
        id: 11,
        user_id: "ghost",
        action: "listen",
        timestamp: 1,
        outcome: "ok",
      });
      await a.exec(
        "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash) VALUES (11, 'ghost', 'listen', 1, 'ok', ?, ?)",
        String(last.hash),
        createHash("sha256").update(String(last.hash) + canonical(row)).digest("hex"),
      );
    },
    11,
    "changed",
    /content does not match/,
  ],
  [
    "a changed row with every later hash recomputed with SHA-256",
    async (a) => {
      await a.exec("UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 5");
      let prev = String((await a.rows("SELECT hash FROM ami_audit WHERE id = 4"))[0].hash);
      for (const raw of await a.rows("SELECT * FROM ami_audit WHERE id >= 5 ORDER BY id")) {
        const hash = createHash("sha256").update(prev + canonical(toAuditRow(raw as never)))
          .digest("hex");
        await a.exec(
          "UPDATE ami_audit SET prev_hash = ?, hash = ? WHERE id = ?",
          prev,
          hash,
          raw.id,
        );
        prev = hash;
      }
    },
    5,
    "changed",
    /content does not match/,
  ],
  [
    "two rows' ids swapped",
    async (a) => {
      await a.exec("UPDATE ami_audit SET id = 1000 WHERE id = 3");
      await a.exec("UPDATE ami_audit SET id = 3 WHERE id = 4");
      await a.exec("UPDATE ami_audit SET id = 4 WHERE id = 1000");
    },
    3,
    undefined,
    /./,
  ],
  [
    "hashes stripped from the last rows",
    (a) => a.exec("UPDATE ami_audit SET hash = NULL, prev_hash = NULL WHERE id >= 8"),
    8,
    "unhashed",
    /no hash/,
  ],
  [
    "the first rows deleted",
    (a) => a.exec("DELETE FROM ami_audit WHERE id IN (1, 2)"),
    1,
    "start",
    /the chain started at this row .* which is gone/,
  ],
  [
    "every row deleted",
    (a) => a.exec("DELETE FROM ami_audit"),
    1,
    "start",
    /which is gone/,
  ],
];

for (const backend of AUDIT_BACKENDS) {
  const name = backend.name;

  Deno.test(`[${name}] every field comes back exactly as written, and the chain verifies`, async () => {
    await using audit = await backend.create();
    const odd: AuditEntry = {
      userId: '名前 ✓ O\'Brien "x" \\ 😀',
      action: "listen",
      target: null,
      jobId: null,
      outcome: "ok",
      status: 0,
      detail: { nested: [1, 2.5, null, "\u0001 tab\t"], empty: "" },
      timestamp: CLOCK,
    };
    const appended = await audit.append([entry(0), odd, entry(2)]);
    assertEquals(appended.map((a) => a.id), [1, 2, 3]);
    const source = await audit.source();
    const { rows } = await source.query({}, { order: "asc" });
    assertEquals(rows.map((r) => r.userId), ["sup-0", odd.userId, "qa-2"]);
    assertEquals(rows[1].detail, JSON.stringify(odd.detail));
    assertEquals([rows[1].target, rows[1].status, rows[1].timestamp], [null, 0, CLOCK]);
    assertEquals(rows[0].detail, JSON.stringify(entry(0).detail));
    assertEquals(rows.map((r) => r.hash), appended.map((a) => a.hash));
    assertEquals(await source.head(), appended[2]);
    assertEquals(await source.chainStart(), appended[0]);
    await source.close();
    const result = await verify(audit);
    assertEquals([result.ok, result.chained, result.legacy], [true, 3, 0]);
  });

  Deno.test(`[${name}] verify names the row each attack changed`, async () => {
    for (const [what, attack, id, kind, reason] of ATTACKS) {
      await using audit = await backend.create();
      await written(audit);
      assert((await verify(audit)).ok, `${what}: valid before`);
      await attack(audit);
      const result = await verify(audit);
      assertEquals([result.ok, result.firstBad?.id], [false, id], what);
      if (kind) assertEquals(result.firstBad?.kind, kind, what);
      assertMatch(result.firstBad!.reason, reason, what);
    }
  });

  Deno.test(`[${name}] the writer refuses to append on top of a forged audit`, async () => {
    for (
      const [what, sql] of [
        ["stripped hashes", "UPDATE ami_audit SET hash = NULL, prev_hash = NULL WHERE id >= 8"],
        [
          "the start row re-hashed",
          `UPDATE ami_audit SET hash = '${"ab".repeat(32)}' WHERE id = 1`,
        ],
        ["the chain removed", "DELETE FROM ami_audit"],
      ]
    ) {
      await using audit = await backend.create();
      await written(audit);
      await audit.exec(sql);
      const error = await assertRejects(() => audit.openWriter(), AuditTamperedError);
      assertMatch(error.message, /altered without the key/, what);
    }
  });

  Deno.test(`[${name}] a recorded head catches a truncated log`, async () => {
    await using audit = await backend.create();
    await written(audit);
    const source = await audit.source();
    const head = (await source.head())!;
    await source.close();
    assertEquals(head.id, 10);
    await audit.exec("DELETE FROM ami_audit WHERE id > 7");
    const withHead = await verify(audit, { expectHead: head });
    assertEquals([withHead.ok, withHead.firstBad?.id, withHead.firstBad?.kind], [
      false,
      10,
      "truncated",
    ]);
    const without = await verify(audit);
    if (name === "postgres") {
      // The head the writers keep in the database says where the chain ended.
      assertEquals([without.ok, without.firstBad?.id, without.firstBad?.kind], [
        false,
        10,
        "truncated",
      ]);
      assertMatch(without.firstBad!.reason, /deleted from the end/);
    } else {
      assert(without.ok, "SQLite keeps no head: without a recorded one, a truncated chain holds");
    }
  });

  Deno.test(`[${name}] another key is named as probably wrong; no key stops at the first chained row`, async () => {
    await using audit = await backend.create();
    await written(audit, 3);
    const wrong = await verify(audit, { key: new Uint8Array(32).fill(7) });
    assertEquals([wrong.ok, wrong.firstBad?.kind], [false, "key"]);
    const none = await verify(audit, { key: null });
    assertEquals([none.ok, none.firstBad?.kind, none.firstBad?.id], [false, "no-key", 1]);
  });

  Deno.test(`[${name}] filters, keyset pages and counts give the same rows`, async () => {
    await using audit = await backend.create();
    const entries = Array.from({ length: 30 }, (_, i) => entry(i));
    await audit.append(entries);
    const source = await audit.source();
    const ids = async (filter: Parameters<typeof source.query>[0]) =>
      (await source.query(filter, { limit: 1000, order: "asc" })).rows.map((r) => r.id);
    const expected = (keep: (e: AuditEntry) => boolean) =>
      entries.flatMap((e, i) => keep(e) ? [i + 1] : []);
    assertEquals(await ids({ user: "sup-1" }), expected((e) => e.userId === "sup-1"));
    assertEquals(await ids({ role: "qa" }), expected((e) => e.role === "qa"));
    assertEquals(
      await ids({ action: "control", outcome: "denied" }),
      expected((e) => e.action === "control" && e.outcome === "denied"),
    );
    assertEquals(await ids({ job: "job-7" }), [8]);
    assertEquals(await ids({ target: "202" }), expected((e) => /^SIP\/202-/.test(e.target ?? "")));
    assertEquals(await ids({ target: "rec-1*" }), expected((e) => /^rec-1/.test(e.target ?? "")));
    assertEquals(
      await ids({ target: "SIP/20?-*1" }),
      expected((e) => /^SIP\/20.-00000001$/.test(e.target ?? "")),
    );
    assertEquals(await ids({ target: "rec-2.wav" }), [3]);
    assertEquals(
      await ids({ target: "rec-?.wa*" }),
      [1, 3, 5, 7, 9],
      "? is one character, . is itself",
    );
    assertEquals(
      await ids({ since: CLOCK + 10 * 3_600_000, until: CLOCK + 19 * 3_600_000 }),
      Array.from({ length: 10 }, (_, i) => i + 11),
    );
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await source.query({}, { limit: 7, cursor });
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    assertEquals(seen, Array.from({ length: 30 }, (_, i) => 30 - i));
    assertEquals(await source.stats("user"), [
      { key: "qa-2", count: 10 },
      { key: "sup-0", count: 10 },
      { key: "sup-1", count: 10 },
    ]);
    assertEquals(
      (await source.stats("day", {}, { utc: true })).map((s) => [s.key, s.count]),
      [["2026-11-20", 15], ["2026-11-21", 15]],
    );
    assertEquals(
      (await source.stats("outcome", { user: "sup-0" })).map((s) => s.key).sort(),
      ["attempt", "denied", "error", "ok"],
    );
    const recent = await source.recent({ action: "listen" }, 2);
    assertEquals([recent.rows.map((r) => r.id), recent.lastId], [[25, 28], 30]);
    assertEquals((await source.after(27)).map((r) => r.id), [28, 29, 30]);
    await source.close();
  });

  Deno.test(`[${name}] watch wakes the reader when rows are committed`, async () => {
    await using audit = await backend.create();
    await written(audit, 2);
    const source = await audit.source();
    let woken = Promise.withResolvers<void>();
    const unwatch = await source.watch(() => woken.resolve());
    woken = Promise.withResolvers<void>();
    await audit.append([entry(5)]);
    await woken.promise;
    assertEquals((await source.after(2)).map((r) => r.userId), [entry(5).userId]);
    await unwatch();
    await source.close();
  });
}

Deno.test("[postgres] an id beyond 2^53 - 1, put there with the CHECK dropped, is named and refused", async () => {
  const backend = AUDIT_BACKENDS.find((b) => b.name === "postgres")!;
  await using audit = await backend.create();
  await written(audit, 3);
  await audit.exec("ALTER TABLE ami_audit DROP CONSTRAINT ami_audit_id_check");
  await audit.exec(
    `INSERT INTO ami_audit (id, user_id, action, timestamp, outcome, prev_hash, hash)
       VALUES (9007199254740993, 'ghost', 'listen', 1, 'ok', 'x', 'y')`,
  );
  const result = await verify(audit);
  assertEquals([result.ok, result.firstBad?.kind, result.chained], [false, "id", 3]);
  const error = await assertRejects(() => audit.openWriter(), AuditTamperedError);
  assertMatch(error.message, /id 9007199254740993/);
});

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] the seed's legacy rows are covered by the chain's anchor`, async () => {
    await using audit = await backend.create();
    if (backend.name === "sqlite") {
      writeSeedAudit(audit.db); // upgraded in place by the writer
    } else {
      const file = `${audit.dir}/seed.db`;
      writeSeedAudit(file); // moved over as audit-migrate does
      const source = new DatabaseSync(file, { readOnly: true });
      await copyToPostgres(source, audit.db);
      source.close();
    }
    await written(audit, 5);
    const held = await verify(audit);
    assertEquals([held.ok, held.legacy, held.chained], [true, 3, 5]);
    const source = await audit.source();
    assertEquals(
      (await source.query({ user: "u1" }, { order: "asc" })).rows.map((r) => r.action),
      ["listen", "hangup"],
    );
    assertEquals(
      (await source.query({ since: 1_700_000_050_000, until: 1_700_000_150_000 })).rows.map((r) =>
        r.id
      ),
      [2],
      "legacy times in seconds are read as such",
    );
    await source.close();
    await audit.exec("UPDATE ami_audit SET action = 'nothing' WHERE id = 2");
    const changed = await verify(audit);
    assertEquals([changed.ok, changed.firstBad?.id, changed.firstBad?.kind], [false, 4, "legacy"]);
  });
}

Deno.test("[postgres] a row inserted by hand at the head's next id stops the writer (fail closed), and verify names it", async () => {
  // SQLite's AUTOINCREMENT chains the next row past such a row (verify: `inserted`); PostgreSQL's
  // ids come from the head, so the writer's next id is taken: it refuses to write rather than skip.
  const backend = AUDIT_BACKENDS.find((b) => b.name === "postgres")!;
  await using audit = await backend.create();
  await written(audit, 6);
  const running = await PgAuditLog.open(audit.db, { keyFile: audit.keyFile }); // the proxy runs
  await audit.exec(
    "INSERT INTO ami_audit (id, user_id, action, timestamp, outcome) VALUES (7, 'ghost', 'listen', 1, 'ok')",
  );
  await assertRejects(
    () => running.appendAll([entry(7)]),
    AuditUnavailableError,
    "Cannot write to the audit database",
  );
  await running.close();
  const restarted = await assertRejects(() => audit.openWriter(), AuditTamperedError);
  assertMatch(restarted.message, /row 7 has no hash, though the chain had started/);
  const result = await verify(audit);
  assertEquals([result.ok, result.firstBad?.id, result.firstBad?.kind], [false, 7, "unhashed"]);
});

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] a writer given another key than the chain's refuses to append, naming both`, async () => {
    await using audit = await backend.create();
    await written(audit, 3);
    const other = `${audit.dir}/other.key`;
    const error = await assertRejects(
      () =>
        backend.name === "sqlite"
          ? Promise.resolve(AuditLog.open(audit.db, { keyFile: other }).close())
          : PgAuditLog.open(audit.db, { keyFile: other }).then((log) => log.close()),
      AuditKeyMismatchError,
    );
    assertMatch(error.message, /last chained row \(row 3\) does not match the key .*other\.key/);
    assertMatch(error.message, /the same --audit-key-file/);
    const result = await verify(audit);
    assertEquals([result.ok, result.chained], [true, 3], "nothing was appended with it");
  });
}
