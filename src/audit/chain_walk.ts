/**
 * The chain read row by row, in id order, by `verifyChain`: what holds so
 * far, and why the next row does not. A row is legacy only if it predates
 * the chain: before the chain's start (recorded beside the key, or the first
 * chained row when none is recorded) and without astrix's columns.
 *
 * @module
 */

import type { ChainPoint } from "./anchor.ts";
import { canonicalStored, ChainKey, ROW_COLUMNS, type SqlRow } from "./chain.ts";
import { plural } from "./format.ts";
import { ASTRIX_COLUMNS } from "./tamper.ts";

/**
 * What happened to the first row that fails:
 * - `changed`: its content does not match its hash (or holds a NUL, which hides what follows);
 * - `inserted`: the chain links past it (the ids show it was never part of it);
 * - `deleted`: rows before it are missing;
 * - `unhashed`: it has no hash although the chain had begun, or although astrix wrote it;
 * - `relinked`: it is chained to a row other than the one before it;
 * - `legacy`: the legacy rows are not those the chain was started from;
 * - `start`: the chain does not start where it is recorded to (moved, re-made or gone);
 * - `id`: its id is one astrix never writes (≤ 0, or beyond 2^53 - 1);
 * - `columns`: the hash columns were dropped from the table;
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
  | "start"
  | "id"
  | "columns"
  | "key"
  | "no-key"
  | "truncated"
  | "rewritten";

/** The first row that fails, what happened to it and why. */
export interface Bad {
  id: number;
  kind: BreakKind;
  reason: string;
}

/**
 * A stored row as the walk reads it, an array (read as arrays, rows cost a
 * third of named objects, and their canonical form is one `JSON.stringify`):
 * the {@linkcode CANONICAL_FIELDS} fields of its canonical form in order,
 * then `prev_hash`, `hash`, and whether a text column holds a NUL.
 */
export type WalkRow = unknown[];

/** How many of a {@linkcode WalkRow}'s fields its canonical form covers: `ROW_COLUMNS` but the hashes. */
export const CANONICAL_FIELDS = ROW_COLUMNS.length - 2;

/** The next chained row after an id, if any (the walk asks it only to tell what broke). */
export type NextChained = (id: number) => SqlRow | undefined;

/** SQL of the last chained row, whole (a writer checks its key against it). */
export const LAST_CHAINED_SQL = `SELECT ${ROW_COLUMNS.join(", ")} FROM ami_audit
  WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1`;

/** SQL (one parameter, the id) of {@linkcode NextChained}; `?` placeholder. */
export const NEXT_CHAINED_SQL = `SELECT ${ROW_COLUMNS.join(", ")} FROM ami_audit
  WHERE id > ? AND hash IS NOT NULL ORDER BY id LIMIT 1`;

/** The columns a {@linkcode WalkRow} holds, in order (`nul` computed). */
export const WALK_COLUMNS = [...ROW_COLUMNS, "nul"] as const;

const PREV_HASH = CANONICAL_FIELDS;
const HASH = CANONICAL_FIELDS + 1;
const NUL = CANONICAL_FIELDS + 2;
/** Where {@linkcode ASTRIX_COLUMNS} are in a {@linkcode WalkRow}. */
const ASTRIX_FIELDS = ASTRIX_COLUMNS.map((c) => WALK_COLUMNS.indexOf(c));
const OUTCOME = WALK_COLUMNS.indexOf("outcome");

const CHANGED = "its content does not match its hash: the row was changed after it was written";

/** The walk over one database with one key (or none), from its recorded start (if known). */
export class ChainWalk {
  legacy = 0;
  chained = 0;
  /** The last chained row that holds. */
  previous?: ChainPoint;
  /** The first chained row that holds: where the chain starts. */
  first?: ChainPoint;
  readonly #key?: ChainKey;
  readonly #anchor?: { update(text: string): void; digest(): string };
  readonly #start?: ChainPoint;
  readonly #startSource: string;
  #anchorDigest?: string;
  #lastLegacyId = 0;
  readonly #nextChained: NextChained;

  /**
   * `nextChained`: how to read the next chained row after an id (asked only at a break);
   * `start`: where the chain is recorded to start, and where that record comes from (words).
   */
  constructor(
    nextChained: NextChained,
    key: Uint8Array | undefined,
    start?: { point: ChainPoint; source: string },
  ) {
    if (key) {
      this.#key = new ChainKey(key);
      this.#anchor = this.#key.legacyMac();
    }
    this.#start = start?.point;
    this.#startSource = start?.source ?? "";
    this.#nextChained = nextChained;
  }

