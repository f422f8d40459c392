/**
 * The audit on PostgreSQL, on a real server (Debian's, started in a temp
 * folder with fsync on, as `tests/_support/postgres.ts` does):
 * - appends per second with 1 and 4 writer processes (each a proxy's
 *   PgAuditWriter with 32 requests' rows in flight: group commits serialised
 *   on the chain head), against the ceiling of bare single-row INSERTs
 *   (each its own commit) from the same driver, the same processes and
 *   connections in flight, into a table of the same shape without the
 *   chain; and `pgbench` running the same INSERT as a reference;
 * - verify of a 1,000,000-row chain (every check of `--verify`), against
 *   reading the same pages and checking nothing. Goals: appends ≥ 0.8× the
 *   ceiling with 4 writers; verify under 10 s.
 *
 *   deno run -A bench/audit_pg_load.ts [--rows 5000] [--big 1000000]
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { canonical, ChainKey, ROW_COLUMNS } from "../src/audit/chain.ts";
import { anchorFile, readAnchor, recordAnchor } from "../src/audit/anchor.ts";
import { loadKey } from "../src/audit/key.ts";
import { connect } from "../src/audit/pg/connect.ts";
import { INSERT_ROWS, sqlRow } from "../src/audit/pg/log.ts";
import { migratePg } from "../src/audit/pg/schema.ts";
import { openAuditSource } from "../src/audit/source.ts";
import { postgresBin, startServer } from "../tests/_support/postgres.ts";
import { bigRow } from "./audit_rows.ts";
import { runJson } from "./processes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rows: { type: "string", default: "5000" },
    big: { type: "string", default: "1000000" },
  },
});
const ROWS = Number(values.rows);
const BIG = Number(values.big);
const IN_FLIGHT = 32;
const START_DELAY_MS = 3_000;
const here = (file: string) => new URL(file, import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "astrix-pg-bench-" });
const server = await startServer();
const admin = connect(server.url);
let databases = 0;

/** A fresh database, migrated (and with the bare table for the ceiling). */
async function database(): Promise<string> {
  const name = `bench_${++databases}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = server.url.replace(/\/postgres$/, `/${name}`);
  const sql = connect(url);
  await migratePg(sql);
  await sql.unsafe(`CREATE TABLE bare_audit (id bigserial PRIMARY KEY, user_id text NOT NULL,
    action text NOT NULL, target text, job_id text, timestamp bigint NOT NULL, role text,
    outcome text, status integer, request_id text, remote_addr text, detail text)`);
  await sql.end();
  return url;
}

async function appendRate(mode: "astrix" | "ceiling", writers: number): Promise<number> {
  const url = await database();
  const key = join(dir, `${databases}.key`);
  loadKey(key, { create: true });
  const startAt = Date.now() + START_DELAY_MS;
  const results = await Promise.all(
    Array.from(
      { length: writers },
      (_, i) =>
        runJson<{ rows: number; endedAt: number }>(here("audit_pg_worker.ts"), [
          mode,
          url,
          key,
          ROWS,
          IN_FLIGHT,
          `writer-${i}`,
          startAt,
        ]),
    ),
  );
  const rows = results.reduce((sum, r) => sum + r.rows, 0);
  return rows / ((Math.max(...results.map((r) => r.endedAt)) - startAt) / 1000);
}

async function best(mode: "astrix" | "ceiling", writers: number): Promise<number> {
  let rate = 0;
  for (let run = 0; run < 3; run++) rate = Math.max(rate, await appendRate(mode, writers));
  return rate;
}

/** pgbench running the ceiling's INSERT with 4 × 32 clients for 10 s: transactions per second. */
async function pgbench(): Promise<number> {
  const url = await database();
  const script = join(dir, "insert.sql");
  Deno.writeTextFileSync(
    script,
    `INSERT INTO bare_audit (user_id, action, target, job_id, timestamp, role, outcome, status,
      request_id, remote_addr, detail) VALUES ('pgbench', 'listen', 'SIP/201-0000000a', 'job-1',
      1795000000000, 'supervisor', 'ok', 202, md5(random()::text), '10.0.0.9', '{"mode":"listen"}');\n`,
  );
  const { port, pathname } = new URL(url);
  const output = await new Deno.Command(join(postgresBin(), "pgbench"), {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      port,
      "-U",
      "astrix",
      "-n",
      "-f",
      script,
      "-c",
      String(4 * IN_FLIGHT),
      "-j",
      "2",
      "-T",
      "10",
      pathname.slice(1),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  return Number(text.match(/tps = ([\d.]+)/)?.[1] ?? NaN);
}

/** A chained audit of `count` rows, made with the real chain function, in pages. */
async function buildBig(url: string, keyFile: string, count: number): Promise<void> {
  const key = new ChainKey(loadKey(keyFile, { create: true }));
  const sql = connect(url);
  let prev = key.legacyAnchor([]);
  let first: string | undefined;
  for (let from = 1; from <= count; from += INSERT_ROWS) {
    const rows = [];
    for (let i = from; i < Math.min(from + INSERT_ROWS, count + 1); i++) {
      const row = bigRow(i, prev);
      row.hash = key.hash(prev, canonical(row));
      rows.push(sqlRow(row));
      prev = row.hash;
      first ??= row.hash;
    }
    await sql`INSERT INTO ami_audit ${sql(rows, ...ROW_COLUMNS)}`;
  }
  await sql`UPDATE ami_audit_head SET id = ${count}, hash = ${prev}`;
  await sql.end();
  recordAnchor(anchorFile(keyFile), { id: 1, hash: first! }); // as the proxy does
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (r: number) => `${Math.round(r * 100)}%`;

try {
  const rates = {
    ceiling1: await best("ceiling", 1),
    astrix1: await best("astrix", 1),
    ceiling4: await best("ceiling", 4),
    astrix4: await best("astrix", 4),
  };
  const tps = await pgbench();
  console.log(
    `\nAppends on PostgreSQL, ${fmt(ROWS)} rows per writer, ${IN_FLIGHT} in flight each, ` +
      "fsync on, best of 3\n",
  );
  console.log("| writers | bare INSERT rows/s (ceiling) | PgAuditWriter rows/s | vs ceiling |");
  console.log("|---:|---:|---:|---:|");
  console.log(
    `| 1 | ${fmt(rates.ceiling1)} | ${fmt(rates.astrix1)} | ${
      pct(rates.astrix1 / rates.ceiling1)
    } |`,
  );
  console.log(
    `| 4 | ${fmt(rates.ceiling4)} | ${fmt(rates.astrix4)} | ${
      pct(rates.astrix4 / rates.ceiling4)
    } |`,
  );
  console.log(`\npgbench, the same INSERT, ${4 * IN_FLIGHT} clients, 10 s: ${fmt(tps)} tps`);

  const url = await database();
  const keyFile = join(dir, "big.key");
  const t0 = performance.now();
  await buildBig(url, keyFile, BIG);
  const built = performance.now() - t0;
  const source = await openAuditSource(url);
  const key = loadKey(keyFile, { create: false });
  const t1 = performance.now();
  const result = await source.verify(key, { start: readAnchor(anchorFile(keyFile)) });
  const verifyMs = performance.now() - t1;
  await source.close();
  const raw = connect(url);
  const t2 = performance.now();
  for (let after = 0;;) {
    const page = await raw.unsafe(
      `SELECT ${
        ROW_COLUMNS.join(", ")
      }, 0 AS nul FROM ami_audit WHERE id > $1 ORDER BY id LIMIT 5000`,
      [after],
    ).values();
    if (page.length === 0) break;
    after = Number(page[page.length - 1][0]);
  }
  const readMs = performance.now() - t2;
  await raw.end();
  console.log(`\nVerify, ${fmt(BIG)} rows (built in ${(built / 1000).toFixed(1)} s)\n`);
  console.log("| what | time | rows/s |");
  console.log("|---|---:|---:|");
  console.log(
    `| reading the pages verify reads, checking nothing (ceiling) | ${
      (readMs / 1000).toFixed(2)
    } s | ${fmt(BIG / (readMs / 1000))} |`,
  );
  console.log(
    `| verify (every check, each row's HMAC) | ${(verifyMs / 1000).toFixed(2)} s | ${
      fmt(BIG / (verifyMs / 1000))
    } |`,
  );
  console.log(
    `\nverify: ${result.ok ? "OK" : `BROKEN at ${result.firstBad?.id}`}, ${
      fmt(result.chained)
    } chained`,
  );
} finally {
  await admin.end();
  await server.stop();
  Deno.removeSync(dir, { recursive: true });
}
