import { assertEquals } from "../_support/assert.ts";
import type { AuditRow } from "../../src/audit/chain.ts";
import {
  followMinWidths,
  FollowTable,
  plural,
  present,
  tableLines,
} from "../../src/audit/format.ts";

const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);
const UTC = { utc: true, iso: false };

function row(id: number, userId: string, target: string | null = "SIP/202-0000000a") {
  const stored: AuditRow = {
    id,
    userId,
    action: "listen",
    target,
    jobId: null,
    timestamp: CLOCK + id * 1000,
    role: "qa",
    outcome: "ok",
    status: 202,
    requestId: null,
    remoteAddr: "10.0.0.9",
    detail: null,
    prevHash: null,
    hash: null,
  };
  return present(stored, UTC);
}

Deno.test("FollowTable fits its first rows, then widens under a new header, cutting nothing", () => {
  const table = new FollowTable([2, 0, 4]);
  assertEquals(table.start([row(1, "dev-supervisor")]), [
    "ID  TIME                      USER            ROLE  ACTION  TARGET            JOB  OUTCOME  STATUS  FROM",
    "1   2026-11-20T09:00:01.000Z  dev-supervisor  qa    listen  SIP/202-0000000a  -    ok       202     10.0.0.9",
  ]);
  assertEquals(table.add(row(2, "u2")), [
    "2   2026-11-20T09:00:02.000Z  u2              qa    listen  SIP/202-0000000a  -    ok       202     10.0.0.9",
  ]);
  assertEquals(table.add(row(3, "night-shift-supervisor")), [
    "",
    "ID  TIME                      USER                    ROLE  ACTION  TARGET            JOB  OUTCOME  STATUS  FROM",
    "3   2026-11-20T09:00:03.000Z  night-shift-supervisor  qa    listen  SIP/202-0000000a  -    ok       202     10.0.0.9",
  ]);
  assertEquals(table.add(row(4, "u4")).length, 1, "the wider columns stay");
});

Deno.test("followMinWidths leaves room for the time as it is written", () => {
  assertEquals(followMinWidths(UTC)[1], "2026-11-20T09:00:01.000Z".length);
  assertEquals(followMinWidths({ utc: false, iso: false })[1], "2026-11-20 09:00:01".length);
});

Deno.test("tableLines shows control characters escaped, one line per row", () => {
  const [, line] = tableLines([row(1, "evil\x1b[2J\x07", "a\r\nb")]);
  assertEquals(line.split("  ").filter(Boolean).slice(2, 6), [
    "evil\\x1b[2J\\x07",
    "qa",
    "listen",
    "a\\r\\nb",
  ]);
});

Deno.test("plural agrees with its count", () => {
  assertEquals([plural(0, "row"), plural(1, "row"), plural(2, "legacy row")], [
    "0 rows",
    "1 row",
    "2 legacy rows",
  ]);
});
