/**
 * Reading the audit, read-only (it works while the proxy writes): filtered
 * queries with keyset pagination, counts by user/action/outcome/day, the
 * chain's head, and new rows since an id (for `--follow`).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type AuditRow, type Outcome, ROW_COLUMNS, type SqlRow, toAuditRow } from "./chain.ts";
import { Conditions, pageQuery, SECONDS_BEFORE, SQLITE } from "./filter_sql.ts";
import { auditColumns, openForReading } from "./schema.ts";
import { firstChained } from "./tamper.ts";

/** Which rows to read. Times are ms since the epoch, inclusive. */
export interface AuditFilter {
  user?: string;
  role?: string;
  action?: string;
  /** An exact target; `*` globs; digits alone also match that extension's channels (`SIP/202-...`). */
  target?: string;
  job?: string;
  outcome?: Outcome;
  since?: number;
  until?: number;
}

/** A page request: newest first by default. */
export interface PageOptions {
  limit?: number;
  order?: "asc" | "desc";
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

/** One page of rows and the cursor of the next, if there may be one. */
export interface AuditPage {
  rows: AuditRow[];
  nextCursor?: string;
}

/** What `stats()` groups by. */
export type StatsKey = "user" | "action" | "outcome" | "day";

/** The audit opened read-only. */
export class AuditReader {
  readonly #db: DatabaseSync;
  readonly #columns: Set<string>;
  readonly #select: string;
  readonly #secondsRows: boolean;
  /** Prepared statements by SQL text: a filter's shape repeats (follow polls, the proxy pages). */
  readonly #statements = new Map<string, StatementSync>();

  private constructor(db: DatabaseSync) {
    this.#db = db;
    this.#columns = auditColumns(db);
    this.#select = ROW_COLUMNS.map((c) => this.#columns.has(c) ? c : `NULL AS ${c}`).join(", ");
    this.#secondsRows =
      db.prepare(`SELECT 1 FROM ami_audit WHERE timestamp < ${SECONDS_BEFORE} LIMIT 1`).get() !==
        undefined;
  }

  /** Opens an existing database read-only; throws AuditFileMissingError if there is none. */
  static open(path: string): AuditReader {
    return new AuditReader(openForReading(path));
  }

  /** The underlying connection (for verify). */
  get db(): DatabaseSync {
    return this.#db;
  }

  /** Rows matching `filter`, ordered by time (then id), one page at a time. */
  query(filter: AuditFilter, page: PageOptions = {}): AuditPage {
    const query = pageQuery(this.#select, this.#where(filter), page);
    return query.toPage(this.#prepare(query.sql).all(...query.params) as SqlRow[]);
  }

  /** Counts of matching rows per user, action, outcome or day (UTC or local). */
  stats(
    by: StatsKey,
    filter: AuditFilter = {},
    options: { utc?: boolean } = {},
  ): { key: string; count: number }[] {
    const ms = `(CASE WHEN timestamp < ${SECONDS_BEFORE} THEN timestamp * 1000 ELSE timestamp END)`;
    const expressions: Record<StatsKey, string> = {
      user: "user_id",
      action: "action",
      outcome: this.#columns.has("outcome") ? "outcome" : "NULL",
      day: `strftime('%Y-%m-%d', ${ms} / 1000, 'unixepoch'${options.utc ? "" : ", 'localtime'"})`,
    };
    const where = this.#where(filter);
    const sql = `SELECT ${expressions[by]} AS key, count(*) AS count FROM ami_audit
      ${where.clause()} GROUP BY key ORDER BY ${by === "day" ? "key" : "count DESC, key"}`;
    return (this.#prepare(sql).all(...where.params) as { key: string | null; count: number }[])
      .map((r) => ({ key: r.key ?? "(none)", count: Number(r.count) }));
  }

  /** The last chained row's id and hash: record it elsewhere to detect a truncated log later. */
  head(): { id: number; hash: string } | undefined {
    if (!this.#columns.has("hash")) return undefined;
    const row = this.#db.prepare(
      "SELECT id, hash FROM ami_audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
      .get() as { id: number; hash: string } | undefined;
    return row ? { id: Number(row.id), hash: row.hash } : undefined;
  }

  /** The first chained row's id and hash: where the chain starts (printed by `--head` too). */
  chainStart(): { id: number; hash: string } | undefined {
    return this.#columns.has("hash") ? firstChained(this.#db) : undefined;
  }

  /** The highest id, or 0 for an empty table. */
  lastId(): number {
    return Number(
      (this.#db.prepare("SELECT coalesce(max(id), 0) AS id FROM ami_audit").get() as { id: number })
        .id,
    );
  }

  /** Rows written after `id` that match `filter`, oldest first (for --follow). */
  after(id: number, filter: AuditFilter = {}, limit = 1000): AuditRow[] {
    const where = this.#where(filter);
    where.where.push("id > ?");
    const sql = `SELECT ${this.#select} FROM ami_audit ${where.clause()} ORDER BY id LIMIT ?`;
    return (this.#prepare(sql).all(...where.params, id, limit) as SqlRow[]).map(toAuditRow);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, statement = this.#db.prepare(sql));
    return statement;
  }

  #where(filter: AuditFilter): Conditions {
    return new Conditions(SQLITE).filter(filter, this.#columns, this.#secondsRows);
  }
}

/** Milliseconds of a stored timestamp (legacy rows may hold seconds). */
export function timestampMs(timestamp: number): number {
  return timestamp < SECONDS_BEFORE ? timestamp * 1000 : timestamp;
}
