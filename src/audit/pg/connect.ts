/**
 * Connecting to a PostgreSQL audit: which `--audit-db` values name one
 * (`postgres://` or `postgresql://` URLs), a URL fit for logs (the password
 * masked), and a connection whose `bigint` columns read as numbers (ids and
 * timestamps are below 2^53, which the table's CHECKs keep so) in the time
 * zone of this process (so that `--stats --by day` counts local days as on
 * SQLite).
 *
 * The driver is npm's `postgres` (porsager): pure JavaScript over `node:net`,
 * so it runs the same under Deno and inside the binary `bun build --compile`
 * makes, with LISTEN/NOTIFY, pipelining and transactions built in, and no
 * native module to ship (see docs/audit.md, "PostgreSQL").
 *
 * @module
 */

import postgres from "postgres";

/** A connection (pool) to the audit's database. */
export type Sql = postgres.Sql;
/** What runs queries: a pool, or a transaction on it. */
export type Queries = postgres.ISql;

/** Does `db` name a PostgreSQL database rather than a SQLite file? */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db.trim());
}

/** The URL with its password masked, for logs and messages. */
export function describeUrl(db: string): string {
  try {
    const url = new URL(db);
    if (url.password) url.password = "***";
    return url.href;
  } catch {
    return "(an invalid postgres:// URL)";
  }
}

/** Options of {@linkcode connect}. */
export interface ConnectOptions {
  /** Connections in the pool; default 1 (one writer serialises its batches anyway). */
  max?: number;
  /** How long a statement may wait for a lock (the chain head), in ms; default 10,000. */
  lockTimeoutMs?: number;
}

/** A connection pool to the database `url` names (connected on first use). */
export function connect(url: string, options: ConnectOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 1,
    connect_timeout: 10,
    onnotice: () => {},
    // Statements are prepared once per connection: the same few repeat.
    prepare: true,
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
    connection: {
      application_name: "astrix",
      TimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC",
      lock_timeout: options.lockTimeoutMs ?? 10_000,
    },
  }) as unknown as Sql;
}
