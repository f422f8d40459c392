/**
 * An {@linkcode AuditFilter} as a SQL `WHERE` clause, for SQLite and for
 * PostgreSQL alike: the same filters mean the same rows in both. A dialect
 * says how a parameter is written (`?` or `$n`) and how a target glob is
 * matched (SQLite's `GLOB`, a regular expression in PostgreSQL).
 *
 * @module
 */

import { type AuditRow, type SqlRow, toAuditRow } from "./chain.ts";
import type { AuditFilter, AuditPage, PageOptions } from "./query.ts";

/** Timestamps below this are seconds (a legacy row), not milliseconds. */
export const SECONDS_BEFORE = 100_000_000_000;

/** How one database writes what a filter needs. */
export interface SqlDialect {
  /** The placeholder of the `n`th parameter (from 1). */
  param(n: number): string;
  /** A condition: `column` matches the glob in parameter `ref` (`*` any text, `?` one character). */
  glob(column: string, ref: string): string;
  /** The parameter value of a glob pattern. */
  globValue(pattern: string): string;
}

/** SQLite: `?` and `GLOB`. */
export const SQLITE: SqlDialect = {
  param: () => "?",
  glob: (column, ref) => `${column} GLOB ${ref}`,
  globValue: (pattern) => pattern,
};

/** PostgreSQL: `$n`, and a glob turned into an anchored regular expression. */
export const POSTGRES: SqlDialect = {
  param: (n) => `$${n}`,
  glob: (column, ref) => `${column} ~ ${ref}`,
  globValue: (pattern) =>
    "^" + Array.from(pattern, (c) =>
      c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&")).join("") +
    "$",
};

/** A WHERE clause's conditions and their parameters, to which more can be added in order. */
export class Conditions {
  readonly where: string[] = [];
  readonly params: (string | number)[] = [];
  readonly #dialect: SqlDialect;

  constructor(dialect: SqlDialect) {
    this.#dialect = dialect;
  }

  /** The placeholder of a new parameter holding `value`. */
  param(value: string | number): string {
    this.params.push(value);
    return this.#dialect.param(this.params.length);
  }

  /** `WHERE a AND b`, or nothing. */
  clause(): string {
    return this.where.length > 0 ? `WHERE ${this.where.join(" AND ")}` : "";
  }

  /** Adds the conditions of `filter`. `columns`: what the table has; `secondsRows`: legacy times. */
  filter(filter: AuditFilter, columns: Set<string>, secondsRows: boolean): this {
    const dialect = this.#dialect;
    const equals = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      // An old database has no such column: nothing can match.
      this.where.push(columns.has(column) ? `${column} = ${this.param(value)}` : "1 = 0");
    };
    equals("user_id", filter.user);
    equals("role", filter.role);
    equals("action", filter.action);
    equals("job_id", filter.job);
    equals("outcome", filter.outcome);
    const target = filter.target;
    if (target !== undefined) {
      const glob = (pattern: string) =>
        dialect.glob("target", this.param(dialect.globValue(pattern)));
      if (/^\d+$/.test(target)) {
        // An extension: the number itself, its phones' channels, its Local channels.
        this.where.push(
          `(target = ${this.param(target)} OR ${glob(`*/${target}-*`)} OR ${
            glob(`*/${target}`)
          } OR ${glob(`Local/${target}@*`)})`,
        );
      } else if (target.includes("*")) {
        this.where.push(glob(target));
      } else {
        this.where.push(`target = ${this.param(target)}`);
      }
    }
    if (filter.since !== undefined || filter.until !== undefined) {
      const since = filter.since ?? 0;
      const until = filter.until ?? Number.MAX_SAFE_INTEGER;
      const between = (from: number, to: number) =>
        `timestamp BETWEEN ${this.param(from)} AND ${this.param(to)}`;
      if (secondsRows) {
        this.where.push(
          `((timestamp >= ${SECONDS_BEFORE} AND ${between(since, until)}) OR ` +
            `(timestamp < ${SECONDS_BEFORE} AND ${
              between(Math.floor(since / 1000), Math.floor(until / 1000))
            }))`,
        );
      } else {
        this.where.push(between(since, until));
      }
    }
    return this;
  }
}

/**
 * One page of rows: the query (`select`ed columns, `where`'s conditions and
 * the keyset cursor, ordered by time then id, one row more than the page
 * holds to tell whether another follows), and the page its rows make.
 */
export function pageQuery(
  select: string,
  where: Conditions,
  page: PageOptions,
): { sql: string; params: (string | number)[]; toPage(rows: SqlRow[]): AuditPage } {
  const limit = page.limit ?? 100;
  const desc = (page.order ?? "desc") === "desc";
  if (page.cursor) {
    const [timestamp, id] = page.cursor.split(".").map(Number);
    where.where.push(
      `(timestamp, id) ${desc ? "<" : ">"} (${where.param(timestamp)}, ${where.param(id)})`,
    );
  }
  const dir = desc ? "DESC" : "ASC";
  const sql = `SELECT ${select} FROM ami_audit ${where.clause()}
    ORDER BY timestamp ${dir}, id ${dir} LIMIT ${where.param(limit + 1)}`;
  return {
    sql,
    params: where.params,
    toPage(stored) {
      const rows: AuditRow[] = stored.map(toAuditRow);
      const more = rows.length > limit;
      if (more) rows.pop();
      const last = rows.at(-1);
      return { rows, nextCursor: more && last ? `${last.timestamp}.${last.id}` : undefined };
    },
  };
}
