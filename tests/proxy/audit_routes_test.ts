/**
 * The admin's audit browser and health panel over HTTP: GET /audit pages
 * (keyset cursors, both orders), each of audit-query's filters, the period's
 * time forms, the CSV export, the `audit-read` row of every read; GET
 * /audit/verify on an untouched and on a tampered file, and when the key
 * cannot be read; GET /status. Real proxy, mock-ami, a real SQLite file.
 */

import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { type Answer, assertErrorAnswer, CALLERS, startTestProxy } from "../_support/proxy.ts";
import { eventually } from "../_support/wait.ts";
import { CSV_HEADER, type PresentedRow } from "../../src/audit/format.ts";
import type { TestProxy } from "../_support/proxy.ts";

/** A row as GET /audit answers it (audit-query's JSON fields, times in UTC). */
type Row = PresentedRow;

/** GET /audit as admin with these query parameters. */
function audit(px: TestProxy, query: Record<string, string | number>): Promise<Answer> {
  const search = new URLSearchParams(
    Object.entries(query).map(([key, value]) => [key, String(value)]),
  );
  return px.request("GET", `/audit?${search}`, { role: "admin" });
}

/** The rows of one GET /audit page (200 asserted). */
async function rowsOf(px: TestProxy, query: Record<string, string | number>): Promise<Row[]> {
  const answer = await audit(px, query);
  assertEquals(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.rows;
}

/** Every page of a query, followed by its cursors; each page's rows, in order. */
async function allPages(
  px: TestProxy,
  query: Record<string, string | number>,
): Promise<Row[][]> {
  const pages: Row[][] = [];
  let cursor: string | null = null;
  do {
    const answer = await audit(px, cursor === null ? query : { ...query, cursor });
    assertEquals(answer.status, 200, JSON.stringify(answer.body));
    pages.push(answer.body.rows);
    cursor = answer.body.nextCursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

/** The `ok` rows of GET /ami/channels (each also has its `attempt` row). */
const CHANNELS_OK = { action: "channels", outcome: "ok" };

/** `n` GET /ami/channels by the supervisor: `n` of {@linkcode CHANNELS_OK}. */
async function channelReads(px: TestProxy, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const answer = await px.request("GET", "/ami/channels", { role: "supervisor" });
    assertEquals(answer.status, 200);
    ids.push(answer.requestId);
  }
  return ids;
}

Deno.test("GET /audit pages with cursors: every row once, in order, asc and desc", async () => {
  await using px = await startTestProxy();
  const requests = await channelReads(px, 7);
  const everything = await rowsOf(px, { ...CHANNELS_OK, limit: 1000, order: "asc" });
  assertEquals(everything.map((r) => r.requestId), requests);

  for (const order of ["asc", "desc"] as const) {
    const pages = await allPages(px, { ...CHANNELS_OK, limit: 3, order });
    assertEquals(pages.map((page) => page.length), [3, 3, 1], order);
    const ids = pages.flat().map((r) => r.id);
    const expected = everything.map((r) => r.id);
    assertEquals(ids, order === "asc" ? expected : expected.toReversed(), order);
  }
  // Newest first by default; a page that ends the rows has no cursor.
  const newest = await audit(px, { ...CHANNELS_OK, limit: 7 });
  assertEquals(newest.body.rows[0].requestId, requests.at(-1));
  assertEquals(newest.body.nextCursor, null);
});

Deno.test("GET /audit filters by user, role, action, target, job and outcome", async (t) => {
  await using px = await startTestProxy();
  const target = await px.liveChannel();
  const { jobId } = await px.listenUntilActive(target);
  const refused = await px.request("GET", "/ami/channels", { role: "user" });
  assertEquals(refused.status, 403);
  const qaReads = await px.request("GET", "/ami/events", { role: "qa" });
  assertEquals(qaReads.status, 200);

  const cases: [string, Record<string, string>, (row: Row) => boolean, string][] = [
    ["user", { user: CALLERS.user.sub }, (r) => r.user === CALLERS.user.sub, refused.requestId],
    ["role", { role: "qa" }, (r) => r.role === "qa", qaReads.requestId],
    ["action", { action: "channels" }, (r) => r.action === "channels", refused.requestId],
    ["target, exact", { target }, (r) => r.target === target, ""],
    ["target, a glob", { target: `${target.slice(0, 5)}*` }, (r) => r.target === target, ""],
    ["job", { job: jobId }, (r) => r.job === jobId, ""],
    ["outcome", { outcome: "denied" }, (r) => r.outcome === "denied", refused.requestId],
  ];
  for (const [what, query, holds, includes] of cases) {
    await t.step(what, async () => {
      const rows = await rowsOf(px, { ...query, limit: 1000 });
      assert(rows.length > 0, `${what}: no rows`);
      assert(rows.every(holds), `${what}: ${JSON.stringify(rows)}`);
      if (includes) assert(rows.some((r) => r.requestId === includes), `${what}: row missing`);
    });
  }
  await t.step(
    "the listen: attempt and ok by target, the ok row (naming the job) by job",
    async () => {
      const listen = async (query: Record<string, string>) =>
        (await rowsOf(px, { ...query, action: "listen", order: "asc" }))
          .map((r) => [r.outcome, r.user, r.target, r.job]);
      const sub = CALLERS.supervisor.sub;
      assertEquals(await listen({ target }), [
        ["attempt", sub, target, null],
        ["ok", sub, target, jobId],
      ]);
      assertEquals(await listen({ job: jobId }), [["ok", sub, target, jobId]]);
    },
  );
  await t.step("filters combine: a user's rows of another role are none", async () => {
    assertEquals(await rowsOf(px, { user: CALLERS.user.sub, role: "admin" }), []);
  });
  await t.step("a role or an outcome that does not exist: 400 naming it", async () => {
    assertErrorAnswer(await audit(px, { role: "root" }), 400, "bad_request", "role");
    assertErrorAnswer(await audit(px, { outcome: "maybe" }), 400, "bad_request", "outcome");
  });
});

Deno.test("GET /audit since and until: inclusive, ISO 8601, dates, yesterday and ago; a bad time is 400 naming the field", async (t) => {
  await using px = await startTestProxy();
  await channelReads(px, 3);
  const [first, second, third] = await rowsOf(px, { ...CHANNELS_OK, order: "asc" });
  const channels = async (query: Record<string, string>) =>
    (await rowsOf(px, { ...CHANNELS_OK, order: "asc", ...query })).map((r) => r.id);
  const all = [first.id, second.id, third.id];

  await t.step("a row's own time is inside since and until", async () => {
    assertEquals(await channels({ since: second.time, until: second.time }), [second.id]);
    assertEquals(await channels({ since: second.time }), all.slice(1));
    assertEquals(await channels({ until: second.time }), all.slice(0, 2));
    // Without its zone the same time is read as UTC, whatever the proxy's time zone.
    assertEquals(await channels({ since: second.time.replace(/Z$/, "") }), all.slice(1));
  });
  await t.step("a millisecond later or earlier is outside", async () => {
    const after = new Date(third.timestamp + 1).toISOString();
    const before = new Date(first.timestamp - 1).toISOString();
    assertEquals(await channels({ since: after }), []);
    assertEquals(await channels({ until: before }), []);
  });
  await t.step("the other forms: without a zone (UTC), a date, yesterday, ago", async () => {
    const cases: [Record<string, string>, number[]][] = [
      [{ since: "2000-01-01T00:00" }, all],
      [{ since: "2000-01-01" }, all],
      [{ until: "2000-01-01" }, []],
      [{ since: "2999-01-01T00:00:00Z" }, []],
      [{ until: "2999-01-01T00:00:00+02:00" }, all],
      [{ since: "yesterday" }, all],
      [{ until: "yesterday" }, []],
      [{ since: "7d" }, all],
      [{ until: "24h" }, []],
      [{ since: "1w", until: "2999-12-31" }, all],
    ];
    for (const [query, ids] of cases) {
      assertEquals(await channels(query), ids, JSON.stringify(query));
    }
  });
  await t.step("a bad time: 400 bad_request naming since or until, the value quoted", async () => {
    const since = await audit(px, { since: "last tuesday" });
    assertErrorAnswer(since, 400, "bad_request", "since");
    assertMatch(since.body.error.message, /^since: "last tuesday" is not a time: use ISO 8601/);
    const until = await audit(px, { until: "2026-13-45" });
    assertErrorAnswer(until, 400, "bad_request", "until");
    assertEquals(px.auditOf(since.requestId), [], "a refused query reads nothing");
  });
});

Deno.test("GET /audit?format=csv: a download with the header row, every row, formulas neutralized", async () => {
  await using px = await startTestProxy();
  const formula = await px.token({ sub: "=1+2", role: "supervisor", ext: "207" });
  const byFormula = await px.request("GET", "/ami/channels", { token: formula });
  assertEquals(byFormula.status, 200);
  await channelReads(px, 2);

  const csv = await audit(px, { format: "csv", ...CHANNELS_OK, order: "asc" });
  assertEquals(csv.status, 200);
  assertEquals(csv.headers.get("content-type"), "text/csv; charset=utf-8");
  assertEquals(
    csv.headers.get("content-disposition"),
    'attachment; filename="astrix-audit.csv"',
  );
  assertEquals(csv.headers.get("x-astrix-row-cap"), "100000");
  const lines = (csv.body as string).split("\r\n");
  assertEquals(lines.at(-1), "", "every record ends with CRLF");
  assertEquals(lines[0], CSV_HEADER.join(","));
  assertEquals(lines.length, 1 + 3 + 1);
  const cells = lines[1].split(",");
  assertEquals(cells[CSV_HEADER.indexOf("user")], "'=1+2");
  assertEquals(cells[CSV_HEADER.indexOf("request_id")], byFormula.requestId);
  assertEquals(lines.slice(2, 4).map((line) => line.split(",")[2]), [
    CALLERS.supervisor.sub,
    CALLERS.supervisor.sub,
  ]);

  const empty = await audit(px, { format: "csv", user: "nobody" });
  assertEquals(empty.body, `${CSV_HEADER.join(",")}\r\n`, "no rows: the header alone");

  for (const field of ["limit", "cursor"]) {
    const refused = await audit(px, { format: "csv", [field]: field === "limit" ? 10 : "1.1" });
    assertErrorAnswer(refused, 400, "bad_request", field);
    assertMatch(refused.body.error.message, /format=csv exports every matching row/);
  }
});

Deno.test("GET /audit writes one audit-read row per read, naming the query", async () => {
  await using px = await startTestProxy();
  const page = await audit(px, { action: "channels", limit: 5, order: "asc" });
  const csv = await audit(px, { format: "csv", outcome: "denied" });
  for (
    const [answer, query] of [
      [page, { action: "channels", limit: 5, order: "asc" }],
      [csv, { format: "csv", outcome: "denied" }],
    ] as const
  ) {
    const rows = px.auditOf(answer.requestId);
    assertEquals(
      rows.map((r) => [r.userId, r.role, r.action, r.target, r.outcome, r.status]),
      [[CALLERS.admin.sub, "admin", "audit-read", null, "ok", 200]],
    );
    assertEquals(JSON.parse(rows[0].detail!), { query });
  }
  // The next read sees the previous one's row.
  const reads = await rowsOf(px, { action: "audit-read", order: "asc" });
  assertEquals(reads.map((r) => r.requestId), [page.requestId, csv.requestId]);
});

Deno.test("GET /audit/verify: ok on a fresh proxy, the broken row after tampering, audited each time", async () => {
  await using px = await startTestProxy();
  await channelReads(px, 3);

  const fresh = await px.request("GET", "/audit/verify", { role: "admin" });
  assertEquals(fresh.status, 200);
  // Each GET /ami/channels wrote two rows (attempt, ok).
  assertEquals([fresh.body.ok, fresh.body.rows, fresh.body.chained], [true, 6, 6]);
  assertEquals([fresh.body.broken, fresh.body.problem], [undefined, undefined]);
  assertEquals(fresh.body.head.id, 6);
  assertMatch(fresh.body.head.text, /^6:[0-9a-f]{64} 1:[0-9a-f]{64}$/);
  const freshRows = px.auditOf(fresh.requestId);
  assertEquals(
    freshRows.map((r) => [r.userId, r.action, r.outcome, r.status]),
    [[CALLERS.admin.sub, "audit-verify", "ok", 200]],
  );
  assertEquals(JSON.parse(freshRows[0].detail!), { ok: true, rows: 6 });

  // Someone with write access to the file, not the key, rewrites who did row 2.
  const handle = new DatabaseSync(px.auditDb);
  handle.exec("UPDATE ami_audit SET user_id = 'someone-else' WHERE id = 2");
  handle.close();

  const tampered = await px.request("GET", "/audit/verify", { role: "admin" });
  assertEquals(tampered.status, 200);
  assertEquals(tampered.body.ok, false);
  assertEquals(tampered.body.broken, { id: 2, kind: "changed" });
  assertEquals(tampered.body.rows, 1);
  assertMatch(tampered.body.problem, /BROKEN at row 2/);
  const tamperedRows = px.auditOf(tampered.requestId);
  assertEquals(tamperedRows.map((r) => [r.action, r.outcome]), [["audit-verify", "ok"]]);
  assertEquals(JSON.parse(tamperedRows[0].detail!), {
    ok: false,
    rows: 1,
    broken: { id: 2, kind: "changed" },
  });
});

Deno.test("GET /audit/verify without its key file: 503 audit_unreadable naming the file", async () => {
  await using px = await startTestProxy();
  await Deno.remove(`${px.dir}/audit.key`);
  const answer = await px.request("GET", "/audit/verify", { role: "admin" });
  assertErrorAnswer(answer, 503, "audit_unreadable");
  assertMatch(answer.body.error.message, /^Cannot verify the audit .*audit\.db: .*audit\.key/);
  // Reading rows needs no key: the browser still pages.
  assertEquals((await audit(px, { limit: 1 })).status, 200);
});

Deno.test("GET /status: the PBX, the jobs, the open streams and the audit, not audited", async () => {
  await using px = await startTestProxy();
  const status = async () => {
    const answer = await px.request("GET", "/status", { role: "admin" });
    assertEquals(answer.status, 200, JSON.stringify(answer.body));
    assertEquals(px.auditOf(answer.requestId), [], "GET /status allowed writes no row");
    return answer.body;
  };

  const idle = await status();
  assertEquals(idle.backend, "ami");
  assertEquals(idle.ami.connected, true);
  assertEquals(idle.ami.pbx.asterisk, 22);
  assertEquals([idle.ami.permissionsChecked, idle.ami.cannotWork], [true, []]);
  assertEquals([idle.ami.reconnects, idle.ami.eventsLost], [0, 0]);
  assertEquals(idle.audit, { writable: true, problem: null });
  assertEquals(idle.sse, { subscribers: 0, behind: 0 });
  assertEquals(Object.values(idle.jobs).every((n) => n === 0), true, JSON.stringify(idle.jobs));
  assert(Number.isInteger(idle.uptimeSeconds) && idle.uptimeSeconds >= 0);

  await px.listenUntilActive(await px.liveChannel());
  assertEquals((await status()).jobs.active, 1);

  const abort = new AbortController();
  const { response } = await px.open("GET", "/ami/events", {
    role: "admin",
    signal: abort.signal,
  });
  try {
    assertEquals(response.status, 200);
    await eventually(
      async () => (await status()).sse.subscribers === 1 ? true : undefined,
      "GET /status to count the open stream",
    );
  } finally {
    await response.body?.cancel();
  }
  await eventually(
    async () => (await status()).sse.subscribers === 0 ? true : undefined,
    "GET /status to see the stream closed",
  );
});
