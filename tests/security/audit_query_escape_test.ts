/**
 * Issue 11, item 4: a user id or a target holding terminal controls (ESC,
 * VT, FF, DEL, U+0085, U+2028, a bidi override...) must not act on the
 * auditor's terminal or break a CSV export: `astrix audit-query` shows them
 * as visible escapes in the table, --stats and CSV, and keeps JSON and
 * NDJSON exact. Real rows written by AuditLog, read by the real CLI.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { AuditLog } from "../../src/audit/mod.ts";

/** What a hostile value holds, and how each character must show. */
const CONTROLS: [string, string][] = [
  ["\x1b", "\\x1b"],
  ["\x0b", "\\x0b"],
  ["\x0c", "\\x0c"],
  ["\x7f", "\\x7f"],
  ["\x85", "\\x85"],
  ["\x9b", "\\x9b"],
  ["\x07", "\\x07"],
  ["\r", "\\r"],
  ["\n", "\\n"],
  ["\t", "\\t"],
  ["\u2028", "\\u2028"],
  ["\u2029", "\\u2029"],
  ["\u202e", "\\u202e"],
  ["\u2066", "\\u2066"],
  ["\ufeff", "\\ufeff"],
];
const USER = `evil${CONTROLS.map(([raw]) => raw).join("")}[2J`;
const SHOWN = `evil${CONTROLS.map(([, shown]) => shown).join("")}[2J`;
const TARGET = "SIP/202\u2028-0000000a\x1b]0;owned\x07";

/** Any character that must never reach the terminal or a CSV cell raw. */
// deno-lint-ignore no-control-regex
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

function database(): string {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-sec-escape-" });
  const db = `${dir}/ami_audit.db`;
  const log = AuditLog.open(db, { keyFile: `${db}.key` });
  log.append({
    userId: USER,
    role: "supervisor",
    action: "listen",
    target: TARGET,
    outcome: "ok",
    status: 202,
    detail: { note: `a${"\x1b\x7f\x85\u2028"}b` },
    timestamp: Date.UTC(2026, 10, 20, 9, 0, 0),
  });
  log.append({
    userId: "plain",
    action: "hangup",
    outcome: "ok",
    timestamp: Date.UTC(2026, 10, 20, 10),
  });
  log.close();
  return db;
}

async function query(db: string, ...args: string[]) {
  const result = await runCli(["audit-query", "--db", db, "--utc", ...args]);
  assertEquals(result.code, 0, result.stderr);
  return result.stdout;
}

Deno.test("audit-query table output shows control characters as visible escapes, one line per row", async () => {
  const db = database();
  const table = await query(db);
  const lines = table.trimEnd().split("\n");
  assertEquals(lines.length, 3, "the header and one line per row");
  assert(
    !RAW.test(table),
    `a raw control character reached the terminal: ${JSON.stringify(table)}`,
  );
  assert(table.includes(SHOWN), `the user id shown escaped: ${lines[2]}`);
  assert(table.includes("SIP/202\\u2028-0000000a\\x1b]0;owned\\x07"), "the target shown escaped");

  const stats = await query(db, "--stats", "--by", "user");
  assert(!RAW.test(stats), `--stats printed a raw control: ${JSON.stringify(stats)}`);
  assert(stats.includes(SHOWN), stats);
});

Deno.test("audit-query CSV escapes control characters visibly, and its detail stays JSON for the same value", async () => {
  const db = database();
  const csv = await query(db, "--format", "csv", "--order", "asc");
  const records = csv.split("\r\n");
  assertEquals(records.length, 3, "the header and one record per row, no line break inside a cell");
  assert(!RAW.test(csv.replaceAll("\r\n", "")), `a raw control in the CSV: ${JSON.stringify(csv)}`);
  assert(records[1].includes(SHOWN), records[1]);
  const detail = records[1].match(/"(\{.*\})"/)![1].replaceAll('""', '"');
  assertEquals(JSON.parse(detail), { note: `a${"\x1b\x7f\x85\u2028"}b` });
});

Deno.test("audit-query JSON and NDJSON keep every value exact", async () => {
  const db = database();
  const json = JSON.parse(await query(db, "--format", "json", "--order", "asc"));
  assertEquals([json[0].user, json[0].target, json[0].detail], [USER, TARGET, {
    note: `a${"\x1b\x7f\x85\u2028"}b`,
  }]);
  const ndjson = (await query(db, "--format", "ndjson", "--order", "asc")).trimEnd().split("\n");
  assertEquals(ndjson.length, 2);
  assertEquals(JSON.parse(ndjson[0]).user, USER);
});
