/**
 * Checking the audit's hash chain with its key: every chained row must link
 * to the one before it and match its HMAC; legacy rows (from before the
 * chain) must still match the anchor the chain started from; and, given a
 * head recorded earlier, that row must still be there unchanged (which
 * catches a truncated log). Reports the first row that fails, what the ids
 * and hashes show happened to it, and why.
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
import { canonicalStored, ChainKey, ROW_COLUMNS, type SqlRow } from "./chain.ts";
import { plural } from "./format.ts";
import { auditColumns } from "./schema.ts";

/**
 * What happened to the first row that fails:
 * - `changed`: its content does not match its hash;
 * - `inserted`: the chain links past it (the ids show it was never part of it);
 * - `deleted`: rows before it are missing;
 * - `unhashed`: it has no hash although the chain had begun, and the ids do not tell why;
 * - `relinked`: it is chained to a row other than the one before it;
 * - `legacy`: the legacy rows are not those the chain was started from;
 * - `key`: the first chained row does not match the key (probably the wrong key);
 * - `no-key`: the database has chained rows and no key was given;
 * - `truncated`, `rewritten`: the recorded head row is gone, or its hash changed.
 */
export type BreakKind =
  | "changed"
  | "inserted"
  | "deleted"
  | "unhashed"
  | "relinked"
  | "legacy"
  | "key"
  | "no-key"
  | "truncated"
  | "rewritten";

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
  firstBad?: { id: number; kind: BreakKind; reason: string };
  /** The last chained row that holds. */
  head?: { id: number; hash: string };
}

/**
 * Verifies the chain of `db` with `key`; with `expectHead`, that row must
 * still be the same. Without a key, only a database with no chained row
 * yet verifies (there is nothing to check with a key); a chained row fails
 * as `no-key`.
 */
export function verifyChain(
  db: DatabaseSync,
  key: Uint8Array | undefined,
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
  const chain = new ChainWalk(db, key);
  const page = db.prepare(
    `SELECT ${ROW_COLUMNS.join(", ")} FROM ami_audit WHERE id > ? ORDER BY id LIMIT ?`,
  );
  // Pages of stored rows, checked as they come (a million rows fit in a few seconds).
  for (let after = 0, more = true; more && !result.firstBad;) {
    const rows = page.all(after, PAGE_ROWS) as SqlRow[];
    more = rows.length === PAGE_ROWS;
    for (const row of rows) {
      after = Number(row.id);
      result.firstBad = chain.check(row);
      if (result.firstBad) break;
    }
  }
  result.ok = !result.firstBad;
  result.legacy = chain.legacy;
  result.chained = chain.chained;
  result.rows = chain.legacy + chain.chained;
  result.head = chain.previous;
  return expectHead(result, options.expectHead, db, columns);
}

const PAGE_ROWS = 5_000;

const CHANGED = "its content does not match its hash: the row was changed after it was written";

type Bad = NonNullable<VerifyResult["firstBad"]>;

/** The chain read row by row, in id order: what holds so far, and why the next row does not. */
class ChainWalk {
  legacy = 0;
  chained = 0;
  /** The last chained row that holds. */
  previous?: { id: number; hash: string };
  readonly #key?: ChainKey;
  readonly #anchor?: { update(text: string): void; digest(): string };
  #anchorDigest?: string;
  #lastLegacyId = 0;
  readonly #nextChained: StatementSync;

