/**
 * Issue 11, item 3 (the audit's part): what is hashed is exactly what is
 * stored, on both databases. Every stored field goes through astrix's writer
 * into a real SQLite file, and into a real PostgreSQL, and back with awkward
 * values; the row read back equals what was given, and verify passes on the
 * untouched log whatever the values. A value a database would store as
 * something else (a NUL cuts `bob\0admin` to `bob` for every SQLite reader
 * and PostgreSQL refuses it, a lone surrogate becomes U+FFFD, a number in a
 * text column becomes "5.0") is refused with a typed error before anything
 * is written.
 */

import { assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { AUDIT_BACKENDS, verifyCli } from "../_support/audit_backends.ts";
import { type AuditEntry, AuditError } from "../../src/audit/mod.ts";

/** Values that are easy to get wrong between JavaScript, JSON and SQLite. */
const AWKWARD = [
  "plain",
  "👩‍💻 emoji, a ZWJ sequence, and 🏳️‍🌈",
  "line\u2028separator\u2029paragraph",
  "esc \x1b[2J bel \x07 vt \x0b ff \x0c del \x7f nel \x85 csi \x9b",
  "tab\there, CR\rLF\nboth\r\n",
  "quotes \" ' ` and backslashes \\ \\\\ \\u0000",
  "فارسی: سلام، دنیا ‏ RTL mark, \u202eoverride",
  "\ufeffBOM first, combining e\u0301, noncharacter \uffff",
  "x".repeat(200_000),
  "😀".repeat(10_000),
  '[1,"json looking",null]',
  "'); DROP TABLE ami_audit; --",
];

function entries(): AuditEntry[] {
  return AWKWARD.map((value, i) => ({
    userId: value,
    role: value,
    action: value,
    target: value,
    jobId: value,
    outcome: (["attempt", "ok", "denied", "error"] as const)[i % 4],
    status: [null, 0, 202, 2 ** 31, -1, Number.MAX_SAFE_INTEGER][i % 6],
    requestId: value,
    remoteAddr: value,
    // Inside JSON, even NUL and lone surrogates are exact (as \u escapes).
    detail: { value, nul: "bob\u0000admin", lone: "\ud800\udfff\udc00", n: i, nested: [value] },
    timestamp: [0, 1, 1_795_000_000_123, Number.MAX_SAFE_INTEGER][i % 4],
  }));
}

/** The bytes a text column holds, in each database's SQL. */
const BYTES = { sqlite: "length(CAST(user_id AS BLOB))", postgres: "octet_length(user_id)" };

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit round trip: every stored field comes back exactly as given, and verifies`, async () => {
    await using audit = await backend.create();
    const given = entries();
    await audit.append(given.slice(0, 1));
    await audit.append(given.slice(1)); // one transaction, as the proxy's group commit writes
    const stored = await audit.rows(
      "SELECT user_id, role, action, target, job_id, outcome, status, request_id, remote_addr, " +
        `detail, timestamp, ${BYTES[backend.name]} AS bytes FROM ami_audit ORDER BY id`,
    );
    assertEquals(stored.length, given.length);
    stored.forEach((row, i) => {
      const entry = given[i];
      assertEquals(
        {
          user_id: row.user_id,
          role: row.role,
          action: row.action,
          target: row.target,
          job_id: row.job_id,
          outcome: row.outcome,
          status: row.status === null ? null : Number(row.status),
          request_id: row.request_id,
          remote_addr: row.remote_addr,
          detail: JSON.parse(row.detail as string),
          timestamp: row.timestamp,
        },
        {
          user_id: entry.userId,
          role: entry.role,
          action: entry.action,
          target: entry.target,
          job_id: entry.jobId,
          outcome: entry.outcome,
          status: entry.status,
          request_id: entry.requestId,
          remote_addr: entry.remoteAddr,
          detail: entry.detail,
          timestamp: entry.timestamp,
        },
        `row ${i + 1}`,
      );
      // The database holds all of it, not only what its readers return.
      assertEquals(
        Number(row.bytes),
        new TextEncoder().encode(entry.userId).length,
        `row ${i + 1} bytes`,
      );
    });

    const cli = await verifyCli(audit);
    assertEquals(cli.code, 0, cli.stdout + cli.stderr);
    assertMatch(
      cli.stdout,
      new RegExp(`^chain OK · ${given.length} rows: ${given.length} chained`),
    );
  });

  Deno.test(`[${backend.name}] audit round trip: a value the database would not store as given is refused, nothing written`, async () => {
    await using audit = await backend.create();
    const base: AuditEntry = { userId: "bob", action: "listen", outcome: "attempt" };
    const refused: [string, AuditEntry, RegExp][] = [
      ["a NUL in userId", { ...base, userId: "bob\u0000admin" }, /userId holds a NUL/],
      ["a NUL in role", { ...base, role: "user\u0000admin" }, /role holds a NUL/],
      ["a NUL in target", { ...base, target: "SIP/202\u0000" }, /target holds a NUL/],
      [
        "a lone surrogate in action",
        { ...base, action: "listen\ud800" },
        /action holds a lone surrogate/,
      ],
      [
        "a lone surrogate in remoteAddr",
        { ...base, remoteAddr: "\udc00" },
        /remoteAddr .*surrogate/,
      ],
      ["a number as jobId", { ...base, jobId: 5 as unknown as string }, /jobId is a number/],
      ["a string as status", { ...base, status: "202" as unknown as number }, /status is 202, not/],
      ["a fraction as status", { ...base, status: 202.5 }, /status is 202\.5, not an integer/],
      ["an unsafe timestamp", { ...base, timestamp: 2 ** 60 }, /timestamp .* not an integer/],
      ["a BigInt in detail", { ...base, detail: { n: 1n } }, /detail cannot be written as JSON/],
    ];
    for (const [what, entry, message] of refused) {
      const error = await assertRejects(() => audit.append([entry]), AuditError);
      assertMatch(error.message, message, what);
      await assertRejects(() => audit.append([base, entry]), AuditError);
    }
    // The same batch without the bad entry goes through: nothing half-written before.
    assertEquals((await audit.append([base]))[0].id, 1);
    const cli = await verifyCli(audit);
    assertEquals(cli.code, 0, cli.stdout + cli.stderr);
  });
}
