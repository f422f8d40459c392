/**
 * Appending to the audit: one row per call, inside `BEGIN IMMEDIATE`, the
 * previous hash read inside the same transaction, so that several processes
 * appending to one file keep one valid chain. Any failure is an
 * {@linkcode AuditUnavailableError}: the caller must not act unaudited.
 *
 * @example
 * ```ts
 * import { AuditLog } from "./log.ts";
 *
 * const audit = AuditLog.open("ami_audit.db", { keyFile: "/etc/astrix/audit.key" });
 * audit.append({ userId: "u17", role: "supervisor", action: "listen", target: "SIP/202-0000000a", outcome: "attempt" });
 * audit.close();
 * ```
 *
 * @module
 */

import { statSync } from "node:fs";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  type ChainPoint,
  readAnchor,
  recordAnchor,
  recordChainStart,
  startRefusal,
  writerKey,
} from "./anchor.ts";
import {
  type AuditEntry,
  type AuditRow,
  canonical,
  ChainKey,
  rowFields,
  type SqlRow,
  toAuditRow,
} from "./chain.ts";
import { holds, LAST_CHAINED_SQL } from "./chain_walk.ts";
import { storedRow } from "./entry.ts";
import { AuditKeyMismatchError, AuditTamperedError, AuditUnavailableError } from "./errors.ts";
import { openForWriting } from "./schema.ts";
import { firstChained, tampering } from "./tamper.ts";

/** Options of {@linkcode AuditLog.open}. */
export interface AuditLogOptions {
  /**
   * The HMAC key file; created (mode 0600) if absent. Beside it,
   * `<key file>.anchor` records where the chain starts (see `anchor.ts`).
   */
  keyFile: string;
  /** How long to wait for another writer's lock, in ms. Default 10,000. */
  busyTimeoutMs?: number;
  /** Time source for entries without a timestamp, in ms since the epoch. */
  now?: () => number;
}

/** What append() wrote: the row's id and hash. */
export interface Appended {
  id: number;
  hash: string;
}

/** An audit database opened for appending. */
export class AuditLog {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #key: ChainKey;
  readonly #now: () => number;
  readonly #lastChained: StatementSync;
  readonly #legacy: StatementSync;
  readonly #insert: StatementSync;
  readonly #seal: StatementSync;
  /** The anchor file, and the chain start it records once the chain has started. */
  readonly #anchorFile: string;
  #start?: ChainPoint;

  /** The file opened (device and inode): a path that names another file now is refused. */
  readonly #file: { dev: number; ino: number };

