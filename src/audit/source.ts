/**
 * The audit as its readers see it, whichever database holds it: a SQLite
 * file (the default) or PostgreSQL (a `postgres://` URL). `audit-query` and
 * the proxy's `GET /audit` read through this one interface; each database
 * answers every question the same way (same filters, pages, counts, chain).
 *
 * @example
 * ```ts
 * import { openAuditSource } from "./source.ts";
 *
 * const audit = await openAuditSource("postgres://astrix@db.internal/astrix");
 * const { rows } = await audit.query({ action: "listen" }, { limit: 10 });
 * await audit.close();
 * ```
 *
 * @module
 */

import type { ChainPoint } from "./anchor.ts";
import type { AuditRow } from "./chain.ts";
import { isPostgresUrl } from "./pg/connect.ts";
import { PgAuditSource } from "./pg/reader.ts";
import type { AuditFilter, AuditPage, PageOptions, StatsKey } from "./query.ts";
import { SqliteAuditSource } from "./sqlite_source.ts";
import type { VerifyOptions, VerifyResult } from "./verify.ts";

/** An audit opened for reading. */
export interface AuditSource {
  /** The file, or the URL with its password masked. */
  readonly description: string;
  /** Rows matching `filter`, ordered by time (then id), one page at a time. */
  query(filter: AuditFilter, page?: PageOptions): Promise<AuditPage>;
  /** Counts of matching rows per user, action, outcome or day (UTC, or this process's zone). */
  stats(
    by: StatsKey,
    filter?: AuditFilter,
    options?: { utc?: boolean },
  ): Promise<{ key: string; count: number }[]>;
  /** The last chained row. */
  head(): Promise<ChainPoint | undefined>;
  /** The first chained row: where the chain starts. */
  chainStart(): Promise<ChainPoint | undefined>;
  /** The newest `limit` matching rows (oldest first) and the highest id, from one snapshot. */
  recent(filter: AuditFilter, limit: number): Promise<{ rows: AuditRow[]; lastId: number }>;
  /** Rows written after `id` that match `filter`, oldest first. */
  after(id: number, filter?: AuditFilter, limit?: number): Promise<AuditRow[]>;
  /** Checks the hash chain with `key` (see `verify.ts`). */
  verify(key: Uint8Array | undefined, options?: VerifyOptions): Promise<VerifyResult>;
  /**
   * Calls `onChange` whenever rows may have been written (PostgreSQL: LISTEN; SQLite: a poll);
   * resolves to the function that stops watching.
   */
  watch(onChange: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Opens the audit `db` names read-only: a `postgres://` URL, or a SQLite file.
 * Throws AuditFileMissingError / AuditFileInvalidError / AuditDatabaseUnreachableError.
 */
export function openAuditSource(db: string): Promise<AuditSource> {
  return isPostgresUrl(db) ? PgAuditSource.open(db) : Promise.resolve(SqliteAuditSource.open(db));
}
