/**
 * The audit worker: a Worker thread that owns the proxy's audit connection,
 * so that a held write lock or a stalled disk blocks this thread and never
 * the proxy's event loop. It opens {@linkcode AuditLog} when told to
 * (answering `opened`, or the open's error), writes each batch it is sent
 * in one transaction (answering once it is committed, or with the error),
 * and checkpoints the WAL after commits (at most once per interval, and
 * again at that pace while checkpoints fail), reporting each result: a
 * checkpoint's error is how a main file that cannot be written shows.
 *
 * Started by `worker_writer.ts` as
 * `new Worker(new URL("./audit_worker.ts", import.meta.url), { type: "module" })`;
 * the binaries include it (`deno compile --include`, a second entrypoint of
 * `bun build --compile`).
 *
 * @module
 */

import { statSync } from "node:fs";
import type { AuditEntry } from "./chain.ts";
import { AuditLog } from "./log.ts";
import {
  type CheckpointReport,
  type FromWorker,
  type OpenRequest,
  toWire,
  type ToWorker,
} from "./worker_protocol.ts";

/** The parts of a worker's global scope used here (Deno and Bun both provide them). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
}

/** Pace of checkpoint retries while they fail, at least (a 0 interval must not spin). */
const RETRY_FLOOR_MS = 250;

const scope = globalThis as unknown as WorkerScope;
let log: AuditLog | undefined;
let intervalMs = 1_000;
let lastCheckpoint = -Infinity;
let timer: ReturnType<typeof setTimeout> | undefined;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "open") open(message);
  else if (message.type === "append") append(message.batch, message.entries);
  else close();
};

function open(request: OpenRequest): void {
  try {
    log = AuditLog.open(request.path, {
      keyFile: request.keyFile,
      busyTimeoutMs: request.busyTimeoutMs,
    });
    intervalMs = request.checkpointIntervalMs;
    const stats = statSync(request.path);
    scope.postMessage({ type: "opened", file: { dev: stats.dev, ino: stats.ino } });
  } catch (error) {
    log?.close();
    log = undefined;
    scope.postMessage({ type: "open-failed", error: toWire(error) });
  }
}

function append(batch: number, entries: AuditEntry[]): void {
  try {
    if (!log) throw new Error("the audit worker has no open database");
    log.appendAll(entries);
  } catch (error) {
    scope.postMessage({ type: "append-failed", batch, error: toWire(error) });
    return;
  }
  scope.postMessage({ type: "appended", batch });
  const wait = lastCheckpoint + intervalMs - performance.now();
  if (wait <= 0) checkpoint();
  else schedule(wait);
}

function schedule(ms: number): void {
  timer ??= setTimeout(() => {
    timer = undefined;
    checkpoint();
  }, ms);
}

function checkpoint(): void {
  if (!log) return;
  clearTimeout(timer);
  timer = undefined;
  lastCheckpoint = performance.now();
  let report: CheckpointReport;
  try {
    const result = log.checkpoint();
    report = {
      ok: true,
      walFrames: result.walFrames,
      pending: result.walFrames - result.checkpointed,
    };
  } catch (error) {
    report = { ok: false, error: (error as Error).message };
    // Tried again without new rows too, so that /readyz sees the fix.
    schedule(Math.max(intervalMs, RETRY_FLOOR_MS));
  }
  scope.postMessage({ type: "checkpoint", report });
}

function close(): void {
  clearTimeout(timer);
  timer = undefined;
  log?.close();
  log = undefined;
  scope.postMessage({ type: "closed" });
}
