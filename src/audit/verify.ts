/**
 * Checking the audit's hash chain with its key: every row the table holds,
 * from the smallest id; every chained row must link to the one before it and
 * match its HMAC; legacy rows (from before the chain, without astrix's
 * columns) must still match the anchor the chain started from; the chain
 * must start where it is recorded to (beside the key, or in a recorded
 * head); and, given a head recorded earlier, that row must still be there
 * unchanged (which catches a truncated log). Reports the first row that
 * fails, what the ids and hashes show happened to it, and why.
 *
 * @example
 * ```ts
 * import { AuditReader, loadKey, verifyChain } from "./mod.ts";
 *
 * const reader = AuditReader.open("ami_audit.db");
 * const result = verifyChain(reader.db, loadKey("ami_audit.db.key", { create: false }));
 * if (!result.ok) console.log(result.firstBad!.kind, result.firstBad!.reason);
 * reader.close();
 * ```
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type ChainPoint, formatPoint } from "./anchor.ts";
import { ROW_COLUMNS, type SqlRow } from "./chain.ts";
import {
  type Bad,
  broken,
  ChainWalk,
  NEXT_CHAINED_SQL,
  type NextChained,
  WALK_COLUMNS,
  type WalkRow,
} from "./chain_walk.ts";
import { auditColumns, schemaVersion } from "./schema.ts";
import { droppedColumns, MAX_ID } from "./tamper.ts";

export type { BreakKind } from "./chain_walk.ts";

/** The outcome of a verification. */
export interface VerifyResult {
  ok: boolean;
  /** Rows read before the first bad one: `legacy + chained`. */
  rows: number;
  /** Rows from before the chain (the seed's), covered by the chain's anchor. */
  legacy: number;
  /** Chained rows that hold. */
  chained: number;
  /** The first row that fails, what happened to it and why. */
  firstBad?: Bad;
  /** The last chained row that holds. */
  head?: ChainPoint;
  /** The first chained row that holds: where the chain starts. */
  start?: ChainPoint;
}

/** A head recorded earlier (`--head`): its row, and where the chain started then. */
export interface RecordedHead extends ChainPoint {
  start?: ChainPoint;
}

/** Options of {@linkcode verifyChain}. */
export interface VerifyOptions {
  /** This row must still be there, unchanged (and the chain start, if it names one). */
  expectHead?: RecordedHead;
  /** Where the chain starts, as recorded beside the key (`anchor.ts`). */
  start?: ChainPoint;
}

/**
 * Verifies the chain of `db` with `key`. Without a key, only a database with
 * no chained row yet verifies (there is nothing to check with a key); a
 * chained row fails as `no-key`.
 */
export function verifyChain(
  db: DatabaseSync,
  key: Uint8Array | undefined,
  options: VerifyOptions = {},
): VerifyResult {
  const columns = auditColumns(db);
  const dropped = droppedColumns(columns, schemaVersion(db));
  let next: StatementSync | undefined; // prepared when first needed: a seed table has no hash
  const walk = startWalk(
    (id) => (next ??= db.prepare(NEXT_CHAINED_SQL)).get(id) as SqlRow | undefined,
    key,
    options,
  );
  const firstBad = dropped.length > 0
    ? droppedBad(dropped)
    : walkRows(db, columns, walk) ?? walk.end() ?? otherStart(walk, options);
  const expected = options.expectHead;
  const stored = expected && columns.has("hash")
    ? db.prepare("SELECT hash FROM ami_audit WHERE id = ?").get(expected.id) as
      | { hash: string | null }
      | undefined
    : undefined;
  return headVerdict(walkResult(walk, firstBad), expected, stored);
}

/** A walk from the chain start the options record (beside the key, or with the head). */
export function startWalk(
  nextChained: NextChained,
  key: Uint8Array | undefined,
  options: VerifyOptions,
): ChainWalk {
  const recorded = options.start ?? options.expectHead?.start;
  const source = options.start ? "as recorded beside the key" : "as recorded with the head";
  return new ChainWalk(nextChained, key, recorded && { point: recorded, source });
}

/** The break of a table whose hash columns were dropped. */
export function droppedBad(dropped: string[]): Bad {
  return broken(
    0,
    "columns",
    `the columns ${dropped.join(", ")} were dropped from ami_audit: the hashes that vouch ` +
      "for the rows are gone",
  );
}