  private constructor(
    path: string,
    db: DatabaseSync,
    key: Uint8Array,
    options: { now: () => number; anchorFile: string; start?: ChainPoint },
  ) {
    this.path = path;
    this.#anchorFile = options.anchorFile;
    this.#start = options.start;
    const stats = statSync(path);
    this.#file = { dev: stats.dev, ino: stats.ino };
    this.#db = db;
    this.#key = new ChainKey(key);
    this.#now = options.now;
    this.#lastChained = db.prepare(
      "SELECT hash FROM ami_audit WHERE hash IS NOT NULL ORDER BY id DESC LIMIT 1",
    );
    this.#legacy = db.prepare("SELECT * FROM ami_audit WHERE hash IS NULL ORDER BY id");
    this.#insert = db.prepare(
      `INSERT INTO ami_audit (user_id, action, target, job_id, timestamp, role, outcome, status,
         request_id, remote_addr, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#seal = db.prepare("UPDATE ami_audit SET prev_hash = ?, hash = ? WHERE id = ?");
  }

  /**
   * Opens (creating and migrating if needed) the database and its key.
   * A database altered without the key (see `tamper.ts`) is refused with
   * {@linkcode AuditTamperedError}. A chained database whose start is not
   * recorded yet (written by an astrix from before the anchor file) gets its
   * first chained row recorded now: trust on first use.
   */
  static open(path: string, options: AuditLogOptions): AuditLog {
    const { key, anchor, recorded } = writerKey(options.keyFile);
    const db = openForWriting(path, options.busyTimeoutMs);
    try {
      const problem = tampering(db, recorded);
      if (problem) throw new AuditTamperedError(path, problem);
      const last = db.prepare(LAST_CHAINED_SQL).get() as SqlRow | undefined;
      if (last && !holds(new ChainKey(key), last)) {
        throw new AuditKeyMismatchError(path, options.keyFile, Number(last.id));
      }
      const start = recorded ?? firstChained(db);
      if (start && !recorded) recordAnchor(anchor, start);
      return new AuditLog(path, db, key, {
        now: options.now ?? Date.now,
        anchorFile: anchor,
        start,
      });
    } catch (error) {
      db.close();
      if (error instanceof AuditUnavailableError) throw error;
      throw new AuditUnavailableError((error as Error).message, { cause: error });
    }
  }

  /** Writes one row and chains it; throws {@linkcode AuditUnavailableError} if it could not. */
  append(entry: AuditEntry): Appended {
    return this.appendAll([entry])[0];
  }

  /**
   * Writes rows in one transaction (one disk sync for all: a group commit),
   * chained in order. All or none: a failure throws
   * {@linkcode AuditUnavailableError} and nothing of the batch is kept.
   */
  appendAll(entries: readonly AuditEntry[]): Appended[] {
    const rows = entries.map((entry) => this.#row(entry));
    const db = this.#db;
    try {
      // SQLite would go on writing to a deleted or renamed file, and those rows would be lost.
      if (!this.#stillAtPath()) {
        throw new Error("the file was removed or replaced since it was opened: restart the proxy");
      }
      db.exec("BEGIN IMMEDIATE");
      try {
        const last = this.#lastChained.get() as { hash: string } | undefined;
        const starting = !last;
        if (starting) this.#mayStartChain();
        let prevHash = last?.hash ?? this.#key.legacyAnchor(this.#legacyRows());
        const appended: Appended[] = [];
        for (const row of rows) {
          // The INSERT's columns are rowFields' order, without the id SQLite assigns.
          const info = this.#insert.run(...rowFields(row).slice(1));
          row.id = Number(info.lastInsertRowid);
          const hash = this.#key.hash(prevHash, canonical(row));
          this.#seal.run(prevHash, hash, row.id);
          appended.push({ id: row.id, hash });
          prevHash = hash;
        }
        db.exec("COMMIT");
        if (starting) this.#recordStart(appended[0]);
        return appended;
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    } catch (error) {
      if (error instanceof AuditUnavailableError) throw error;
      throw new AuditUnavailableError(
        `Cannot write to the audit database ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /**
   * The chain is about to start (no row has a hash): refused if it had
   * started before (its start is recorded) or if rows astrix wrote lost their
   * hashes, since a chain started on top would vouch for a forged log.
   */
  #mayStartChain(): void {
    const recorded = this.#start ?? readAnchor(this.#anchorFile);
    const problem = startRefusal(tampering(this.#db, recorded), recorded);
    if (problem) throw new AuditTamperedError(this.path, problem);
  }

  /** Records where the chain started, once its first row is committed. */
  #recordStart(start: Appended): void {
    recordChainStart(this.#anchorFile, start, this.path);
    this.#start = start;
  }

  /**
   * Copies the WAL's committed pages into the main file (`PRAGMA wal_checkpoint`, PASSIVE: never
   * waits for readers). Its error is how a main file that cannot be written shows: commits still
   * land in the WAL, which would grow unseen. Throws {@linkcode AuditUnavailableError} naming the
   * file; `walFrames - checkpointed` frames are left in the WAL (readers hold them, or `busy`).
   */
  checkpoint(): { busy: boolean; walFrames: number; checkpointed: number } {
    try {
      const result = this.#db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as {
        busy: number;
        log: number;
        checkpointed: number;
      };
      return {
        busy: result.busy !== 0,
        walFrames: result.log,
        checkpointed: result.checkpointed,
      };
    } catch (error) {
      throw new AuditUnavailableError(
        `Cannot copy the audit's WAL into ${this.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Does the path still name the file that was opened? */
  #stillAtPath(): boolean {
    try {
      const stats = statSync(this.path);
      return stats.dev === this.#file.dev && stats.ino === this.#file.ino;
    } catch {
      return false;
    }
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  *#legacyRows(): Iterable<AuditRow> {
    for (const r of this.#legacy.iterate()) {
      yield toAuditRow(r as Record<string, string | number | null>);
    }
  }

  /** Checks an entry and gives it its stored form (id set at insert). */
  #row(entry: AuditEntry): AuditRow {
    return storedRow(entry, this.#now);
  }
}
