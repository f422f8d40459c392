/**
 * `astrix audit-query` as a real process, on real SQLite files and on a real
 * PostgreSQL (the tests that hold for both run on both), with real writer
 * processes appending at the same time.
 */

import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { type AuditEntry, AuditLog, AuditReader, loadKey } from "../../src/audit/mod.ts";
import { AUDIT_BACKENDS, type AuditBackend, type TestAudit } from "../_support/audit_backends.ts";
import { LineReader } from "../_support/lines.ts";

const WRITER = new URL("../_support/audit_writer.ts", import.meta.url).pathname;
const decoder = new TextDecoder();
const SEED_001 = Deno.readTextFileSync(
  new URL("../../src/audit/migrations/001_create_audit_table.sql", import.meta.url),
);
/** The fixture's clock: every row's time is relative to it. */
const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);

function startWriter(db: string, key: string, count: number, name: string) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      WRITER,
      db,
      key,
      String(count),
      name,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return decoder.decode(await new Response(stream).arrayBuffer());
}

/** The fixture's six rows: a listen, a refusal, a playback of a formula-looking target, ... */
const FIXTURE_ROWS: [
  string,
  string,
  string,
  string,
  string | null,
  "attempt" | "ok" | "denied" | "error",
  number | null,
][] = [
  ["sup-1", "supervisor", "listen", "SIP/202-0000000a", "job-1", "attempt", null],
  ["sup-1", "supervisor", "listen", "SIP/202-0000000a", "job-1", "ok", 202],
  ["agent-3", "user", "listen", "SIP/202-0000000b", null, "denied", 403],
  ["qa-7", "qa", "playback", "=cmd|' /C calc'!A0", "job-2", "ok", 202],
  ["qa-7", "qa", "control", "job-2", "job-2", "error", 502],
  ["admin", "admin", "hangup", "SIP/203-0000000c", "job-3", "ok", 200],
];

/** The fixture's entries, an hour apart from CLOCK. */
function fixtureEntries(): AuditEntry[] {
  return FIXTURE_ROWS.map(([userId, role, action, target, jobId, outcome, status], i) => ({
    userId,
    role,
    action,
    target,
    jobId,
    outcome,
    status,
    remoteAddr: "10.0.0.9",
    requestId: `req-${i}`,
    detail: { note: i === 3 ? 'comma, "quote"\nnew line' : "plain" },
    timestamp: CLOCK + i * 3_600_000,
  }));
}

/** The fixture as a SQLite file, its key beside it (`<db>.key`, the default). */
function fixture(): { dir: string; db: string; key: string } {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-cli-" });
  const db = `${dir}/ami_audit.db`;
  const log = AuditLog.open(db, { keyFile: `${db}.key` });
  log.appendAll(fixtureEntries());
  log.close();
  return { dir, db, key: `${db}.key` };
}

/** The fixture on either database. */
async function fixtureOn(backend: AuditBackend): Promise<TestAudit> {
  const audit = await backend.create();
  await audit.append(fixtureEntries());
  return audit;
}

