/**
 * The proxy's {@linkcode AuditSink} on PostgreSQL. Rows that arrive
 * together go in one transaction (a group commit: the rows queued in one
 * turn of the event loop, and all those queued while a batch is being
 * committed, form the next batch); each `append` resolves once its row is
 * committed. The database serialises the batches of every proxy on the
 * chain's head (`./log.ts`). No worker thread is needed: the driver's I/O
 * never blocks the event loop, and a batch costs one HMAC per row.
 *
 * It fails closed: a failed batch, or one not committed within
 * `answerTimeoutMs`, rejects each of its rows with
 * {@linkcode AuditUnavailableError}. After a failure `problem` says what is
 * wrong (for `/readyz`) until a write, or a probe every `probeIntervalMs`
 * (a row inserted and rolled back), succeeds again.
 *
 * @module
 */

import { type AuditProblem, databaseWriteFailed } from "../audit_problems.ts";
import type { AuditEntry, AuditRow } from "../chain.ts";
import { AuditUnavailableError } from "../errors.ts";
import type { AuditWriterEvent } from "../worker_writer.ts";
import { PgAuditLog } from "./log.ts";

/** Options of {@linkcode PgAuditWriter.open}. */
export interface PgAuditWriterOptions {
  /** The HMAC key file, the same on every proxy writing to the database. */
  keyFile: string;
  /** How long a batch waits for another proxy's lock on the chain head, in ms. Default 10,000. */
  lockTimeoutMs?: number;
  /** How long a row may wait for its commit before it is refused; default lock timeout + 5 s. */
  answerTimeoutMs?: number;
  /** How often a failed audit is probed until it can be written again, in ms. Default 1,000. */
  probeIntervalMs?: number;
  /** Most rows in one batch. Default 1,000. */
  maxBatch?: number;
  /** Timestamp of a row without one, taken when it is queued; default `Date.now`. */
  now?: () => number;
  onEvent?: (event: AuditWriterEvent) => void;
}

interface Pending {
  row: AuditRow;
  done: PromiseWithResolvers<void>;
  settled: boolean;
}

/** A PostgreSQL audit, written in group commits. */
export class PgAuditWriter {
  readonly description: string;
  readonly #log: PgAuditLog;
  readonly #options: PgAuditWriterOptions;
  readonly #answerTimeoutMs: number;
  #queue: Pending[] = [];
  #scheduled = false;
  #inFlight: Promise<void> | undefined;
  #problem: AuditProblem | null = null;
  #probe: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  #batches = 0;

  private constructor(log: PgAuditLog, options: PgAuditWriterOptions) {
    this.description = log.description;
    this.#log = log;
    this.#options = options;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? (options.lockTimeoutMs ?? 10_000) + 5_000;
  }

  /** Connects, migrates and checks the audit; rejects with the open's own error. */
  static async open(url: string, options: PgAuditWriterOptions): Promise<PgAuditWriter> {
    const log = await PgAuditLog.open(url, options);
    return new PgAuditWriter(log, options);
  }

  /** Resolves once the row is committed; rejects with AuditUnavailableError if it was not. */
  append(entry: AuditEntry): Promise<void> {
    const done = Promise.withResolvers<void>();
    if (this.#closed) {
      done.reject(new AuditUnavailableError(`The audit ${this.description} is closed`));
      return done.promise;
    }
    let row: AuditRow;
    try {
      row = this.#log.row(entry); // stamped now, when queued, if it has no timestamp
    } catch (error) {
      done.reject(error);
      return done.promise;
    }
    this.#queue.push({ row, done, settled: false });
    if (!this.#scheduled && !this.#inFlight) {
      this.#scheduled = true;
      // After the requests already in this turn of the event loop have queued their rows.
      setTimeout(() => {
        this.#scheduled = false;
        this.#pump();
      }, 0);
    }
    return done.promise;
  }

  /** What keeps rows from being written now, or null (`/readyz`: the audit is ok). */
  get problem(): AuditProblem | null {
    return this.#problem;
  }

  /** How many batches were committed or tried: each one is one transaction. */
  get batches(): number {
    return this.#batches;
  }

  /** Waits for the batch in flight, refuses what is queued, and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#probe);
    await this.#inFlight;
    for (const pending of this.#queue.splice(0)) {
      this.#settle(pending, new AuditUnavailableError(`The audit ${this.description} is closed`));
    }
    await this.#log.close();
  }

  /** Commits every queued row (up to maxBatch) as one batch, unless one is in flight. */
  #pump(): void {
    if (this.#inFlight || this.#queue.length === 0 || this.#closed) return;
    const batch = this.#queue.splice(0, this.#options.maxBatch ?? 1_000);
    this.#batches++;
    const timer = setTimeout(() => {
      const late = new AuditUnavailableError(
        `The audit ${this.description} did not commit the row within ${this.#answerTimeoutMs} ` +
          "ms: the database is slow or a lock is held; the row may still be committed",
      );
      for (const pending of batch) this.#settle(pending, late);
    }, this.#answerTimeoutMs);
    this.#inFlight = this.#log.appendRows(batch.map((pending) => pending.row)).then(
      () => {
        const late = batch.filter((pending) => pending.settled).length;
        for (const pending of batch) this.#settle(pending);
        if (late > 0) this.#options.onEvent?.({ kind: "late-commit", rows: late });
        this.#recovered();
      },
      (error: Error) => {
        for (const pending of batch) this.#settle(pending, error);
        this.#failed(error);
      },
    ).finally(() => {
      clearTimeout(timer);
      this.#inFlight = undefined;
      this.#pump();
    });
  }

  #failed(error: Error): void {
    this.#problem = databaseWriteFailed(this.description, error.message);
    if (this.#probe || this.#closed) return;
    this.#probe = setInterval(() => this.#tryHead(), this.#options.probeIntervalMs ?? 1_000);
  }

  #recovered(): void {
    this.#problem = null;
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  /** Could a row be written now? Then the audit is ready again. */
  async #tryHead(): Promise<void> {
    if (this.#inFlight) return;
    if ((await this.#log.writable()) && !this.#inFlight) this.#recovered();
  }

  #settle(pending: Pending, error?: Error): void {
    if (pending.settled) return;
    pending.settled = true;
    if (error) pending.done.reject(error);
    else pending.done.resolve();
  }
}
