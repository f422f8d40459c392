/**
 * Copying a SQLite audit into PostgreSQL, every row with its id and hashes,
 * so that the same key verifies the same chain there: the target must hold
 * no audit rows yet (it is migrated first), the rows go in one transaction
 * (all or none), in pages, and the chain head the writers lock is set to
 * the last row, so that proxies append after it.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { ROW_COLUMNS, type SqlRow } from "../chain.ts";
import { AuditDatabaseUnreachableError, AuditError } from "../errors.ts";
import { auditColumns } from "../schema.ts";
import { connect, describeUrl } from "./connect.ts";
import { INSERT_ROWS } from "./log.ts";
import { migratePg } from "./schema.ts";

/** The target already holds audit rows: astrix copies into an empty audit only. */
export class AuditTargetNotEmptyError extends AuditError {
  override name = "AuditTargetNotEmptyError";
  constructor(url: string, rows: number) {
    super(
      `${url} already holds ${rows} audit rows: copy into a database no proxy has written to ` +
        "(createdb a new one), so that one chain is not appended to another",
    );
  }
}

/**
 * Copies every row of `source` (a SQLite audit, read-only) into the audit
 * at `url`; `onProgress` is told the rows copied so far, after each page.
 * Throws AuditDatabaseUnreachableError, AuditTargetNotEmptyError, or the
 * database's own error (nothing is kept then).
 */
export async function copyToPostgres(
  source: DatabaseSync,
  url: string,
  onProgress: (rows: number) => void = () => {},
): Promise<{ rows: number }> {
  const columns = auditColumns(source);
  const select = ROW_COLUMNS.map((c) => columns.has(c) ? c : `NULL AS ${c}`).join(", ");
  const page = source.prepare(
    `SELECT ${select} FROM ami_audit WHERE id > ? ORDER BY id LIMIT ${INSERT_ROWS}`,
  );
  const sql = connect(url);
  try {
    try {
      await sql`SELECT 1 AS reachable`;
    } catch (error) {
      throw new AuditDatabaseUnreachableError(describeUrl(url), (error as Error).message, {
        cause: error,
      });
    }
    await migratePg(sql);
    return await sql.begin(async (tx) => {
      // Locked first: no proxy appends while the rows are copied.
      await tx`SELECT id FROM ami_audit_head FOR UPDATE`;
      const [present] = await tx`SELECT count(*) AS n FROM ami_audit`;
      if (Number(present.n) > 0) throw new AuditTargetNotEmptyError(describeUrl(url), present.n);
      // The head: the last row's id, and the last chained row's hash (legacy rows have none).
      let copied = 0;
      let lastId = 0;
      let lastHash: string | null = null;
      for (
        let rows = page.all(0) as SqlRow[];
        rows.length > 0;
        rows = page.all(lastId) as SqlRow[]
      ) {
        await tx`INSERT INTO ami_audit ${tx(rows, ...ROW_COLUMNS)}`;
        for (const row of rows) if (row.hash !== null) lastHash = String(row.hash);
        lastId = Number(rows[rows.length - 1].id);
        copied += rows.length;
        onProgress(copied);
      }
      await tx`UPDATE ami_audit_head SET id = ${lastId}, hash = ${lastHash}`;
      return { rows: copied };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
