/**
 * The PostgreSQL audit's schema: the migrations in `./migrations/`, applied
 * in order in one transaction under an advisory lock (several proxies
 * starting at once migrate once), their number recorded in
 * `astrix_schema` per component (`audit`; the fleet's shared jobs are
 * another, `../../proxy/fleet/`). A database migrated by a newer astrix is refused.
 *
 * @module
 */

import m001 from "./migrations/001_audit.sql" with { type: "text" };
import type { Queries, Sql } from "./connect.ts";

/** The migrations, in order: migration N brings the audit to version N. */
export const PG_MIGRATIONS: readonly string[] = [m001];

/** The advisory lock migrations hold (any constant; "astrix" in ASCII). */
const MIGRATION_LOCK = 0x617374726978;

/** Applies the audit's migrations not applied yet; throws if the database is newer than this astrix. */
export function migratePg(sql: Sql): Promise<void> {
  return migrateComponent(sql, "audit", PG_MIGRATIONS);
}

/**
 * Applies `component`'s migrations not applied yet (migration N brings it to
 * version N), in one transaction under the advisory lock; throws if the
 * database holds a newer version than `migrations` know.
 */
export async function migrateComponent(
  sql: Sql,
  component: string,
  migrations: readonly string[],
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS astrix_schema (
      component text PRIMARY KEY, version integer NOT NULL)`;
    const [row] = await tx`SELECT version FROM astrix_schema WHERE component = ${component}`;
    const version = row ? Number(row.version) : 0;
    if (version > migrations.length) {
      throw new Error(
        `its ${component} schema is version ${version}, newer than this astrix knows ` +
          `(${migrations.length}): upgrade astrix`,
      );
    }
    for (let n = version; n < migrations.length; n++) await tx.unsafe(migrations[n]);
    if (version < migrations.length) {
      await tx`INSERT INTO astrix_schema (component, version)
        VALUES (${component}, ${migrations.length})
        ON CONFLICT (component) DO UPDATE SET version = excluded.version`;
    }
  });
}

/** The audit's schema version: 0 when it has none (a database astrix never wrote to). */
export async function pgSchemaVersion(sql: Queries): Promise<number> {
  const [table] = await sql`SELECT to_regclass('astrix_schema') IS NOT NULL AS present`;
  if (!table.present) return 0;
  const [row] = await sql`SELECT version FROM astrix_schema WHERE component = 'audit'`;
  return row ? Number(row.version) : 0;
}

/** The columns `ami_audit` has (someone may have dropped some). */
export async function pgAuditColumns(sql: Queries): Promise<Set<string>> {
  const rows = await sql`SELECT column_name FROM information_schema.columns
    WHERE table_name = 'ami_audit' AND table_schema = current_schema()`;
  return new Set(rows.map((r) => String(r.column_name)));
}
