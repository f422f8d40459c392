/**
 * The checks the proxy runs on an audit database before writing to it
 * (a few indexed or single-pass queries, at startup and when the chain
 * starts): a database altered by someone without the key is refused rather
 * than written on top of, since a new chain started on a forged log would
 * make it look valid. `verify` checks every row in depth; these catch what
 * appending would otherwise bury: the chain start moved or missing, hashes
 * stripped, hash columns dropped, ids astrix never writes.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { type ChainPoint, formatPoint } from "./anchor.ts";
import { ROW_COLUMNS } from "./chain.ts";

/** Migration 001's columns: the seed's table. */
const SEED_COLUMNS = new Set<string>(["id", "user_id", "action", "target", "job_id", "timestamp"]);

/**
 * Migration 002's columns but `hash`, which only astrix writes (every row it writes has
 * an `outcome`): a legacy row, from before the chain, has them all NULL.
 */
export const ASTRIX_COLUMNS = ROW_COLUMNS.filter((c) => !SEED_COLUMNS.has(c) && c !== "hash");

/** SQL: does a row carry any of {@linkcode ASTRIX_COLUMNS}? */
export const CARRIES_ASTRIX_COLUMNS = ASTRIX_COLUMNS.map((c) => `${c} IS NOT NULL`).join(" OR ");

/** The largest id astrix writes (and JavaScript reads exactly). */
export const MAX_ID = Number.MAX_SAFE_INTEGER;

const ANOTHER_DATABASE =
  " (or the key file is another audit database's: one key anchors one chain, so give each " +
  "database its own key, or share the database too)";

/** The first id ≤ 0 or above {@linkcode MAX_ID}, as text (it may not fit a number), if any. */
export function foreignId(db: DatabaseSync): string | undefined {
  const row = db.prepare(
    `SELECT CAST(id AS TEXT) AS id FROM ami_audit WHERE id <= 0 OR id > ${MAX_ID} ORDER BY id LIMIT 1`,
  ).get() as { id: string } | undefined;
  return row?.id;
}

/** Columns of {@linkcode ROW_COLUMNS} missing from a table that has been through migration 2. */
export function droppedColumns(columns: Set<string>, version: number): string[] {
  const migrated = version >= 2 || ASTRIX_COLUMNS.some((c) => columns.has(c)) ||
    columns.has("hash");
  return migrated ? missingColumns(columns) : [];
}

/** Columns of {@linkcode ROW_COLUMNS} a table lacks (PostgreSQL's has them all from the start). */
export function missingColumns(columns: Set<string>): string[] {
  return ROW_COLUMNS.filter((c) => !columns.has(c));
}

/** The first chained row, where the chain starts (undefined before it has). */
export function firstChained(db: DatabaseSync): ChainPoint | undefined {
  const row = db.prepare(
    "SELECT id, hash FROM ami_audit WHERE hash IS NOT NULL ORDER BY id LIMIT 1",
  ).get() as { id: number; hash: string } | undefined;
  return row ? { id: Number(row.id), hash: String(row.hash) } : undefined;
}

/** What the tampering checks read from an audit (each database reads them its own way). */
export interface ChainFacts {
  /** The first id ≤ 0 or above {@linkcode MAX_ID}, as text. */
  foreign?: string;
  /** The first chained row. */
  first?: ChainPoint;
  /** The row at the recorded chain start (undefined: gone). */
  atRecorded?: { hash: string | null };
  /**
   * The first row without a hash after the chain's start (recorded, else first), or carrying
   * astrix's columns: {@linkcode UNHASHED_SQL} with the start's id (or MAX_ID) as its parameter.
   */
  unhashed?: { id: number; outcome: string | null };
}

/** SQL (one parameter, the chain start's id) of {@linkcode ChainFacts.unhashed}; `?` placeholder. */
export const UNHASHED_SQL =
  `SELECT id, outcome FROM ami_audit WHERE hash IS NULL AND (id > ? OR ${CARRIES_ASTRIX_COLUMNS})
     ORDER BY id LIMIT 1`;

/** {@linkcode ChainFacts} of a SQLite audit. */
function sqliteFacts(db: DatabaseSync, recorded: ChainPoint | undefined): ChainFacts {
  const first = firstChained(db);
  const atRecorded = recorded &&
    db.prepare("SELECT hash FROM ami_audit WHERE id = ?").get(recorded.id) as
      | { hash: string | null }
      | undefined;
  const unhashed = db.prepare(UNHASHED_SQL).get((recorded ?? first)?.id ?? MAX_ID) as
    | { id: number; outcome: string | null }
    | undefined;
  return { foreign: foreignId(db), first, atRecorded, unhashed };
}

/**
 * What shows that the (migrated) database was altered without the key,
 * given the chain start recorded beside the key, in words; undefined if
 * nothing does.
 */
export function tampering(db: DatabaseSync, recorded: ChainPoint | undefined): string | undefined {
  return judgeTampering(sqliteFacts(db, recorded), recorded);
}

/** {@linkcode tampering}'s verdict from the facts, for any database. */
export function judgeTampering(
  facts: ChainFacts,
  recorded: ChainPoint | undefined,
): string | undefined {
  const { foreign, first, atRecorded, unhashed } = facts;
  if (foreign !== undefined) {
    return `it holds a row with id ${foreign}, and astrix writes ids from 1 to 2^53 - 1 only`;
  }
  if (recorded) {
    const where = `row ${recorded.id}, where the chain started (${formatPoint(recorded)}, ` +
      "recorded beside the key),";
    if (!atRecorded) return `${where} is gone${ANOTHER_DATABASE}`;
    if (atRecorded.hash === null) return `${where} has lost its hash (the hashes were stripped)`;
    if (atRecorded.hash !== recorded.hash) {
      return `${where} has another hash now (the chain was re-made)${ANOTHER_DATABASE}`;
    }
    if (first && first.id < recorded.id) {
      return `row ${first.id} carries a hash but comes before the chain's start, row ${recorded.id}`;
    }
  }
  const start = recorded ?? first;
  if (!unhashed) return undefined;
  const id = Number(unhashed.id);
  return start && id > start.id
    ? `row ${id} has no hash, though the chain had started (row ${start.id}): ` +
      "its hash was removed, or it was inserted"
    : `row ${id} carries astrix's columns (outcome ${unhashed.outcome ?? "NULL"}, ...) ` +
      "without a hash: astrix wrote it with one, which was removed (the hashes were stripped)";
}
