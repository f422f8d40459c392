/**
 * Checking the audit's hash chain with its key: every chained row must link
 * to the one before it and match its HMAC; legacy rows (from before the
 * chain) must still match the anchor the chain started from; and, given a
 * head recorded earlier, that row must still be there unchanged (which
 * catches a truncated log). Reports the first row that fails and why.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import { canonical, chainHash, ROW_COLUMNS, type SqlRow, toAuditRow } from "./chain.ts";
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
  const select = ROW_COLUMNS.join(", ");
  const anchor = createHmac("sha256", key).update("astrix audit legacy rows\n");
  let anchorDigest: string | undefined;
  let previous: { id: number; hash: string } | undefined;
  for (const raw of db.prepare(`SELECT ${select} FROM ami_audit ORDER BY id`).iterate()) {
    const row = toAuditRow(raw as SqlRow);
    result.rows++;
    const fail = (reason: string) => {
      result.ok = false;
      result.firstBad = { id: row.id, reason };
    };
    if (row.hash === null) {
      if (previous) {
        fail(
          "it has no hash: it was written without the key after the chain began (inserted or altered)",
        );
        break;
      }
      result.legacy++;
      anchor.update(canonical(row) + "\n");
      continue;
    }
    const expectedPrev = previous?.hash ?? (anchorDigest ??= anchor.digest("hex"));
    if (row.prevHash !== expectedPrev) {
      if (previous && row.id !== previous.id + 1) {
        const gap = row.id - previous.id - 1;
        fail(
          gap === 1
            ? `row ${previous.id + 1} before it is missing (deleted)`
            : `rows ${previous.id + 1} to ${row.id - 1} before it are missing (deleted)`,
        );
      } else if (previous) {
        fail(
          `its predecessor (row ${previous.id}) is not the one it was chained to: a row was removed or replaced`,
        );
      } else {
        fail("the legacy rows before the chain were changed, or rows were removed before it");
      }
      break;
    }
    if (chainHash(key, row.prevHash, row) !== row.hash) {
      fail("its content does not match its hash: the row was changed after it was written");
      break;
    }
    previous = { id: row.id, hash: row.hash };
    result.chained++;
  }
  result.head = previous;
  return expectHead(result, options.expectHead, db, columns);
}

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
