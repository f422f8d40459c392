/**
 * Checking the audit's hash chain with its key: every chained row must link
 * to the one before it and match its HMAC; legacy rows (from before the
 * chain) must still match the anchor the chain started from; and, given a
 * head recorded earlier, that row must still be there unchanged (which
 * catches a truncated log). Reports the first row that fails and why.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { canonicalStored, ChainKey, ROW_COLUMNS, type SqlRow } from "./chain.ts";
import { auditColumns } from "./schema.ts";

/** The outcome of a verification. */
export interface VerifyResult {
  ok: boolean;
  /** Rows read. */
  rows: number;
  /** Rows from before the chain (the seed's), covered by the chain's anchor. */
  legacy: number;
  chained: number;
  /** The first row that fails, and why. */
  firstBad?: { id: number; reason: string };
  /** The last chained row. */
  head?: { id: number; hash: string };
}

/** Verifies the chain of `db` with `key`; with `expectHead`, that row must still be the same. */
export function verifyChain(
  db: DatabaseSync,
  key: Uint8Array,
  options: { expectHead?: { id: number; hash: string } } = {},
): VerifyResult {
  const result: VerifyResult = { ok: true, rows: 0, legacy: 0, chained: 0 };
  const columns = auditColumns(db);
  if (!columns.has("hash")) {
    // A seed database never opened by astrix: no chain yet, every row is legacy.
    result.rows = result.legacy = Number(
      (db.prepare("SELECT count(*) AS n FROM ami_audit").get() as { n: number }).n,
    );
    return expectHead(result, options.expectHead, db, columns);
  }
  const page = db.prepare(
    `SELECT ${ROW_COLUMNS.join(", ")} FROM ami_audit WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const chainKey = new ChainKey(key);
  const anchor = chainKey.legacyMac();
  let anchorDigest: string | undefined;
  let previous: { id: number; hash: string } | undefined;
  // Pages of stored rows, checked as they come (a million rows fit in a few seconds).
  for (let after = 0, more = true; more && result.ok;) {
    const rows = page.all(after, PAGE_ROWS) as SqlRow[];
    more = rows.length === PAGE_ROWS;
    for (const row of rows) {
      const id = Number(row.id);
      after = id;
      result.rows++;
      const reason = check(row, id);
      if (reason) {
        result.ok = false;
        result.firstBad = { id, reason };
        break;
      }
    }
  }

  /** Why `row` breaks the chain, or undefined if it holds (and the chain moves on). */
  function check(row: SqlRow, id: number): string | undefined {
    const hash = row.hash as string | null;
    if (hash === null) {
      if (previous) {
        return "it has no hash: it was written without the key after the chain began (inserted or altered)";
      }
      result.legacy++;
      anchor.update(canonicalStored(row) + "\n");
      return undefined;
    }
    const expectedPrev = previous?.hash ?? (anchorDigest ??= anchor.digest());
    if (row.prev_hash !== expectedPrev) {
      if (!previous) {
        return "the legacy rows before the chain were changed, or rows were removed before it";
      }
      const gap = id - previous.id - 1;
      if (gap === 1) return `row ${previous.id + 1} before it is missing (deleted)`;
      if (gap > 1) return `rows ${previous.id + 1} to ${id - 1} before it are missing (deleted)`;
      return `its predecessor (row ${previous.id}) is not the one it was chained to: a row was removed or replaced`;
    }
    if (chainKey.hash(expectedPrev, canonicalStored(row)) !== hash) {
      return "its content does not match its hash: the row was changed after it was written";
    }
    previous = { id, hash };
    result.chained++;
    return undefined;
  }
  result.head = previous;
  return expectHead(result, options.expectHead, db, columns);
}

const PAGE_ROWS = 5_000;

function expectHead(
  result: VerifyResult,
  expected: { id: number; hash: string } | undefined,
  db: DatabaseSync,
  columns: Set<string>,
): VerifyResult {
  if (!expected || !result.ok) return result;
  const row = columns.has("hash")
    ? db.prepare("SELECT hash FROM ami_audit WHERE id = ?").get(expected.id) as {
      hash: string | null;
    } | undefined
    : undefined;
  if (!row) {
    result.ok = false;
    result.firstBad = {
      id: expected.id,
      reason: "the recorded head row is gone: the log was truncated after it was recorded",
    };
  } else if (row.hash !== expected.hash) {
    result.ok = false;
    result.firstBad = {
      id: expected.id,
      reason: "the recorded head row's hash changed: the log was rewritten",
    };
  }
  return result;
}