  constructor(db: DatabaseSync, key: Uint8Array | undefined) {
    if (key) {
      this.#key = new ChainKey(key);
      this.#anchor = this.#key.legacyMac();
    }
    this.#nextChained = db.prepare(
      `SELECT ${ROW_COLUMNS.join(", ")} FROM ami_audit
         WHERE id > ? AND hash IS NOT NULL ORDER BY id LIMIT 1`,
    );
  }

  /** Why `row` breaks the chain, or undefined if it holds (and the chain moves on). */
  check(row: SqlRow): Bad | undefined {
    const id = Number(row.id);
    const bad = (kind: BreakKind, reason: string) => broken(id, kind, reason);
    const hash = row.hash as string | null;
    if (hash === null) {
      if (!this.previous) {
        this.legacy++;
        this.#lastLegacyId = id;
        this.#anchor?.update(canonicalStored(row) + "\n");
        return undefined;
      }
      return this.#linkedPast(id) ?? bad(
        "unhashed",
        "it has no hash: it was written without the key after the chain began (inserted or altered)",
      );
    }
    if (!this.#key) return bad("no-key", "it is chained, and no key was given to check it with");
    if (!this.previous) return this.#checkFirst(row, id, hash);
    const previous = this.previous;
    if (row.prev_hash !== previous.hash) {
      const missing = this.#missing(previous.id, id);
      if (missing) return missing;
      return this.#linkedPast(id) ?? bad(
        "relinked",
        `its predecessor (row ${previous.id}) is not the one it was chained to: a row was removed or replaced`,
      );
    }
    if (this.#key.hash(previous.hash, canonicalStored(row)) !== hash) {
      return this.#linkedPast(id) ?? bad("changed", CHANGED);
    }
    this.#hold(id, hash);
    return undefined;
  }

  /** The first chained row: its `prev_hash` must be the anchor, an HMAC under the key. */
  #checkFirst(row: SqlRow, id: number, hash: string): Bad | undefined {
    const key = this.#key!;
    const bad = (kind: BreakKind, reason: string) => broken(id, kind, reason);
    const anchor = this.#anchorDigest ??= this.#anchor!.digest();
    const canonical = canonicalStored(row);
    if (row.prev_hash === anchor) {
      // The anchor matching proves the key: the row itself was changed, or put there.
      if (key.hash(anchor, canonical) !== hash) {
        return this.#linkedPast(id) ?? bad("changed", CHANGED);
      }
      this.#hold(id, hash);
      return undefined;
    }
    if (holds(key, row)) {
      // The key is right and the row intact: what came before it is not what it was chained to.
      const missing = this.#missing(this.#lastLegacyId, id);
      if (missing) return missing;
      if (this.legacy === 0) {
        return bad("relinked", "it was chained to earlier rows, which are gone or replaced");
      }
      const legacy = `${plural(this.legacy, "row")}, up to row ${this.#lastLegacyId}`;
      return bad(
        "legacy",
        `the legacy rows before the chain (${legacy}) are not the ones it was chained to: ` +
          "one was changed, removed or added",
      );
    }
    // Not even consistent with its own prev_hash: the next chained row tells a wrong key from a change.
    const next = this.#nextChained.get(id) as SqlRow | undefined;
    if (next && holds(key, next)) return this.#linkedPast(id) ?? bad("changed", CHANGED);
    return bad(
      "key",
      next
        ? `neither it nor the next chained row (row ${next.id}) matches the key: ` +
          "the key is probably not the one the audit was written with"
        : "it does not match the key: the key is probably not the one the audit was written with " +
          "(or the row was changed)",
    );
  }

  #hold(id: number, hash: string): void {
    this.previous = { id, hash };
    this.chained++;
  }

  /** `inserted` if the next chained row after `id` links straight to the chain so far, past it. */
  #linkedPast(id: number): Bad | undefined {
    const next = this.#nextChained.get(id) as SqlRow | undefined;
    const tip = this.previous?.hash ?? this.#anchorDigest;
    if (!next || tip === undefined || next.prev_hash !== tip) return undefined;
    const from = this.previous ? `row ${this.previous.id}` : "its start";
    return broken(
      id,
      "inserted",
      `it was inserted: it is not in the chain, which goes from ${from} straight to row ${next.id}`,
    );
  }

  /** `deleted` if ids are missing between `before` and `id`. */
  #missing(before: number, id: number): Bad | undefined {
    const gap = id - before - 1;
    if (gap <= 0) return undefined;
    return broken(
      id,
      "deleted",
      gap === 1
        ? `row ${before + 1} before it is missing (deleted)`
        : `rows ${before + 1} to ${id - 1} before it are missing (deleted)`,
    );
  }
}

function broken(id: number, kind: BreakKind, reason: string): Bad {
  return { id, kind, reason };
}

/** Does `row`'s hash match its own `prev_hash` and content under `key`? */
function holds(key: ChainKey, row: SqlRow): boolean {
  return typeof row.prev_hash === "string" &&
    key.hash(row.prev_hash, canonicalStored(row)) === row.hash;
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
    result.firstBad = broken(
      expected.id,
      "truncated",
      "the recorded head row is gone: the log was truncated after it was recorded",
    );
  } else if (row.hash !== expected.hash) {
    result.ok = false;
    result.firstBad = broken(
      expected.id,
      "rewritten",
      "the recorded head row's hash changed: the log was rewritten",
    );
  }
  return result;
}
