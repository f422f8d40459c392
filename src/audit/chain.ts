/**
 * The audit rows and their hash chain: `hash = HMAC-SHA256(key, prev_hash +
 * canonical(row))`, the canonical form being the JSON array of the row's
 * fields in a fixed order. The first chained row's `prev_hash` is an HMAC of
 * every legacy row (written before the chain existed), so those cannot be
 * altered unnoticed either once the chain has started.
 *
 * @module
 */

import { Sha256, SHA256_BLOCK, toHex } from "./sha256.ts";

/** Character codes of the lowercase hex digits. */
const HEX_DIGITS = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** How an audited request ended: `attempt` is written before the PBX is asked. */
export const OUTCOMES = ["attempt", "ok", "denied", "error"] as const;
export type Outcome = typeof OUTCOMES[number];

/** What the proxy records about one request. */
export interface AuditEntry {
  userId: string;
  action: string;
  target?: string | null;
  jobId?: string | null;
  /** Milliseconds since the epoch; default now. */
  timestamp?: number;
  role?: string | null;
  outcome: Outcome;
  /** HTTP status of the answer, when there is one. */
  status?: number | null;
  requestId?: string | null;
  remoteAddr?: string | null;
  /** Anything else worth keeping, stored as JSON text. */
  detail?: unknown;
}

/** A stored row. Legacy rows (from before the chain) have nulls after `timestamp`. */
export interface AuditRow {
  id: number;
  userId: string;
  action: string;
  target: string | null;
  jobId: string | null;
  timestamp: number;
  role: string | null;
  outcome: Outcome | null;
  status: number | null;
  requestId: string | null;
  remoteAddr: string | null;
  /** JSON text. */
  detail: string | null;
  prevHash: string | null;
  hash: string | null;
}

/** The columns of a row, in table order (for SELECT and the canonical form). */
export const ROW_COLUMNS = [
  "id",
  "user_id",
  "action",
  "target",
  "job_id",
  "timestamp",
  "role",
  "outcome",
  "status",
  "request_id",
  "remote_addr",
  "detail",
  "prev_hash",
  "hash",
] as const;

/** A row as SQLite returns it (column names). */
export type SqlRow = Record<(typeof ROW_COLUMNS)[number], string | number | null>;

/** Maps a SQLite row to an {@linkcode AuditRow}; columns an old database lacks are null. */
export function toAuditRow(r: Partial<SqlRow>): AuditRow {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: Number(r.id),
    userId: String(r.user_id),
    action: String(r.action),
    target: text(r.target),
    jobId: text(r.job_id),
    timestamp: Number(r.timestamp),
    role: text(r.role),
    outcome: text(r.outcome) as Outcome | null,
    status: num(r.status),
    requestId: text(r.request_id),
    remoteAddr: text(r.remote_addr),
    detail: text(r.detail),
    prevHash: text(r.prev_hash),
    hash: text(r.hash),
  };
}

/** Every field of a row but the hashes, in table order (`id` first). */
export function rowFields(row: AuditRow): (string | number | null)[] {
  return [
    row.id,
    row.userId,
    row.action,
    row.target,
    row.jobId,
    row.timestamp,
    row.role,
    row.outcome,
    row.status,
    row.requestId,
    row.remoteAddr,
    row.detail,
  ];
}

/** The canonical encoding the HMAC covers: {@linkcode rowFields} as a JSON array. */
export function canonical(row: AuditRow): string {
  return JSON.stringify(rowFields(row));
}

/**
 * {@linkcode canonical} straight from a stored row (verify reads a million of
 * them): SQLite gives the same types, so the same text.
 */
export function canonicalStored(r: SqlRow): string {
  return JSON.stringify([
    r.id,
    r.user_id,
    r.action,
    r.target,
    r.job_id,
    r.timestamp,
    r.role,
    r.outcome,
    r.status,
    r.request_id,
    r.remote_addr,
    r.detail,
  ]);
}

/**
 * An HMAC-SHA256 key (RFC 2104) with its padded inner and outer hash states
 * computed once, so that each row costs its own bytes and one block more:
 * verifying a million rows is dominated by this (see {@linkcode Sha256}).
 */
export class ChainKey {
  readonly #inner: { state: Int32Array; length: number };
  readonly #outer: { state: Int32Array; length: number };
  readonly #work = new Sha256();
  readonly #digest = new Uint8Array(32);

  constructor(key: Uint8Array) {
    const block = new Uint8Array(SHA256_BLOCK);
    block.set(
      key.length > SHA256_BLOCK ? new Sha256().update(key).digestInto(new Uint8Array(32)) : key,
    );
    this.#inner = new Sha256().update(block.map((b) => b ^ 0x36)).state();
    this.#outer = new Sha256().update(block.map((b) => b ^ 0x5c)).state();
  }

  /** An incremental HMAC under this key. */
  mac(): { update(text: string): void; digest(): string } {
    const inner = new Sha256().reset(this.#inner);
    return {
      update: (text) => void inner.update(text),
      digest: () =>
        new Sha256().reset(this.#outer).update(inner.digestInto(new Uint8Array(32))).hex(),
    };
  }

  /** The hash of a chained row, from its predecessor's hash and its canonical form. */
  hash(prevHash: string, canonicalRow: string): string {
    return toHex(this.#mac(prevHash, canonicalRow));
  }

  /** Is `hash` (hex) the hash of that row? (What verify asks a million times: no hex is built.) */
  matches(prevHash: string, canonicalRow: string, hash: string): boolean {
    const digest = this.#mac(prevHash, canonicalRow);
    if (hash.length !== 64) return false;
    for (let i = 0; i < 32; i++) {
      if (HEX_DIGITS[digest[i] >> 4] !== hash.charCodeAt(2 * i)) return false;
      if (HEX_DIGITS[digest[i] & 15] !== hash.charCodeAt(2 * i + 1)) return false;
    }
    return true;
  }

  /** HMAC(key, prevHash + canonicalRow), in a buffer reused by the next call. */
  #mac(prevHash: string, canonicalRow: string): Uint8Array {
    const sha = this.#work.reset(this.#inner);
    sha.update(prevHash + canonicalRow).digestInto(this.#digest); // one UTF-8 encoding
    return sha.reset(this.#outer).update(this.#digest).digestInto(this.#digest);
  }

  /** The `prev_hash` of the first chained row: an HMAC over every legacy row, in id order. */
  legacyAnchor(legacyRows: Iterable<AuditRow>): string {
    const mac = this.legacyMac();
    for (const row of legacyRows) mac.update(canonical(row) + "\n");
    return mac.digest();
  }

  /** The incremental form of {@linkcode legacyAnchor}: feed it `canonical(row) + "\n"` per row. */
  legacyMac(): { update(text: string): void; digest(): string } {
    const mac = this.mac();
    mac.update("astrix audit legacy rows\n");
    return mac;
  }
}
