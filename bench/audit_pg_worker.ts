/**
 * One writer process of the PostgreSQL audit benchmark: connects, waits for
 * the common start time (so that all writers overlap), keeps `inFlight`
 * appends going until it has written `rows`, and prints one JSON line with
 * the epoch time it finished.
 *
 *   deno run -A bench/audit_pg_worker.ts astrix  <url> <key> <rows> <inFlight> <name> <startAt>
 *     a proxy's PgAuditWriter: concurrent requests' rows, group-committed on the chain head
 *   deno run -A bench/audit_pg_worker.ts ceiling <url> <key> <rows> <inFlight> <name> <startAt>
 *     bare single-row INSERTs (each its own commit) into the same table shape, same driver,
 *     `inFlight` connections, no chain
 */

import postgres from "postgres";
import { PgAuditWriter } from "../src/audit/pg/writer.ts";
import { listenEntry } from "./audit_rows.ts";

const [mode, url, keyFile, rows, inFlight, name, startAt] = Deno.args;
const count = Number(rows);
const lanes = Number(inFlight);
const waitForStart = () =>
  new Promise((resolve) => setTimeout(resolve, Number(startAt) - Date.now()));

const entry = (i: number) => listenEntry(name, i);

/** Runs `write(i)` for i in 0..count, `lanes` at a time. */
async function drive(write: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < count) await write(next++);
  }));
}

if (mode === "astrix") {
  const writer = await PgAuditWriter.open(url, { keyFile });
  await waitForStart();
  await drive((i) => writer.append(entry(i)));
  await writer.close();
} else {
  const sql = postgres(url, { max: lanes, onnotice: () => {} });
  await sql`SELECT 1`;
  await Promise.all(Array.from({ length: lanes }, () => sql`SELECT 1`)); // every connection open
  await waitForStart();
  await drive((i) => {
    const e = entry(i);
    return sql`INSERT INTO bare_audit (user_id, action, target, job_id, timestamp, role, outcome,
      status, request_id, remote_addr, detail) VALUES (${e.userId}, ${e.action}, ${e.target},
      ${e.jobId}, ${Date.now()}, ${e.role}, ${e.outcome}, ${e.status}, ${e.requestId},
      ${e.remoteAddr}, ${JSON.stringify(e.detail)})`;
  });
  await sql.end();
}
console.log(JSON.stringify({ rows: count, endedAt: Date.now() }));
