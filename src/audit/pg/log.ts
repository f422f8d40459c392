/**
 * Appending to a PostgreSQL audit: one transaction per batch of rows, which
 * first locks the chain's head row (`ami_audit_head ... FOR UPDATE`), so
 * that every proxy writing to the database appends to one chain, one batch
 * after another, and ids follow each other without gaps. The rows, the new
 * head and a `NOTIFY astrix_audit` (what `audit-query --follow` waits for)
 * commit together; `appendRows` resolves once they are durable. Any failure
 * is an {@linkcode AuditUnavailableError}: the caller must not act
 * unaudited.
 *
 * @example
 * ```ts
 * import { PgAuditLog } from "./log.ts";
 *
 * const audit = await PgAuditLog.open("postgres://astrix@db/astrix", { keyFile: "/etc/astrix/audit.key" });
 * await audit.appendAll([{ userId: "u17", action: "listen", outcome: "attempt" }]);
 * await audit.close();
 * ```
 *
 * @module
 */

import {
  type ChainPoint,
  readAnchor,
  recordAnchor,
  recordChainStart,
  startRefusal,
  writerKey,
} from "../anchor.ts";
import {
  type AuditEntry,
  type AuditRow,
  canonical,
  ChainKey,
  ROW_COLUMNS,
  type SqlRow,
  toAuditRow,
} from "../chain.ts";
import { storedRow } from "../entry.ts";
import { holds, LAST_CHAINED_SQL } from "../chain_walk.ts";
import { AuditKeyMismatchError, AuditTamperedError, AuditUnavailableError } from "../errors.ts";
import { CHECK_POSTGRES } from "./advice.ts";
import type { Appended } from "../log.ts";
import { judgeTampering, missingColumns } from "../tamper.ts";
import { connect, describeUrl, type Queries, type Sql } from "./connect.ts";
import { pgChainFacts, pgFirstChained } from "./facts.ts";
import { migratePg, pgAuditColumns } from "./schema.ts";

/** The channel every commit notifies, with the last id written as its payload. */
export const AUDIT_CHANNEL = "astrix_audit";

/** Rows per INSERT statement (14 parameters each, under PostgreSQL's 65,535). */
export const INSERT_ROWS = 2_000;

/** Options of {@linkcode PgAuditLog.open}. */
export interface PgAuditLogOptions {
  /** The HMAC key file, shared by every proxy writing to the database; created if absent. */
  keyFile: string;
  /** How long a batch waits for another writer's lock on the head, in ms. Default 10,000. */
  lockTimeoutMs?: number;
  /** Time source for entries without a timestamp, in ms since the epoch. */
  now?: () => number;
}

/** A PostgreSQL audit opened for appending. */
export class PgAuditLog {
  /** The database, its password masked. */
  readonly description: string;
  readonly #sql: Sql;
  readonly #key: ChainKey;
  readonly #now: () => number;
  readonly #anchorFile: string;
  #start?: ChainPoint;

  private constructor(
    description: string,
    sql: Sql,
    key: Uint8Array,
    options: { now: () => number; anchorFile: string; start?: ChainPoint },
  ) {
    this.description = description;
    this.#sql = sql;
    this.#key = new ChainKey(key);
    this.#now = options.now;
    this.#anchorFile = options.anchorFile;
    this.#start = options.start;
  }

  /**
   * Connects, migrates, and checks the audit as SQLite's is checked
   * (`../tamper.ts`): an audit altered without the key is refused with
   * {@linkcode AuditTamperedError}; a chain whose start is not recorded
   * beside this key yet (another proxy started it) is recorded now.
   */
  static async open(url: string, options: PgAuditLogOptions): Promise<PgAuditLog> {
    const description = describeUrl(url);
    const { key, anchor, recorded } = writerKey(options.keyFile);
    const sql = connect(url, { lockTimeoutMs: options.lockTimeoutMs });
    try {
      await migratePg(sql);
      const dropped = missingColumns(await pgAuditColumns(sql));
      if (dropped.length > 0) {
        throw new AuditTamperedError(description, `its columns ${dropped.join(", ")} were dropped`);
      }
      const facts = await pgChainFacts(sql, recorded);
      const problem = judgeTampering(facts, recorded);
      if (problem) throw new AuditTamperedError(description, problem);
      const [last] = await sql.unsafe(LAST_CHAINED_SQL);
      if (last && !holds(new ChainKey(key), last as unknown as SqlRow)) {
        throw new AuditKeyMismatchError(description, options.keyFile, Number(last.id));
      }
      const start = recorded ?? facts.first;
      if (start && !recorded) recordAnchor(anchor, start);
      return new PgAuditLog(description, sql, key, {
        now: options.now ?? Date.now,
        anchorFile: anchor,
        start,
      });
    } catch (error) {
      await sql.end({ timeout: 1 });
      if (error instanceof AuditUnavailableError) throw error;
      throw new AuditUnavailableError(
        `Cannot open the audit database ${description}: ${(error as Error).message}. ` +
          CHECK_POSTGRES,
        { cause: error },
      );
    }
  }

