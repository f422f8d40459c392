/**
 * A SQLite audit file as an {@linkcode AuditSource}: the synchronous
 * {@linkcode AuditReader} and `verifyChain` behind the asynchronous
 * interface both databases share.
 *
 * @module
 */

import type { AuditSource } from "./source.ts";
import { type AuditFilter, AuditReader, type PageOptions, type StatsKey } from "./query.ts";
import { verifyChain, type VerifyOptions } from "./verify.ts";

/** How often `watch` looks for new rows, in ms (SQLite has no notifications across processes). */
const POLL_MS = 200;

/** A SQLite audit file, read-only. */
export class SqliteAuditSource implements AuditSource {
  readonly description: string;
  readonly #reader: AuditReader;

  private constructor(path: string, reader: AuditReader) {
    this.description = path;
    this.#reader = reader;
  }

  /** Opens an existing file read-only; throws AuditFileMissingError if there is none. */
  static open(path: string): SqliteAuditSource {
    return new SqliteAuditSource(path, AuditReader.open(path));
  }

  query(filter: AuditFilter, page?: PageOptions) {
    return Promise.resolve(this.#reader.query(filter, page));
  }

  stats(by: StatsKey, filter?: AuditFilter, options?: { utc?: boolean }) {
    return Promise.resolve(this.#reader.stats(by, filter, options));
  }

  head() {
    return Promise.resolve(this.#reader.head());
  }

  chainStart() {
    return Promise.resolve(this.#reader.chainStart());
  }

  recent(filter: AuditFilter, limit: number) {
    const db = this.#reader.db;
    db.exec("BEGIN");
    try {
      const lastId = this.#reader.lastId();
      const { rows } = this.#reader.query(filter, { limit, order: "desc" });
      return Promise.resolve({ rows: rows.reverse(), lastId });
    } finally {
      db.exec("COMMIT");
    }
  }

  after(id: number, filter?: AuditFilter, limit?: number) {
    return Promise.resolve(this.#reader.after(id, filter, limit));
  }

  verify(key: Uint8Array | undefined, options?: VerifyOptions) {
    return Promise.resolve(verifyChain(this.#reader.db, key, options));
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    const timer = setInterval(onChange, POLL_MS);
    return Promise.resolve(() => Promise.resolve(clearInterval(timer)));
  }

  close(): Promise<void> {
    this.#reader.close();
    return Promise.resolve();
  }
}
