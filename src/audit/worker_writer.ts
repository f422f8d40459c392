/**
 * Appending to the audit from the proxy's main thread without ever blocking
 * it: an {@linkcode AuditWriter} starts the audit worker
 * (`audit_worker.ts`, which owns the SQLite connection) and posts rows to it.
 * Rows that arrive together go in one transaction (a group commit: the rows
 * queued in one turn of the event loop, and all those queued while a batch
 * is being committed, form the next batch); each `append` resolves once its
 * row is committed. It fails closed: an error, a worker that crashed, or no
 * answer within `answerTimeoutMs` rejects with
 * {@linkcode AuditUnavailableError}. A worker that crashes is restarted (it
 * opens the database again); meanwhile {@linkcode AuditWriter.problem} says
 * what is wrong and how to fix it, for `/readyz`.
 *
 * @example
 * ```ts
 * import { AuditWriter } from "./worker_writer.ts";
 *
 * const audit = await AuditWriter.open("ami_audit.db", { keyFile: "audit.key" });
 * await audit.append({ userId: "u17", action: "listen", outcome: "attempt" });
 * await audit.close();
 * ```
 *
 * @module
 */

import {
  type AuditProblem,
  checkpointFailed,
  fileProblem,
  workerStalled,
  writeFailed,
} from "./audit_problems.ts";
import type { AuditEntry } from "./chain.ts";
import { AuditUnavailableError } from "./errors.ts";
import { DEFAULT_BUSY_TIMEOUT_MS } from "./schema.ts";
import {
  type CheckpointReport,
  fromWire,
  type FromWorker,
  type OpenRequest,
} from "./worker_protocol.ts";

export type { AuditProblem } from "./audit_problems.ts";

/** What the writer reports as it happens (the proxy logs and counts them). */
export type AuditWriterEvent =
  | { kind: "checkpoint"; report: CheckpointReport; problem: AuditProblem | null }
  | { kind: "worker-crashed"; error: string }
  | { kind: "worker-restarted" }
  /** Rows committed after their requests were refused for want of an answer. */
  | { kind: "late-commit"; rows: number };

/** Options of {@linkcode AuditWriter.open}. */
export interface AuditWriterOptions {
  /** The HMAC key file; created (mode 0600) if absent. */
  keyFile: string;
  /** How long the worker waits for another writer's lock, in ms. Default 10,000. */
  busyTimeoutMs?: number;
  /** How long a row may wait for its commit before it is refused; default busy timeout + 5 s. */
  answerTimeoutMs?: number;
  /** Least time between two WAL checkpoints, in ms; 0: after every commit. Default 1,000. */
  checkpointIntervalMs?: number;
  /** Timestamp of a row without one, taken when it is queued; default `Date.now`. */
  now?: () => number;
  onEvent?: (event: AuditWriterEvent) => void;
  /** The worker script; default `./audit_worker.ts` (tests give one that misbehaves). */
  workerUrl?: URL;
}

interface Row {
  entry: AuditEntry;
  done: PromiseWithResolvers<void>;
  settled: boolean;
}

/**
 * Where the worker script is: next to this module (Deno, `deno compile
 * --include`), or, in the one bundle `bun build --compile` makes (where
 * `import.meta.url` names the binary at the bundle's root), at its path from
 * the project root, where the build's second entrypoint puts it.
 */
export function auditWorkerUrl(here: string = import.meta.url): URL {
  return here.endsWith("/worker_writer.ts")
    ? new URL("./audit_worker.ts", here)
    : new URL("./src/audit/audit_worker.ts", here);
}

