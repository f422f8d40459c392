/**
 * Checking a PostgreSQL audit's hash chain: the same walk as SQLite's
 * (`../chain_walk.ts`, `../verify.ts`), over pages read in one snapshot (a
 * `REPEATABLE READ` transaction: proxies may append meanwhile), the next
 * page read while this one is hashed. One check more than SQLite can make:
 * the chain head the writers keep (`ami_audit_head`) must be the last row,
 * so rows deleted from the end show as `truncated` without a recorded head.
 *
 * @module
 */

import { formatPoint } from "../anchor.ts";
import { ROW_COLUMNS, type SqlRow } from "../chain.ts";
import { type Bad, broken, type ChainWalk, NEXT_CHAINED_SQL, type WalkRow } from "../chain_walk.ts";
import { MAX_ID, missingColumns } from "../tamper.ts";
import {
  droppedBad,
  foreignRow,
  headVerdict,
  otherStart,
  PAGE_ROWS,
  startWalk,
  type VerifyOptions,
  type VerifyResult,
  walkResult,
} from "../verify.ts";
import type { Queries, Sql } from "./connect.ts";
import { pgAuditColumns } from "./schema.ts";

/** Asked by the walk for a row not read yet: read it, then check the row again. */
class LookupNeeded extends Error {
  constructor(readonly after: number) {
    super(`the next chained row after ${after} is needed`);
  }
}

/** Verifies the chain of the audit `sql` reaches, with `key` (see `verifyChain`). */
export function verifyChainPg(
  sql: Sql,
  key: Uint8Array | undefined,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  return sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
    const columns = await pgAuditColumns(tx);
    // Every column is astrix's from migration 1 on: any missing one was dropped.
    const dropped = missingColumns(columns);
    const found = new Map<number, SqlRow | undefined>();
    const walk = startWalk(
      (id) => {
        if (!found.has(id)) throw new LookupNeeded(id);
        return found.get(id);
      },
      key,
      options,
    );
    const firstBad = dropped.length > 0
      ? droppedBad(dropped)
      : await walkRows(tx, walk, found) ?? walk.end() ?? otherStart(walk, options) ??
        await headTable(tx, walk);
    const expected = options.expectHead;
    const [stored] = expected && !dropped.includes("hash")
      ? await tx`SELECT hash FROM ami_audit WHERE id = ${expected.id}`
      : [undefined];
    return headVerdict(
      walkResult(walk, firstBad),
      expected,
      stored && { hash: stored.hash ?? null },
    );
  });
}

/** Every row through `walk`, from the smallest id; the first break, if any. */
async function walkRows(
  tx: Queries,
  walk: ChainWalk,
  found: Map<number, SqlRow | undefined>,
): Promise<Bad | undefined> {
  const [low] = await tx`SELECT id FROM ami_audit WHERE id <= 0 ORDER BY id LIMIT 1`;
  if (low) return foreignRow(Number(low.id), "below 1");
  // PostgreSQL's text never holds a NUL (it refuses one): the walk's NUL column is 0.
  const select = `SELECT ${ROW_COLUMNS.join(", ")}, 0 AS nul FROM ami_audit`;
  // No upper bound in the query: with one, the planner (its statistics not yet gathered) may scan
  // every later row per page. An id above MAX_ID ends the walk below instead.
  const page = (after: number) =>
    tx.unsafe(`${select} WHERE id > $1 ORDER BY id LIMIT ${PAGE_ROWS}`, [
      after,
    ]).values() as unknown as Promise<WalkRow[]>;
  let next: Promise<WalkRow[]> | undefined = page(0);
  while (next) {
    const rows: WalkRow[] = await next;
    // The next page is on its way while this one is hashed.
    next = rows.length === PAGE_ROWS ? page(Number(rows[rows.length - 1][0])) : undefined;
    for (let row of rows) {
      if (Number(row[0]) > MAX_ID) {
        await next?.catch(() => {});
        return foreignRow(MAX_ID, "above 2^53 - 1 (the last row before it holds)");
      }
      for (;;) {
        try {
          const bad = walk.check(row);
          if (bad) {
            await next?.catch(() => {}); // the transaction must not end with a query pending
            return bad;
          }
          break;
        } catch (error) {
          if (!(error instanceof LookupNeeded)) throw error;
          const [chained] = await tx.unsafe(NEXT_CHAINED_SQL.replace("?", "$1"), [error.after]);
          found.set(error.after, chained as unknown as SqlRow | undefined);
          // The check cut the row to its canonical fields: read it again whole.
          [row] = await tx.unsafe(`${select} WHERE id = $1`, [Number(row[0])])
            .values() as unknown as WalkRow[];
        }
      }
    }
  }
  return undefined;
}

/** The head the writers keep must be the last chained row the walk reached. */
async function headTable(tx: Queries, walk: ChainWalk): Promise<Bad | undefined> {
  const [head] = await tx`SELECT id, hash FROM ami_audit_head`;
  const last = walk.previous;
  if (!head) {
    return broken(
      last?.id ?? 0,
      "truncated",
      "the chain head row (ami_audit_head) is gone: the table was altered",
    );
  }
  if (head.hash === null) return undefined; // no chained row written yet
  const recorded = { id: Number(head.id), hash: String(head.hash) };
  if (last && recorded.id === last.id && recorded.hash === last.hash) return undefined;
  if (!last || recorded.id > last.id) {
    return broken(
      recorded.id,
      "truncated",
      `the writers' chain head is ${formatPoint(recorded)} (ami_audit_head), past the last row ` +
        `that holds (${last ? formatPoint(last) : "none"}): rows were deleted from the end`,
    );
  }
  return broken(
    recorded.id,
    "rewritten",
    `the writers' chain head (ami_audit_head) is ${formatPoint(recorded)}, not the last row ` +
      `(${formatPoint(last)}): the head or the rows were altered`,
  );
}