/** A small RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"', i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (record.push(cell), cell = "");
    else if (c === "\r" && text[i + 1] === "\n") {
      (record.push(cell), records.push(record), record = [], cell = "", i++);
    } else cell += c;
  }
  if (cell !== "" || record.length > 0) (record.push(cell), records.push(record));
  return records;
}

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query filters by each field and time, in every format`, async () => {
    await using audit = await fixtureOn(backend);
    const db = audit.db;
    const q = (...args: string[]) => runCli(["audit-query", "--db", db, "--utc", ...args]);
    const ids = async (...args: string[]) => {
      const { code, stdout, stderr } = await q(...args, "--format", "json");
      assertEquals(code, 0, stderr);
      return JSON.parse(stdout).map((r: { id: number }) => r.id);
    };
    assertEquals(await ids(), [6, 5, 4, 3, 2, 1]);
    assertEquals(await ids("--order", "asc", "--limit", "2"), [1, 2]);
    assertEquals(await ids("--user", "sup-1"), [2, 1]);
    assertEquals(await ids("--role", "qa"), [5, 4]);
    assertEquals(await ids("--action", "listen", "--target", "202"), [3, 2, 1]);
    assertEquals(await ids("--target", "SIP/203*"), [6]);
    assertEquals(await ids("--job", "job-2"), [5, 4]);
    assertEquals(await ids("--outcome", "denied"), [3]);
    assertEquals(await ids("--since", "2026-11-20T11:00:00Z", "--until", "2026-11-20T13:00:00Z"), [
      5,
      4,
      3,
    ]);
    assertEquals(await ids("--since", "2026-11-21"), []);
    // Relative times count back from the CLI's real clock: reach just past the oldest row.
    const sinceDays = Math.ceil((Date.now() - CLOCK) / 86_400_000) + 1;
    assertEquals(await ids("--since", `${sinceDays}d`), [6, 5, 4, 3, 2, 1]);
    assertEquals(await ids("--since", "1h"), [], "relative: nothing in the last hour");

    const ndjson = await q("--format", "ndjson", "--outcome", "ok");
    assertEquals(ndjson.stdout.trim().split("\n").map((l) => JSON.parse(l).id), [6, 4, 2]);

    const table = await q("--user", "sup-1");
    assertMatch(
      table.stdout,
      /^ID\s+TIME\s+USER\s+ROLE\s+ACTION\s+TARGET\s+JOB\s+OUTCOME\s+STATUS\s+FROM\n/,
    );
    assertMatch(
      table.stdout,
      /\n2\s+2026-11-20T10:00:00\.000Z\s+sup-1\s+supervisor\s+listen\s+SIP\/202-0000000a\s+job-1\s+ok\s+202\s+10\.0\.0\.9\n/,
    );

    const stats = await q("--stats", "--by", "action");
    assertMatch(stats.stdout, /^ACTION\s+COUNT\nlisten\s+3\n/);
    const days = await q("--stats", "--by", "day", "--format", "ndjson");
    assertEquals(JSON.parse(days.stdout), { key: "2026-11-20", count: 6 });
  });
}

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query CSV is RFC 4180 and neutralizes spreadsheet formulas`, async () => {
    await using audit = await fixtureOn(backend);
    const db = audit.db;
    const { code, stdout } = await runCli([
      "audit-query",
      "--db",
      db,
      "--format",
      "csv",
      "--job",
      "job-2",
      "--order",
      "asc",
    ]);
    assertEquals(code, 0);
    const records = parseCsv(stdout);
    assertEquals(records[0].slice(0, 6), ["id", "time", "user", "role", "action", "target"]);
    assertEquals(records.length, 3);
    assertEquals(records[1][5], "'=cmd|' /C calc'!A0", "a formula-looking target is prefixed");
    assertEquals(
      JSON.parse(records[1][11]),
      { note: 'comma, "quote"\nnew line' },
      "commas, quotes, newlines survive",
    );
    assert(stdout.includes("\r\n"), "CRLF record ends");
  });
}

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query shows local time to people and keeps the offset in exports`, async () => {
    await using audit = await fixtureOn(backend);
    const db = audit.db;
    const env = { TZ: "America/Bogota" }; // UTC-5 all year
    const q = (...args: string[]) =>
      runCli(["audit-query", "--db", db, "--order", "asc", "--limit", "1", ...args], env);
    assertMatch((await q()).stdout, /\n1\s+2026-11-20 04:00:00\s+sup-1/);
    assertEquals(
      parseCsv((await q("--format", "csv")).stdout)[1][1],
      "2026-11-20T04:00:00.000-05:00",
    );
    const [row] = JSON.parse((await q("--format", "json")).stdout);
    assertEquals([row.time, row.timestamp], [
      "2026-11-20T04:00:00.000-05:00",
      Date.UTC(2026, 10, 20, 9),
    ]);
    assertEquals(
      JSON.parse((await q("--format", "ndjson", "--utc")).stdout).time,
      "2026-11-20T09:00:00.000Z",
    );
    assertEquals(
      JSON.parse((await q("--format", "ndjson", "--since", "2026-11-20 05:00")).stdout).id,
      2,
      "--since reads local time too",
    );
  });
}

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query --head and --verify --expect-head catch a truncated log`, async () => {
    await using audit = await fixtureOn(backend);
    const { db, keyFile: key } = audit;
    const head = (await runCli(["audit-query", "--db", db, "--head"])).stdout.trim();
    assertMatch(head, /^6:[0-9a-f]{64} 1:[0-9a-f]{64}$/, "the head, then where the chain starts");
    const verifyHead = () => verifyCli(db, ["--key-file", key, "--expect-head", head]);
    const ok = await verifyHead();
    assertEquals(ok.code, 0, ok.stdout);
    assertMatch(ok.stdout, /chain OK · 6 rows: 6 chained, 0 legacy/);
    await audit.exec("DELETE FROM ami_audit WHERE id = 6");
    const truncated = await verifyHead();
    assertEquals(truncated.code, 1);
    assertMatch(
      truncated.stdout,
      backend.name === "sqlite"
        ? /chain BROKEN at row 6: the recorded head row is gone/
        // PostgreSQL's writers keep the head in the database: that tells first.
        : /chain BROKEN at row 6: the writers' chain head is 6:.* rows were deleted from the end/,
    );
    await audit.exec("UPDATE ami_audit SET outcome = 'ok' WHERE id = 3");
    const changed = await runCli(["audit-query", "--db", db, "--verify"], {
      ASTRIX_AUDIT_KEY_FILE: key,
    });
    assertEquals(changed.code, 1);
    assertMatch(changed.stdout, /chain BROKEN at row 3: its content does not match its hash/);
  });
}

/** `audit-query --db <db> --verify <args>`. */
function verifyCli(db: string, args: string[] = [], env: Record<string, string> = {}) {
  return runCli(["audit-query", "--db", db, "--verify", ...args], env);
}