  /**
   * Why `row` breaks the chain, or undefined if it holds (and the chain moves
   * on). `row` is cut to its canonical fields.
   */
  check(row: WalkRow): Bad | undefined {
    const id = Number(row[0]);
    const prevHash = row[PREV_HASH] as string | null;
    const hash = row[HASH] as string | null;
    const nul = row[NUL];
    // Before the chain, whether it carries astrix's columns tells a legacy row from a stripped one.
    const astrix = !this.previous &&
      ASTRIX_FIELDS.some((i) => row[i] !== null && row[i] !== undefined) &&
      { outcome: row[OUTCOME] };
    row.length = CANONICAL_FIELDS;
    const bad = (kind: BreakKind, reason: string) => broken(id, kind, reason);
    if (nul) {
      return bad(
        "changed",
        "a text column of it holds a NUL character, which astrix never writes and which hides " +
          "what follows it: the row was changed after it was written",
      );
    }
    if (!this.previous) {
      const start = this.#beforeStart(id, hash, astrix);
      if (start === undefined) this.#legacyRow(id, row);
      if (start !== "chain") return start;
    }
    if (hash === null) {
      return this.#linkedPast(id) ?? bad(
        "unhashed",
        "it has no hash: it was written without the key after the chain began (inserted or altered)",
      );
    }
    if (!this.#key) return bad("no-key", "it is chained, and no key was given to check it with");
    if (!this.previous) return this.#checkFirst(JSON.stringify(row), id, prevHash, hash);
    const previous = this.previous;
    if (prevHash !== previous.hash) {
      const missing = this.#missing(previous.id, id);
      if (missing) return missing;
      return this.#linkedPast(id) ?? bad(
        "relinked",
        `its predecessor (row ${previous.id}) is not the one it was chained to: a row was removed or replaced`,
      );
    }
    if (!this.#key.matches(previous.hash, JSON.stringify(row), hash)) {
      return this.#linkedPast(id) ?? bad("changed", CHANGED);
    }
    this.#hold(id, hash);
    return undefined;
  }

  /** After the last row: a recorded start the walk never reached is gone. */
  end(): Bad | undefined {
    if (!this.#start || this.first) return undefined;
    return this.#startGone();
  }

  /**
   * A row before the chain has begun: legacy (undefined), the chain's first
   * row (`"chain"`), or a break. `astrix`: the row carries astrix's columns.
   */
  #beforeStart(
    id: number,
    hash: string | null,
    astrix: false | { outcome: unknown },
  ): Bad | undefined | "chain" {
    const start = this.#start;
    const bad = (kind: BreakKind, reason: string) => broken(id, kind, reason);
    if (start && id > start.id) return this.#startGone();
    if (start && id === start.id) {
      if (hash === null) return bad("start", `${this.#startRow()} has lost its hash (stripped)`);
      if (hash !== start.hash) {
        return bad("start", `${this.#startRow()} has another hash now: the chain was re-made`);
      }
      return "chain";
    }
    if (hash !== null) {
      return start
        ? bad(
          "start",
          `it carries a hash but comes before the chain's start (row ${start.id}, ` +
            `${this.#startSource}): it was put there`,
        )
        : "chain";
    }
    if (astrix) {
      return bad(
        "unhashed",
        `it has astrix's columns (outcome ${astrix.outcome ?? "NULL"}, ...) and no hash: astrix ` +
          "wrote it with one, which was removed (the hashes were stripped)",
      );
    }
    return undefined;
  }

  /** A legacy row holds: the anchor covers it. */
  #legacyRow(id: number, fields: unknown[]): void {
    this.legacy++;
    this.#lastLegacyId = id;
    this.#anchor?.update(JSON.stringify(fields) + "\n");
  }

  #startRow(): string {
    return `it is where the chain started (${this.#startSource}), and it`;
  }

  #startGone(): Bad {
    const start = this.#start!;
    return broken(
      start.id,
      "start",
      `the chain started at this row (${this.#startSource}), which is gone: the chain was ` +
        "removed or its rows renumbered",
    );
  }

  /** The first chained row: its `prev_hash` must be the anchor, an HMAC under the key. */
  #checkFirst(
    canonical: string,
    id: number,
    prevHash: string | null,
    hash: string,
  ): Bad | undefined {
    const key = this.#key!;
    const bad = (kind: BreakKind, reason: string) => broken(id, kind, reason);
    const anchor = this.#anchorDigest ??= this.#anchor!.digest();
    if (prevHash === anchor) {
      // The anchor matching proves the key: the row itself was changed, or put there.
      if (!key.matches(anchor, canonical, hash)) {
        return this.#linkedPast(id) ?? bad("changed", CHANGED);
      }
      this.#hold(id, hash);
      return undefined;
    }
    if (prevHash !== null && key.matches(prevHash, canonical, hash)) {
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
    const next = this.#nextChained(id);
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
    this.first ??= this.previous;
    this.chained++;
  }

  /** `inserted` if the next chained row after `id` links straight to the chain so far, past it. */
  #linkedPast(id: number): Bad | undefined {
    const next = this.#nextChained(id);
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

/** A break at row `id`. */
export function broken(id: number, kind: BreakKind, reason: string): Bad {
  return { id, kind, reason };
}

/** Does `row`'s hash match its own `prev_hash` and content under `key`? */
export function holds(key: ChainKey, row: SqlRow): boolean {
  return typeof row.prev_hash === "string" && typeof row.hash === "string" &&
    key.matches(row.prev_hash, canonicalStored(row), row.hash);
}
