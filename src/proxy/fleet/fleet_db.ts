/**
 * The fleet's tables in the PostgreSQL database of the shared audit: the
 * shared jobs and proxies (`migrations/001_jobs.sql`), console sessions
 * (`migrations/002_sessions.sql`) and the blocks of event ids
 * (`migrations/003_event_ids.sql`), migrated as the `fleet` component.
 *
 * @module
 */

import { connect, type Sql } from "../../audit/pg/connect.ts";
import { migrateComponent } from "../../audit/pg/schema.ts";
import m001 from "./migrations/001_jobs.sql" with { type: "text" };
import m002 from "./migrations/002_sessions.sql" with { type: "text" };
import m003 from "./migrations/003_event_ids.sql" with { type: "text" };

/** A connection to the fleet's database, migrated; `end()` it when done. */
export async function openFleetDb(url: string): Promise<Sql> {
  const sql = connect(url, { max: 2 });
  try {
    await migrateComponent(sql, "fleet", [m001, m002, m003]);
    return sql;
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
}

/** Event ids each proxy run may use: 10^10 (ten thousand million) from its block's start. */
export const EVENT_IDS_PER_BLOCK = 10_000_000_000;

/**
 * The first event id of a new block for this proxy run: blocks are handed out by the database,
 * so no two runs in a fleet number their events alike (ids stay below 2^53 for 900,000 runs).
 */
export async function eventIdBlock(sql: Sql): Promise<number> {
  const [row] = await sql`SELECT nextval('astrix_event_blocks') AS block`;
  return Number(row.block) * EVENT_IDS_PER_BLOCK;
}
