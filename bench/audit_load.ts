/**
 * Audit benchmark, on real files and real processes:
 * - appends per second, one writer and four writers on one file, against the
 *   ceiling of bare single-row INSERTs into the same table with the same
 *   pragmas (WAL, synchronous=FULL), in the same run;
 * - audit-query's user + time-range query on a 1,000,000-row database
 *   (in-process, warm: median of 20; and the whole CLI process);
 * - verify of the 1,000,000-row chain (every check of `--verify`: ids, the
 *   recorded start, astrix's columns, NULs, each row's HMAC), against two
 *   ceilings measured in the same run: reading every row (`SELECT *`, named
 *   rows) and reading the same pages verify reads, as arrays, checking
 *   nothing. Goal: under 5 s for a million rows.
 *
 *   deno run -A bench/audit_load.ts [--rows 2000] [--big 1000000]
 */

import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";
import { canonical, ChainKey, rowFields } from "../src/audit/chain.ts";
import { bigRow } from "./audit_rows.ts";
import { anchorFile, recordAnchor } from "../src/audit/anchor.ts";
import { loadKey } from "../src/audit/key.ts";
import { AuditReader } from "../src/audit/query.ts";
import { openForWriting } from "../src/audit/schema.ts";
import { verifyChain } from "../src/audit/verify.ts";
import { runJson } from "./processes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "2000" },
    big: { type: "string", default: "1000000" },
  },
});
const ROWS = Number(values.rows);
const BIG = Number(values.big);
const here = (file: string) => new URL(file, import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-bench-" });

interface Result {
  rows: number;
  /** Epoch ms the writer finished. */
  endedAt: number;
}

/** Time for the writer processes to start and open the database before they all begin. */
const START_DELAY_MS = 3_000;

/** Rows per second with `writers` processes of `mode` appending to one fresh file at once. */
async function appendRate(mode: string, writers: number, run: number): Promise<number> {
  const db = `${dir}/${mode}-${writers}-${run}.db`;
  openForWriting(db).close(); // created and migrated before the clock starts
  const key = `${db}.key`; // one key anchors one chain: a key per database
  loadKey(key, { create: true });
  const startAt = Date.now() + START_DELAY_MS;
  const results = await Promise.all(
    Array.from(
      { length: writers },
      (_, i) =>
        runJson<Result>(here("audit_worker.ts"), [mode, db, key, ROWS, `writer-${i}`, startAt]),
    ),
  );
  const rows = results.reduce((sum, r) => sum + r.rows, 0);
  return rows / ((Math.max(...results.map((r) => r.endedAt)) - startAt) / 1000);
}

async function best(mode: string, writers: number): Promise<number> {
  let rate = 0;
  for (let run = 0; run < 3; run++) rate = Math.max(rate, await appendRate(mode, writers, run));
  return rate;
}

/** A chained database of `count` rows, built in one transaction with the real chain function. */
function buildBig(path: string, keyFile: string, count: number): void {
  const key = new ChainKey(loadKey(keyFile, { create: true }));
  const db: DatabaseSync = openForWriting(path);
  db.exec("PRAGMA synchronous = OFF");
  const insert = db.prepare(
    `INSERT INTO ami_audit (id, user_id, action, target, job_id, timestamp, role, outcome, status,
       request_id, remote_addr, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let prev = key.legacyAnchor([]);
  let first: string | undefined;
  db.exec("BEGIN");
  for (let i = 1; i <= count; i++) {
    const row = bigRow(i, prev);
    row.hash = key.hash(prev, canonical(row));
    insert.run(...rowFields(row), row.prevHash, row.hash); // the INSERT's columns are in this order
    prev = row.hash;
    first ??= row.hash;
  }
  db.exec("COMMIT");
  db.close();
  recordAnchor(anchorFile(keyFile), { id: 1, hash: first! }); // as the proxy does
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (r: number) => `${Math.round(r * 100)}%`;

const rates = {
  ceiling1: await best("ceiling", 1),
  astrix1: await best("astrix", 1),
  ceiling4: await best("ceiling", 4),
  astrix4: await best("astrix", 4),
};
console.log(
  `\nAppends, ${
    fmt(ROWS)
  } rows per writer, one row per transaction, WAL + synchronous=FULL, best of 3\n`,
);
console.log("| writers | bare INSERT rows/s (ceiling) | AuditLog.append rows/s | vs ceiling |");
console.log("|---:|---:|---:|---:|");
console.log(
  `| 1 | ${fmt(rates.ceiling1)} | ${fmt(rates.astrix1)} | ${pct(rates.astrix1 / rates.ceiling1)} |`,
);
console.log(
  `| 4 | ${fmt(rates.ceiling4)} | ${fmt(rates.astrix4)} | ${pct(rates.astrix4 / rates.ceiling4)} |`,
);

const big = `${dir}/big.db`;
const t0 = performance.now();
buildBig(big, `${big}.key`, BIG);
const built = performance.now() - t0;

const since = Date.UTC(2026, 0, 1) + 200_000 * 30_000;
const until = since + 7 * 86_400_000;
const reader = AuditReader.open(big);

/** Median of 20 warm runs of `fn`, in ms. */
function median(fn: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    fn();
    if (i > 0) times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[10];
}

// Ceiling: the same rows by a hand-written statement on the same index.
const bareQuery = reader.db.prepare(
  "SELECT * FROM ami_audit WHERE user_id = ? AND timestamp >= ? AND timestamp < ? ORDER BY id DESC LIMIT 101",
);
const queryCeiling = median(() => bareQuery.all("user-17", since, until));
let matched = 0;
const queryMs = median(() => {
  matched = reader.query({ user: "user-17", since, until }, { limit: 100 }).rows.length;
});

// Ceilings: reading every row, nothing checked; and reading what verify reads (pages of arrays).
const t1 = performance.now();
let read = 0;
for (const _ of reader.db.prepare("SELECT * FROM ami_audit ORDER BY id").iterate()) read++;
const readMs = performance.now() - t1;
const pages = reader.db.prepare(
  "SELECT * FROM ami_audit WHERE id > ? ORDER BY id LIMIT 5000",
) as ReturnType<DatabaseSync["prepare"]> & { setReturnArrays(on: boolean): void };
pages.setReturnArrays(true);
const t3 = performance.now();
let paged = 0;
for (let after = 0, more = true; more;) {
  const rows = pages.all(after) as unknown as unknown[][];
  more = rows.length === 5000;
  paged += rows.length;
  if (rows.length > 0) after = Number(rows[rows.length - 1][0]);
}
const pagesMs = performance.now() - t3;
const t2 = performance.now();
const verified = verifyChain(reader.db, loadKey(`${big}.key`, { create: false }), {
  start: { id: 1, hash: reader.chainStart()!.hash },
});
const verifyMs = performance.now() - t2;
reader.close();
if (!verified.ok || verified.chained !== BIG || read !== BIG || paged !== BIG) {
  throw new Error(`verify failed: ${JSON.stringify(verified)}`);
}

/** Wall time of one `astrix audit-query` process on the big database. */
async function cliMs(...args: string[]): Promise<number> {
  const cli = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", here("../main.ts"), "audit-query", "--db", big, ...args],
    stdout: "null",
  });
  const t = performance.now();
  const { code } = await cli.output();
  if (code !== 0) throw new Error(`audit-query ${args.join(" ")} exited with ${code}`);
  return performance.now() - t;
}
const cliQueryMs = await cliMs(
  ...["--user", "user-17", "--since", new Date(since).toISOString()],
  ...["--until", new Date(until).toISOString(), "--format", "json"],
);
const cliVerifyMs = await cliMs("--verify", "--key-file", `${big}.key`);

const ms = (n: number) => n < 10 ? `${n.toFixed(2)} ms` : `${(n / 1000).toFixed(2)} s`;
console.log(`\nOn ${fmt(BIG)} chained rows (built in ${(built / 1000).toFixed(1)} s)\n`);
console.log("| measurement | ceiling | astrix | vs ceiling | goal |");
console.log("|---|---:|---:|---:|---:|");
console.log(
  `| query: one user, one week (${matched} rows shown), median of 20 | ${ms(queryCeiling)} | ${
    ms(queryMs)
  } | ${pct(queryCeiling / queryMs)} | < 50 ms |`,
);
console.log(
  `| the same as a whole \`astrix audit-query\` process | | ${ms(cliQueryMs)} | | |`,
);
console.log(
  `| verify the whole chain (ceiling: read every row) | ${ms(readMs)} | ${ms(verifyMs)} | ${
    pct(readMs / verifyMs)
  } | < 5 s |`,
);
console.log(
  `| the same (ceiling: read verify's pages, as arrays) | ${ms(pagesMs)} | ${ms(verifyMs)} | ${
    pct(pagesMs / verifyMs)
  } | |`,
);
console.log(`| the same as \`astrix audit-query --verify\` | | ${ms(cliVerifyMs)} | | |`);
Deno.removeSync(dir, { recursive: true });
