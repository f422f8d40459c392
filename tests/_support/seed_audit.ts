/**
 * An audit database the way the seed's system left it: its own table
 * (astrix's migration 1) and three rows, timestamps in seconds as it wrote
 * them, no chain and no key. astrix upgrades such a file in place, or
 * audit-migrate copies it, and its rows become the chain's legacy rows.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import SEED_TABLE from "../../src/audit/migrations/001_create_audit_table.sql" with {
  type: "text",
};

/** Writes the seed's table and its three rows to a new SQLite file at `path`. */
export function writeSeedAudit(path: string): void {
  const seed = new DatabaseSync(path);
  seed.exec(SEED_TABLE);
  const insert = seed.prepare(
    "INSERT INTO ami_audit (user_id, action, target, job_id, timestamp) VALUES (?, ?, ?, ?, ?)",
  );
  insert.run("u1", "listen", "SIP/202", null, 1_700_000_000);
  insert.run("u2", "playback", "rec-17", "job-9", 1_700_000_100);
  insert.run("u1", "hangup", "SIP/202", null, 1_700_000_200);
  seed.close();
}