/** A database the way the seed made it: its own migration and three rows, no chain, no key. */
function seedDatabase(path: string): void {
  const sql = new DatabaseSync(path);
  sql.exec(SEED_001);
  const insert = sql.prepare(
    "INSERT INTO ami_audit (user_id, action, target, job_id, timestamp) VALUES (?, ?, ?, ?, ?)",
  );
  for (let i = 0; i < 3; i++) insert.run(`u${i}`, "listen", "SIP/202", null, CLOCK - 86_400_000);
  sql.close();
}

/** Appends `count` rows with astrix's own writer, an hour apart from `at`. */
function appendRows(db: string, keyFile: string, count: number, at = CLOCK): void {
  const log = AuditLog.open(db, { keyFile });
  for (let i = 0; i < count; i++) {
    log.append({ userId: "sup-1", action: "listen", outcome: "ok", timestamp: at + i * 3_600_000 });
  }
  log.close();
}

function tamper(db: string, sql: string): void {
  const handle = new DatabaseSync(db);
  handle.exec(sql);
  handle.close();
}

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query --verify with another key says so, names the key it used and how to give the right one`, async () => {
    await using audit = await fixtureOn(backend);
    const other = `${audit.dir}/other.key`;
    loadKey(other, { create: true });
    const wrong = await verifyCli(audit.db, ["--key-file", other]);
    assertEquals(wrong.code, 1);
    assertEquals(
      wrong.stdout,
      "chain NOT VERIFIED at row 1: neither it nor the next chained row (row 2) matches the key: " +
        "the key is probably not the one the audit was written with\n" +
        `key used: ${other} (from --key-file)\n` +
        "give the key the audit was written with: --key-file <file> or ASTRIX_AUDIT_KEY_FILE=<file>\n",
    );
    const fromEnv = await verifyCli(audit.db, [], { ASTRIX_AUDIT_KEY_FILE: other });
    assertMatch(fromEnv.stdout, /\nkey used: .*other\.key \(from ASTRIX_AUDIT_KEY_FILE\)\n/);
  });

  Deno.test(`[${backend.name}] audit-query --verify counts what holds before the broken row`, async () => {
    await using one = await fixtureOn(backend);
    await one.exec("UPDATE ami_audit SET outcome = 'denied' WHERE id = 2");
    const first = await verifyCli(one.db, ["--key-file", one.keyFile]);
    assertEquals([first.code, first.stdout], [
      1,
      "chain BROKEN at row 2: its content does not match its hash: the row was changed after it was written\n" +
      "before it: 1 row holds (1 chained, 0 legacy)\n",
    ]);
    await using many = await fixtureOn(backend);
    await many.exec("UPDATE ami_audit SET outcome = 'ok' WHERE id = 5");
    assertMatch(
      (await verifyCli(many.db, ["--key-file", many.keyFile])).stdout,
      /\nbefore it: 4 rows hold \(4 chained, 0 legacy\)\n$/,
    );
  });
}

Deno.test("[sqlite] audit-query --verify names the default key it used, and a wrong key is not a legacy change", async () => {
  const { dir, db, key } = fixture();
  const other = `${dir}/other.key`;
  loadKey(other, { create: true });
  Deno.renameSync(key, `${dir}/kept.key`);
  Deno.copyFileSync(other, key);
  const byDefault = await verifyCli(db);
  assertMatch(byDefault.stdout, /\nkey used: .*ami_audit\.db\.key \(the default, <db>\.key\)\n/);

  // With legacy rows before the chain, a wrong key is still not "the legacy rows were changed".
  const upgraded = `${dir}/upgraded.db`;
  seedDatabase(upgraded);
  appendRows(upgraded, `${upgraded}.key`, 1);
  const legacy = await verifyCli(upgraded, ["--key-file", other]);
  assertEquals(legacy.code, 1);
  assertMatch(
    legacy.stdout,
    /^chain NOT VERIFIED at row 4: it does not match the key: the key is probably not the one/,
  );
  assert(!/legacy rows/.test(legacy.stdout), legacy.stdout);
});

Deno.test("[sqlite] audit-query --verify counts a single row, and legacy rows before the break", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-cli-" });
  const single = `${dir}/single.db`;
  appendRows(single, `${single}.key`, 1);
  const ok = await verifyCli(single);
  assertEquals(ok.code, 0);
  assertMatch(ok.stdout, /^chain OK · 1 row: 1 chained, 0 legacy \(before the chain\) · head 1:/);

  const upgraded = `${dir}/upgraded.db`;
  seedDatabase(upgraded);
  appendRows(upgraded, `${upgraded}.key`, 3);
  tamper(upgraded, "UPDATE ami_audit SET user_id = 'someone' WHERE id = 5");
  assertMatch(
    (await verifyCli(upgraded)).stdout,
    /\nbefore it: 4 rows hold \(1 chained, 3 legacy\)\n$/,
  );
});

Deno.test("[sqlite] audit-query --verify reports a row the chain links past as inserted", async () => {
  const { db, key } = fixture();
  // Someone with write access to the file adds a row; the running proxy's next row chains past it.
  const log = AuditLog.open(db, { keyFile: key });
  tamper(
    db,
    "INSERT INTO ami_audit (user_id, action, target, timestamp, outcome) " +
      `VALUES ('ghost', 'listen', 'SIP/202-0000000a', ${CLOCK + 6 * 3_600_000}, 'ok')`,
  );
  log.append({
    userId: "sup-1",
    action: "listen",
    outcome: "ok",
    timestamp: CLOCK + 7 * 3_600_000,
  });
  log.close();
  const inserted = await verifyCli(db, ["--key-file", key]);
  assertEquals([inserted.code, inserted.stdout], [
    1,
    "chain BROKEN at row 7: it was inserted: it is not in the chain, which goes from row 6 straight to row 8\n" +
    "before it: 6 rows hold (6 chained, 0 legacy)\n",
  ]);
});

Deno.test("[sqlite] audit-query --verify on the seed's own database: legacy rows, no chain yet, no key needed", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-cli-" });
  const db = `${dir}/ami_audit.db`;
  seedDatabase(db);
  const seed = await verifyCli(db);
  assertEquals([seed.code, seed.stdout, seed.stderr], [
    0,
    "3 legacy rows, no chain yet: nothing to check with a key (the chain starts with the first row astrix writes)\n",
    "",
  ]);
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["ami_audit.db"], "no key made");

  // Once astrix has chained rows, a missing key is still a failure, and says why.
  appendRows(db, `${dir}/audit.key`, 1);
  const chained = await verifyCli(db);
  assertEquals([chained.code, chained.stdout], [2, ""]);
  assertMatch(
    chained.stderr,
    /^astrix audit-query: the chain starts at row 4 and --verify cannot check it without its key: Cannot read the audit key file .*ami_audit\.db\.key: /,
  );
  assertEquals(chained.stderr.trim().split("\n").length, 1, "one line");
  assertEquals((await verifyCli(db, ["--key-file", `${dir}/audit.key`])).code, 0);
});

Deno.test("[sqlite] audit-query on a file that is not an audit database: exit 2 naming --db", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/notes.db`, "not sqlite at all, just some text ".repeat(100));
    new DatabaseSync(`${dir}/other.db`).exec("CREATE TABLE t (x)");
    for (const file of ["notes.db", "other.db"]) {
      const { code, stdout, stderr } = await runCli(["audit-query", "--db", `${dir}/${file}`]);
      assertEquals([code, stdout], [2, ""], stderr);
      assertMatch(stderr, new RegExp(`^astrix audit-query: .*${file} is not an audit database`));
      assertMatch(stderr, /--db/);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("[sqlite] audit-query never creates a file and explains a missing one", async () => {
  const dir = Deno.makeTempDirSync();
  const { code, stderr } = await runCli(["audit-query", "--db", `${dir}/nope.db`]);
  assertEquals(code, 2);
  assertMatch(
    stderr,
    /No audit database at .*nope\.db: pass the proxy's --audit-db file with --db/,
  );
  assertEquals([...Deno.readDirSync(dir)].length, 0);
  const bad = await runCli(["audit-query", "--db", `${dir}/nope.db`, "--since", "last tuesday"]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /--since "last tuesday" is not a time/);
});

/** `audit-query --follow --format <format>` as a process. */
function spawnFollower(db: string, format: "ndjson" | "table", ...args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      new URL("../../main.ts", import.meta.url).pathname,
      "audit-query",
      "--db",
      db,
      "--follow",
      "--format",
      format,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("[sqlite] audit-query --follow prints the last rows, then each new one", async () => {
  const { db, key } = fixture();
  const follower = spawnFollower(db, "ndjson", "--limit", "2", "--utc");
  const deadline = setTimeout(() => follower.kill("SIGTERM"), 20_000);
  const reader = new LineReader(follower.stdout);
  const first = await reader.read(2);
  assertEquals(first.map((l) => JSON.parse(l).id), [5, 6]);
  const log = AuditLog.open(db, { keyFile: key });
  log.append({ userId: "late", action: "listen", target: "SIP/204-0000000d", outcome: "ok" });
  log.close();
  const [next] = await reader.read(1);
  clearTimeout(deadline);
  assertEquals(JSON.parse(next).user, "late");
  follower.kill("SIGTERM");
  await reader.cancel();
  assertEquals((await follower.status).code, 0);
  await follower.stderr.cancel();
});

/** Each row's cells start where the header's titles do, after two spaces. */
function assertAligned(lines: string[]): void {
  const [header, ...rows] = lines;
  const starts = [...header.matchAll(/\S+/g)].map((m) => m.index!).slice(1);
  for (const row of rows) {
    for (const start of starts) {
      assert(
        row.slice(start - 2, start) === "  " && row[start] !== " ",
        `not aligned at column ${start}:\n${header}\n${row}`,
      );
    }
  }
}

Deno.test("[sqlite] audit-query tables fit their widest cells: the listing, --follow's first rows and a wider later one", async () => {
  const { db, key } = fixture();
  const log = AuditLog.open(db, { keyFile: key });
  const append = (userId: string, hours: number) =>
    log.append({
      userId,
      role: "supervisor",
      action: "listen",
      target: "SIP/202-0000000a",
      outcome: "ok",
      timestamp: CLOCK + hours * 3_600_000,
    });
  append("dev-supervisor", 6);
  const listing = await runCli(["audit-query", "--db", db, "--utc"]);
  assertAligned(listing.stdout.trimEnd().split("\n"));

  const follower = spawnFollower(db, "table", "--limit", "3", "--utc");
  const deadline = setTimeout(() => follower.kill("SIGTERM"), 20_000);
  const reader = new LineReader(follower.stdout);
  const first = await reader.read(4);
  assertEquals(first.length, 4);
  assertMatch(first[0], /^ID\s+TIME\s+USER\s+ROLE/);
  assertMatch(first[3], /^7\s+2026-11-20T15:00:00\.000Z\s+dev-supervisor\s+supervisor\s+listen/);
  assertAligned(first);
  append("night-shift-supervisor-02", 7);
  log.close();
  const later = await reader.read(2);
  clearTimeout(deadline);
  follower.kill("SIGTERM");
  await reader.cancel();
  assertEquals((await follower.status).code, 0);
  await follower.stderr.cancel();
  assertEquals(later.length, 2);
  assertMatch(later[0], /^ID\s+TIME\s+USER\s+ROLE/, "the header again, widened");
  assertAligned(later);
  assert(later[0].indexOf("ROLE") > first[0].indexOf("ROLE"), "the USER column grew");
  assertMatch(later[1], /\snight-shift-supervisor-02\s+supervisor\s/, "nothing cut");
});

Deno.test("[sqlite] two writers, a follower and a verifier on one file: no lock errors, exact count, chain holds", async () => {
  const { db, key } = fixture();
  // --limit 1000: the rows written before it started are printed first, none missed.
  const follower = spawnFollower(db, "ndjson", "--limit", "1000");
  const writers = [startWriter(db, key, 300, "writer-a"), startWriter(db, key, 300, "writer-b")];
  const verifying = runCli(["audit-query", "--db", db, "--verify", "--key-file", key]);
  const outputs = await Promise.all(
    writers.map(async (w) => ({
      status: await w.status,
      out: await readAll(w.stdout),
      err: await readAll(w.stderr),
    })),
  );
  for (const { status, err } of outputs) {
    assertEquals(status.code, 0, err);
    assert(!/locked/i.test(err), err);
  }
  const during = await verifying;
  assertEquals(during.code, 0, during.stdout + during.stderr);
  const reader = AuditReader.open(db);
  assertEquals(reader.lastId(), 606);
  assertEquals(reader.query({ user: "writer-a" }, { limit: 10_000 }).rows.length, 300);
  reader.close();
  const after = await runCli(["audit-query", "--db", db, "--verify", "--key-file", key]);
  assertEquals(after.code, 0, after.stdout);
  assertMatch(after.stdout, /606 rows: 606 chained/);
  // The follower printed every row, each once, then stops on SIGTERM.
  const reader2 = new LineReader(follower.stdout);
  const deadline = setTimeout(() => follower.kill("SIGTERM"), 20_000);
  const lines = await reader2.read(606);
  clearTimeout(deadline);
  assertEquals(lines.length, 606, "the follower stopped before it printed every row");
  follower.kill("SIGTERM");
  await reader2.cancel();
  const followStatus = await follower.status;
  const followErr = await readAll(follower.stderr);
  assertEquals(followStatus.code, 0, followErr);
  assert(!/locked/i.test(followErr), followErr);
  const ids = lines.map((l) => JSON.parse(l).id);
  assertEquals([ids.length, new Set(ids).size, Math.min(...ids), Math.max(...ids)], [
    606,
    606,
    1,
    606,
  ]);
});

Deno.test("[sqlite] a writer killed with SIGKILL mid-stream loses nothing it reported committed", async () => {
  const { db, key } = fixture();
  const writer = startWriter(db, key, 1_000_000, "doomed");
  const reader = writer.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length < 200) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  writer.kill("SIGKILL");
  // Whatever else arrived before the kill was also reported committed.
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
  await writer.status;
  await writer.stderr.cancel();
  const reported = text.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  assert(reported.length >= 199);
  const audit = AuditReader.open(db);
  const stored = new Set(
    audit.query({ user: "doomed" }, { limit: 10_000_000 }).rows.map((r) => r.id),
  );
  audit.close();
  for (const id of reported) assert(stored.has(id), `row ${id} was reported committed`);
  const verify = await runCli(["audit-query", "--db", db, "--verify", "--key-file", key]);
  assertEquals(verify.code, 0, verify.stdout);
});
