/**
 * The fleet's tables in the PostgreSQL database of the shared audit: the
 * shared jobs and proxies (`migrations/001_jobs.sql`) and console sessions
 * (`migrations/002_sessions.sql`), migrated as the `fleet` component.
 *
 * @module
 */

import { connect, type Sql } from "../../audit/pg/connect.ts";
import { migrateComponent } from "../../audit/pg/schema.ts";
import m001 from "./migrations/001_jobs.sql" with { type: "text" };
import m002 from "./migrations/002_sessions.sql" with { type: "text" };

/** A connection to the fleet's database, migrated; `end()` it when done. */
export async function openFleetDb(url: string): Promise<Sql> {
  const sql = connect(url, { max: 2 });
  try {
    await migrateComponent(sql, "fleet", [m001, m002]);
    return sql;
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }
}
