/**
 * Opening the audit database: WAL (readers never block the writer), a busy
 * timeout (a second writer waits instead of failing with "database is
 * locked"), full fsync at commit, foreign keys; and the migrations in
 * `./migrations/`, applied in order inside one write transaction and recorded
 * in `PRAGMA user_version`. A database the seed created (its table, version
 * 0) counts as migration 1 and is upgraded in place, every row kept.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import m001 from "./migrations/001_create_audit_table.sql" with { type: "text" };
import m002 from "./migrations/002_extend_and_chain.sql" with { type: "text" };
import m003 from "./migrations/003_positive_ids.sql" with { type: "text" };
import {
  AuditFileInvalidError,
  AuditFileMissingError,
  AuditTamperedError,
  AuditUnavailableError,
} from "./errors.ts";
import { droppedColumns, foreignId } from "./tamper.ts";

/** The migrations, in order: migration N brings the database to user_version N. */
export const MIGRATIONS: readonly string[] = [m001, m002, m003];

/** How long a statement waits for another process's lock before giving up, by default. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/** Opens (creating if needed) and migrates the database for appending. */
export function openForWriting(
  path: string,
  busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
): DatabaseSync {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db, path);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof AuditTamperedError) throw error;
    throw new AuditUnavailableError(
      `Cannot open the audit database ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Opens an existing database read-only; never creates one. */
export function openForReading(
  path: string,
  busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS,
): DatabaseSync {
  if (!existsSync(path)) throw new AuditFileMissingError(path);
  let db: DatabaseSync | undefined;
  let version: number;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    version = schemaVersion(db);
  } catch (error) {
    db?.close();
    throw new AuditFileInvalidError(path, (error as Error).message, { cause: error });
  }
  if (version === 0) {
    db.close();
    throw new AuditFileInvalidError(path, "it has no ami_audit table");
  }
  return db;
}

/** The schema version: `PRAGMA user_version`, or 1 for a seed database that never set it. */
export function schemaVersion(db: DatabaseSync): number {
  const version = Number(
    (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
  );
  if (version > 0) return version;
  const table = db.prepare(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ami_audit'",
  ).get();
  return table ? 1 : 0;
}

/**
 * Applies the migrations not applied yet, in one write transaction (so two
 * processes never race). A table whose hash columns were dropped, or that
 * holds ids ≤ 0 (which migration 3 forbids), is refused with
 * {@linkcode AuditTamperedError} rather than migrated: its rows are
 * evidence, neither dropped nor blessed.
 */
export function migrate(db: DatabaseSync, path = "(the audit database)"): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    const version = schemaVersion(db);
    if (version > MIGRATIONS.length) {
      throw new Error(
        `it has schema version ${version}, newer than this astrix knows (${MIGRATIONS.length}): upgrade astrix`,
      );
    }
    const dropped = version > 0 ? droppedColumns(auditColumns(db), version) : [];
    if (dropped.length > 0) {
      throw new AuditTamperedError(path, `its columns ${dropped.join(", ")} were dropped`);
    }
    const foreign = version > 0 ? foreignId(db) : undefined;
    if (foreign !== undefined) {
      throw new AuditTamperedError(
        path,
        `it holds a row with id ${foreign}, and astrix writes ids from 1 to 2^53 - 1 only ` +
          "(someone inserted it by hand; astrix will neither migrate nor drop it)",
      );
    }
    for (let n = version; n < MIGRATIONS.length; n++) db.exec(MIGRATIONS[n]);
    if (version < MIGRATIONS.length || version === 1) {
      db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
    }
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** The columns of `ami_audit` (a reader of an old database must not ask for missing ones). */
export function auditColumns(db: DatabaseSync): Set<string> {
  const rows = db.prepare("PRAGMA table_info(ami_audit)").all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}
