/**
 * One writer process of the audit benchmark: opens the database, waits for
 * the common start time (so that all writers overlap), writes, and prints
 * one JSON line with the epoch time it finished.
 *
 *   deno run -A bench/audit_worker.ts astrix  <db> <key> <rows> <name> <startAt>   AuditLog.append, one row each
 *   deno run -A bench/audit_worker.ts ceiling <db> <key> <rows> <name> <startAt>   bare single-row INSERTs, same
 *                                                                                  table, same pragmas, no chain
 */

import { DatabaseSync } from "node:sqlite";
import { AuditLog } from "../src/audit/log.ts";
import { openForWriting } from "../src/audit/schema.ts";
import { listenEntry } from "./audit_rows.ts";

const [mode, db, keyFile, rows, name, startAt] = Deno.args;
const count = Number(rows);
const waitForStart = () =>
  new Promise((resolve) => setTimeout(resolve, Number(startAt) - Date.now()));

const entry = (i: number) => listenEntry(name, i);

if (mode === "astrix") {
  const log = AuditLog.open(db, { keyFile });
  await waitForStart();
  for (let i = 0; i < count; i++) log.append(entry(i));
  log.close();
} else {
  const sql: DatabaseSync = openForWriting(db); // the same table, WAL, busy timeout, full sync
  const insert = sql.prepare(
    `INSERT INTO ami_audit (user_id, action, target, job_id, timestamp, role, outcome, status,
       request_id, remote_addr, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  await waitForStart();
  for (let i = 0; i < count; i++) {
    const e = entry(i);
    insert.run(
      e.userId,
      e.action,
      e.target,
      e.jobId,
      Date.now(),
      e.role,
      e.outcome,
      e.status,
      e.requestId,
      e.remoteAddr,
      JSON.stringify(e.detail),
      "0".repeat(64),
      "1".repeat(64),
    );
  }
  sql.close();
}
console.log(JSON.stringify({ mode, rows: count, endedAt: Date.now() }));