/** The audit, written by its worker thread. */
export class AuditWriter {
  readonly path: string;
  readonly #open: OpenRequest;
  readonly #options: AuditWriterOptions;
  readonly #answerTimeoutMs: number;
  #worker: Worker | undefined;
  #state: "starting" | "open" | "failed" | "closed" = "starting";
  #started = Promise.withResolvers<void>();
  #file = { dev: -1, ino: -1 };
  /** Why the worker is not open, or why the last write or checkpoint failed. */
  #failure: { worker?: AuditProblem; write?: AuditProblem; checkpoint?: AuditProblem } = {};
  #queue: Row[] = [];
  #arrived: Row[] = [];
  #inFlight: { batch: number; rows: Row[]; since: number } | undefined;
  #batches = 0;
  #closed = Promise.withResolvers<void>();

  private constructor(path: string, options: AuditWriterOptions) {
    this.path = path;
    this.#options = options;
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? busyTimeoutMs + 5_000;
    this.#open = {
      type: "open",
      path,
      keyFile: options.keyFile,
      busyTimeoutMs,
      checkpointIntervalMs: options.checkpointIntervalMs ?? 1_000,
    };
  }

  /** Starts the worker and opens the database in it; rejects with the open's own error. */
  static async open(path: string, options: AuditWriterOptions): Promise<AuditWriter> {
    const writer = new AuditWriter(path, options);
    writer.#start();
    try {
      await writer.#started.promise;
    } catch (error) {
      writer.#worker?.terminate();
      throw error;
    }
    return writer;
  }

  /** Resolves once the row is committed; rejects with AuditUnavailableError if it was not. */
  append(entry: AuditEntry): Promise<void> {
    const done = Promise.withResolvers<void>();
    if (this.#state === "closed") {
      done.reject(new AuditUnavailableError(`The audit ${this.path} is closed`));
      return done.promise;
    }
    const row = { entry: { ...entry }, done, settled: false };
    row.entry.timestamp ??= (this.#options.now ?? Date.now)();
    if (this.#arrived.push(row) === 1) {
      // After the requests already in this turn of the event loop have queued their rows.
      setTimeout(() => this.#enqueue(), 0);
    }
    return done.promise;
  }

  /** What keeps rows from being written now, or null (`/readyz`: the audit is ok). */
  get problem(): AuditProblem | null {
    const failure = this.#failure.worker ?? this.#failure.write ?? this.#failure.checkpoint;
    if (failure) return failure;
    if (this.#inFlight && performance.now() - this.#inFlight.since > this.#answerTimeoutMs) {
      return workerStalled(this.path, this.#answerTimeoutMs);
    }
    return fileProblem(this.path, this.#file);
  }

  /** The file, as messages and the startup banner name the audit. */
  get description(): string {
    return this.path;
  }

  /** How many batches were sent to the worker so far: each one is one transaction. */
  get batches(): number {
    return this.#batches;
  }

  /** Stops the worker once it has answered what it was sent; later rows are refused. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const worker = this.#state === "open" ? this.#worker : undefined;
    this.#state = "closed";
    this.#reject([...this.#arrived, ...this.#queue], `The audit ${this.path} is closed`);
    if (worker) {
      worker.postMessage({ type: "close" });
      const timer = setTimeout(() => this.#closed.resolve(), this.#answerTimeoutMs);
      await this.#closed.promise;
      clearTimeout(timer);
    }
    this.#worker?.terminate();
  }

  #start(): void {
    this.#state = "starting";
    this.#started = Promise.withResolvers<void>();
    // Handled: a failed restart is a state, not an unhandled rejection.
    this.#started.promise.catch(() => {});
    const worker = new Worker(this.#options.workerUrl ?? auditWorkerUrl(), { type: "module" });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      if (worker === this.#worker) this.#receive(event.data);
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // Deno would otherwise end the whole process
      if (worker === this.#worker) this.#crashed(event.message || "an uncaught error");
    };
    worker.onmessageerror = () => {
      if (worker === this.#worker) this.#crashed("a message it could not read");
    };
    worker.postMessage(this.#open);
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case "opened":
        this.#file = message.file;
        this.#state = "open";
        this.#failure.worker = undefined;
        this.#started.resolve();
        this.#pump();
        return;
      case "open-failed": {
        const error = fromWire(message.error);
        this.#failed(error, "fix what the error names, then the next request opens it again");
        this.#worker?.terminate();
        this.#worker = undefined;
        this.#started.reject(error);
        return;
      }
      case "appended":
      case "append-failed":
        return this.#answered(message);
      case "checkpoint":
        return this.#checkpointed(message.report);
      case "closed":
        return this.#closed.resolve();
    }
  }

  #answered(
    message: Extract<FromWorker, { type: "appended" } | { type: "append-failed" }>,
  ): void {
    const rows = this.#inFlight?.batch === message.batch ? this.#inFlight.rows : [];
    this.#inFlight = undefined;
    if (message.type === "appended") {
      this.#failure.write = undefined;
      const late = rows.filter((row) => row.settled).length;
      for (const row of rows) this.#settle(row);
      if (late > 0) this.#options.onEvent?.({ kind: "late-commit", rows: late });
    } else {
      const error = fromWire(message.error);
      this.#failure.write = writeFailed(this.path, error.message);
      for (const row of rows) this.#settle(row, error);
    }
    this.#pump();
  }

  #checkpointed(report: CheckpointReport): void {
    this.#failure.checkpoint = report.ok ? undefined : checkpointFailed(this.path, report.error);
    this.#options.onEvent?.({
      kind: "checkpoint",
      report,
      problem: this.#failure.checkpoint ?? null,
    });
  }

  #crashed(error: string): void {
    const wasOpen = this.#state === "open";
    this.#worker?.terminate();
    this.#worker = undefined;
    const rows = this.#inFlight?.rows ?? [];
    this.#inFlight = undefined;
    this.#reject(rows, `The audit worker stopped (${error}): the row may not have been written`);
    this.#options.onEvent?.({ kind: "worker-crashed", error });
    const failure = new AuditUnavailableError(`The audit worker stopped: ${error}`);
    this.#failed(failure, "see the proxy's log; the next request starts it again");
    this.#started.reject(failure);
    // Started again at once if it was working; one that cannot start waits for the next row.
    if (wasOpen) this.#restart();
  }

  #restart(): void {
    this.#start();
    this.#started.promise.then(
      () => this.#options.onEvent?.({ kind: "worker-restarted" }),
      () => {},
    );
  }

  #failed(error: Error, fix: string): void {
    this.#state = "failed";
    this.#failure.worker = { reason: error.message, fix };
    this.#reject(this.#queue, error.message, error);
    this.#queue = [];
  }

  /** The rows of one turn of the event loop join the queue, with their common deadline. */
  #enqueue(): void {
    const rows = this.#arrived;
    this.#arrived = [];
    this.#queue.push(...rows);
    const timer = setTimeout(() => {
      const message = `The audit ${this.path} did not commit the row within ` +
        `${this.#answerTimeoutMs} ms: its disk may be stalled`;
      this.#reject(rows, message);
      this.#queue = this.#queue.filter((row) => !row.settled);
    }, this.#answerTimeoutMs);
    Promise.allSettled(rows.map((row) => row.done.promise)).then(() => clearTimeout(timer));
    if (this.#state === "failed") this.#restart();
    else this.#pump();
  }

  /** Posts every queued row as one batch, unless one is being committed. */
  #pump(): void {
    if (this.#state !== "open" || this.#inFlight || this.#queue.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    const batch = ++this.#batches;
    this.#inFlight = { batch, rows, since: performance.now() };
    this.#worker!.postMessage({ type: "append", batch, entries: rows.map((row) => row.entry) });
  }

  #settle(row: Row, error?: Error): void {
    if (row.settled) return;
    row.settled = true;
    if (error) row.done.reject(error);
    else row.done.resolve();
  }

  #reject(rows: Row[], message: string, error?: Error): void {
    for (const row of rows) this.#settle(row, error ?? new AuditUnavailableError(message));
  }
}