  /** Checks entries and writes them in one transaction (see {@linkcode appendRows}). */
  appendAll(entries: readonly AuditEntry[]): Promise<Appended[]> {
    return this.appendRows(entries.map((entry) => this.row(entry)));
  }

  /** Checks an entry and gives it its stored form: throws AuditValueError for what cannot be. */
  row(entry: AuditEntry): AuditRow {
    return storedRow(entry, this.#now);
  }

  /**
   * Writes rows (from {@linkcode row}) in one transaction, chained in order
   * after the head: all or none. Resolves once committed; rejects with
   * {@linkcode AuditUnavailableError} (or AuditTamperedError) otherwise.
   */
  async appendRows(rows: readonly AuditRow[]): Promise<Appended[]> {
    let starting = false;
    let appended: Appended[];
    try {
      appended = await this.#sql.begin(async (tx) => {
        const [head] = await tx`SELECT id, hash FROM ami_audit_head FOR UPDATE`;
        if (!head) throw new AuditTamperedError(this.description, "its chain head row is gone");
        starting = head.hash === null;
        if (starting) await this.#mayStartChain(tx);
        let prevHash: string = head.hash ?? this.#key.legacyAnchor(await legacyRows(tx));
        let id = Number(head.id);
        const stored: SqlRow[] = [];
        const written: Appended[] = [];
        for (const row of rows) {
          const sealed = { ...row, id: ++id, prevHash };
          sealed.hash = this.#key.hash(prevHash, canonical(sealed));
          stored.push(sqlRow(sealed));
          written.push({ id, hash: sealed.hash });
          prevHash = sealed.hash;
        }
        // One INSERT per chunk: a statement holds at most 65,535 parameters (14 per row).
        for (let from = 0; from < stored.length; from += INSERT_ROWS) {
          const chunk = stored.slice(from, from + INSERT_ROWS);
          await tx`INSERT INTO ami_audit ${tx(chunk, ...ROW_COLUMNS)}`;
        }
        await tx`UPDATE ami_audit_head SET id = ${id}, hash = ${prevHash}`;
        await tx`SELECT pg_notify(${AUDIT_CHANNEL}, ${String(id)})`;
        return written;
      });
    } catch (error) {
      if (error instanceof AuditUnavailableError) throw error;
      throw new AuditUnavailableError(
        `Cannot write to the audit database ${this.description}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (starting) this.#recordStart(appended[0]);
    else if (!this.#start) await this.#adoptStart();
    return appended;
  }

  /**
   * Could a row be written now? A row is inserted after the locked head and
   * rolled back (so nothing stays, and ids are untouched): the server, the
   * lock (2 s at most), the grants and whatever refuses inserts all answer.
   */
  async writable(): Promise<boolean> {
    const rolledBack = new Error("probe rolled back");
    try {
      await this.#sql.begin(async (tx) => {
        await tx`SET LOCAL lock_timeout = 2000`;
        const [head] = await tx`SELECT id FROM ami_audit_head FOR UPDATE`;
        await tx`INSERT INTO ami_audit (id, user_id, action, timestamp, outcome)
          VALUES (${Number(head.id) + 1}, 'astrix-probe', 'probe', ${this.#now()}, 'attempt')`;
        throw rolledBack;
      });
    } catch (error) {
      return error === rolledBack;
    }
    return false;
  }

  /** Closes the connection once the batch in flight (if any) has committed. */
  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }

  /**
   * The chain is about to start: refused if it had started before (its start
   * is recorded) or if rows lost their hashes (see SQLite's `#mayStartChain`).
   */
  async #mayStartChain(tx: Queries): Promise<void> {
    const recorded = this.#start ?? readAnchor(this.#anchorFile);
    const problem = startRefusal(
      judgeTampering(await pgChainFacts(tx, recorded), recorded),
      recorded,
    );
    if (problem) throw new AuditTamperedError(this.description, problem);
  }

  /** Records where the chain started, once its first row is committed. */
  #recordStart(start: Appended): void {
    recordChainStart(this.#anchorFile, start, this.description);
    this.#start = start;
  }

  /** Another proxy started the chain after this one opened: its start is recorded here too. */
  async #adoptStart(): Promise<void> {
    const start = await pgFirstChained(this.#sql);
    if (start) this.#recordStart(start);
  }
}

/** The rows from before the chain (copied from a seed's SQLite audit), in id order. */
async function legacyRows(tx: Queries): Promise<AuditRow[]> {
  const rows = await tx.unsafe(
    `SELECT ${ROW_COLUMNS.join(", ")} FROM ami_audit WHERE hash IS NULL ORDER BY id`,
  );
  return rows.map((r) => toAuditRow(r as unknown as SqlRow));
}

/** A row as its columns, for INSERT. */
export function sqlRow(row: AuditRow): SqlRow {
  return {
    id: row.id,
    user_id: row.userId,
    action: row.action,
    target: row.target,
    job_id: row.jobId,
    timestamp: row.timestamp,
    role: row.role,
    outcome: row.outcome,
    status: row.status,
    request_id: row.requestId,
    remote_addr: row.remoteAddr,
    detail: row.detail,
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}