/** The result of a walk that stopped at `firstBad` (or went through). */
export function walkResult(walk: ChainWalk, firstBad: Bad | undefined): VerifyResult {
  const result: VerifyResult = {
    ok: !firstBad,
    rows: walk.legacy + walk.chained,
    legacy: walk.legacy,
    chained: walk.chained,
  };
  if (firstBad) result.firstBad = firstBad;
  if (walk.previous) result.head = walk.previous;
  if (walk.first) result.start = walk.first;
  return result;
}

/** Rows read per query: pages keep memory flat and are faster to read than one long iteration. */
export const PAGE_ROWS = 5_000;

/** Every row through `walk`, from the smallest id; the first break, if any. */
function walkRows(db: DatabaseSync, columns: Set<string>, walk: ChainWalk): Bad | undefined {
  const low = db.prepare("SELECT id FROM ami_audit WHERE id <= 0 ORDER BY id LIMIT 1").get() as
    | { id: number }
    | undefined;
  if (low) return foreignRow(Number(low.id), "below 1");
  const select = ROW_COLUMNS.map((c) => columns.has(c) ? c : `NULL AS ${c}`).join(", ");
  // A NUL hides what follows it from every reader, hashes included: SQLite finds it.
  const nul = ROW_COLUMNS.filter((c) => c !== "id" && c !== "timestamp" && columns.has(c))
    .map((c) => `ifnull(instr(${c}, char(0)), 0)`).join(" + ");
  const page = arrayRows(db.prepare(
    `SELECT ${select}, (${nul}) AS nul FROM ami_audit WHERE id > ? AND id <= ${MAX_ID}
       ORDER BY id LIMIT ${PAGE_ROWS}`,
  ));
  for (let after = 0, more = true; more;) {
    const rows = page(after);
    more = rows.length === PAGE_ROWS;
    for (const row of rows) {
      after = Number(row[0]);
      const bad = walk.check(row);
      if (bad) return bad;
    }
  }
  const high = db.prepare(`SELECT 1 FROM ami_audit WHERE id > ${MAX_ID} LIMIT 1`).get();
  return high ? foreignRow(MAX_ID, "above 2^53 - 1 (the last row before it holds)") : undefined;
}

/**
 * A statement's rows as arrays in its column order: `setReturnArrays` where
 * the runtime's `node:sqlite` has it (Deno, Node ≥ 24), named rows turned
 * into arrays elsewhere.
 */
function arrayRows(statement: StatementSync): (after: number) => WalkRow[] {
  const arrays = statement as StatementSync & { setReturnArrays?(on: boolean): void };
  if (typeof arrays.setReturnArrays === "function") {
    arrays.setReturnArrays(true);
    return (after) => statement.all(after) as unknown as WalkRow[];
  }
  return (after) =>
    (statement.all(after) as Record<string, unknown>[]).map((r) => WALK_COLUMNS.map((c) => r[c]));
}

export function foreignRow(id: number, where: string): Bad {
  return broken(
    id,
    "id",
    `its id is ${where}, which astrix never writes: the row was put there by hand ` +
      "(audit-query lists it as if it were real)",
  );
}

/** The start recorded with the head, when the one beside the key was walked from. */
export function otherStart(walk: ChainWalk, options: VerifyOptions): Bad | undefined {
  const other = options.start && options.expectHead?.start;
  if (!other || !walk.first) return undefined;
  if (other.id === walk.first.id && other.hash === walk.first.hash) return undefined;
  return broken(
    other.id,
    "start",
    `the chain starts at ${formatPoint(walk.first)}, not where the recorded head says ` +
      `(${formatPoint(other)}): the chain was re-made`,
  );
}

/**
 * The result, held against a head recorded earlier: `stored` is that row as the database holds
 * it now (undefined: gone).
 */
export function headVerdict(
  result: VerifyResult,
  expected: ChainPoint | undefined,
  stored: { hash: string | null } | undefined,
): VerifyResult {
  if (!expected || !result.ok) return result;
  if (!stored) {
    result.ok = false;
    result.firstBad = broken(
      expected.id,
      "truncated",
      "the recorded head row is gone: the log was truncated after it was recorded",
    );
  } else if (stored.hash !== expected.hash) {
    result.ok = false;
    result.firstBad = broken(
      expected.id,
      "rewritten",
      "the recorded head row's hash changed: the log was rewritten",
    );
  }
  return result;
}
