/**
 * A PostgreSQL audit as an {@linkcode AuditSource}: the same filters and
 * pages as SQLite's reader (`../filter_sql.ts` writes both WHERE clauses),
 * counts per day in this process's time zone (the session's TimeZone) or
 * UTC, `watch` on LISTEN `astrix_audit` (every commit notifies it), and the
 * chain verified by `./verify.ts`. Never creates or migrates anything.
 *
 * @module
 */

import type { ChainPoint } from "../anchor.ts";
import { type AuditRow, ROW_COLUMNS, type SqlRow, toAuditRow } from "../chain.ts";
import { AuditDatabaseUnreachableError, AuditFileInvalidError } from "../errors.ts";
import { Conditions, pageQuery, POSTGRES, SECONDS_BEFORE } from "../filter_sql.ts";
import type { AuditFilter, AuditPage, PageOptions, StatsKey } from "../query.ts";
import type { AuditSource } from "../source.ts";
import type { VerifyOptions, VerifyResult } from "../verify.ts";
import { connect, describeUrl, type Queries, type Sql } from "./connect.ts";
import { AUDIT_CHANNEL } from "./log.ts";
import { pgAuditColumns, pgSchemaVersion } from "./schema.ts";
import { verifyChainPg } from "./verify.ts";

/** A PostgreSQL audit, read-only. */
export class PgAuditSource implements AuditSource {
  readonly description: string;
  readonly #sql: Sql;
  readonly #columns: Set<string>;
  readonly #select: string;
  readonly #secondsRows: boolean;

  private constructor(
    description: string,
    sql: Sql,
    columns: Set<string>,
    secondsRows: boolean,
  ) {
    this.description = description;
    this.#sql = sql;
    this.#columns = columns;
    this.#select = ROW_COLUMNS.map((c) => columns.has(c) ? c : `NULL AS ${c}`).join(", ");
    this.#secondsRows = secondsRows;
  }

  /** Connects; throws AuditDatabaseUnreachableError, or AuditFileInvalidError if it holds no audit. */
  static async open(url: string): Promise<PgAuditSource> {
    const description = describeUrl(url);
    const sql = connect(url, { max: 2 });
    let version: number;
    try {
      version = await pgSchemaVersion(sql);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw new AuditDatabaseUnreachableError(description, (error as Error).message, {
        cause: error,
      });
    }
    if (version === 0) {
      await sql.end({ timeout: 1 });
      throw new AuditFileInvalidError(description, "it holds no astrix audit (no ami_audit table)");
    }
    const columns = await pgAuditColumns(sql);
    const [seconds] = await sql.unsafe(
      `SELECT 1 AS one FROM ami_audit WHERE timestamp < ${SECONDS_BEFORE} LIMIT 1`,
    );
    return new PgAuditSource(description, sql, columns, seconds !== undefined);
  }

  query(filter: AuditFilter, page: PageOptions = {}): Promise<AuditPage> {
    return pageOf(this.#sql, this.#select, this.#where(filter), page);
  }

  async stats(
    by: StatsKey,
    filter: AuditFilter = {},
    options: { utc?: boolean } = {},
  ): Promise<{ key: string; count: number }[]> {
    const ms = `(CASE WHEN timestamp < ${SECONDS_BEFORE} THEN timestamp * 1000 ELSE timestamp END)`;
    const instant = `to_timestamp(${ms} / 1000.0)`;
    const expressions: Record<StatsKey, string> = {
      user: "user_id",
      action: "action",
      outcome: this.#columns.has("outcome") ? "outcome" : "NULL",
      // The session's TimeZone is this process's (see connect.ts), as SQLite's 'localtime'.
      day: `to_char(${options.utc ? `${instant} AT TIME ZONE 'UTC'` : instant}, 'YYYY-MM-DD')`,
    };
    const where = this.#where(filter);
    const rows = await this.#sql.unsafe(
      `SELECT ${expressions[by]} AS key, count(*) AS count FROM ami_audit ${where.clause()}
        GROUP BY 1 ORDER BY ${by === "day" ? "1" : "2 DESC, 1"}`,
      where.params,
    );
    return rows.map((r) => ({ key: r.key ?? "(none)", count: Number(r.count) }));
  }

  async head(): Promise<ChainPoint | undefined> {
    const [row] = await this.#sql`SELECT id, hash FROM ami_audit WHERE hash IS NOT NULL
      ORDER BY id DESC LIMIT 1`;
    return row ? { id: Number(row.id), hash: String(row.hash) } : undefined;
  }

  async chainStart(): Promise<ChainPoint | undefined> {
    const [row] = await this.#sql`SELECT id, hash FROM ami_audit WHERE hash IS NOT NULL
      ORDER BY id LIMIT 1`;
    return row ? { id: Number(row.id), hash: String(row.hash) } : undefined;
  }

  recent(filter: AuditFilter, limit: number): Promise<{ rows: AuditRow[]; lastId: number }> {
    // One snapshot: no row shown twice or missed when following from here.
    return this.#sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      const [last] = await tx`SELECT coalesce(max(id), 0) AS id FROM ami_audit`;
      const { rows } = await pageOf(tx, this.#select, this.#where(filter), {
        limit,
        order: "desc",
      });
      return { rows: rows.reverse(), lastId: Number(last.id) };
    });
  }

  async after(id: number, filter: AuditFilter = {}, limit = 1000): Promise<AuditRow[]> {
    const where = this.#where(filter);
    where.where.push(`id > ${where.param(id)}`);
    const rows = await this.#sql.unsafe(
      `SELECT ${this.#select} FROM ami_audit ${where.clause()} ORDER BY id LIMIT ${
        where.param(limit)
      }`,
      where.params,
    );
    return rows.map((r) => toAuditRow(r as unknown as SqlRow));
  }

  verify(key: Uint8Array | undefined, options?: VerifyOptions): Promise<VerifyResult> {
    return verifyChainPg(this.#sql, key, options);
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    // Also called when the listening connection (re)connects: rows may have come meanwhile.
    const { unlisten } = await this.#sql.listen(AUDIT_CHANNEL, () => onChange(), () => onChange());
    return async () => await unlisten();
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }

  #where(filter: AuditFilter): Conditions {
    return new Conditions(POSTGRES).filter(filter, this.#columns, this.#secondsRows);
  }
}

/** One page of rows matching `where` (see `pageQuery`). */
async function pageOf(
  sql: Queries,
  select: string,
  where: Conditions,
  page: PageOptions,
): Promise<AuditPage> {
  const query = pageQuery(select, where, page);
  return query.toPage(await sql.unsafe(query.sql, query.params) as unknown as SqlRow[]);
}
