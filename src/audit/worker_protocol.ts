/**
 * The messages between the proxy's main thread and the audit worker
 * (`audit_worker.ts`), and how an error crosses between them: by name and
 * message, rebuilt on the other side as the audit error class of that name
 * (structured cloning would turn every class into a plain `Error`, and
 * `astrix proxy` tells a startup failure by its class).
 *
 * @module
 */

import type { AuditEntry } from "./chain.ts";
import * as auditErrors from "./errors.ts";

/** What the worker is told at start. */
export interface OpenRequest {
  type: "open";
  path: string;
  keyFile: string;
  busyTimeoutMs?: number;
  /** Least time between two checkpoints while rows are written; 0: after every commit. */
  checkpointIntervalMs: number;
}

/** The main thread's messages. */
export type ToWorker =
  | OpenRequest
  | { type: "append"; batch: number; entries: AuditEntry[] }
  | { type: "close" };

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
}

/** How the last checkpoint went: its error, or how many WAL frames are left to copy. */
export type CheckpointReport =
  | { ok: true; walFrames: number; pending: number }
  | { ok: false; error: string };

/** The worker's messages. */
export type FromWorker =
  | { type: "opened"; file: { dev: number; ino: number } }
  | { type: "open-failed"; error: WireError }
  | { type: "appended"; batch: number }
  | { type: "append-failed"; batch: number; error: WireError }
  | { type: "checkpoint"; report: CheckpointReport }
  | { type: "closed" };

/** The error's name and message, for postMessage. */
export function toWire(error: unknown): WireError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "AuditUnavailableError", message: String(error) };
}

/**
 * The error again: an instance of the audit error class of that name
 * (`AuditUnavailableError` when there is none), with the same message.
 */
export function fromWire(wire: WireError): auditErrors.AuditError {
  const error = new auditErrors.AuditUnavailableError(wire.message);
  const same = Object.values(auditErrors).find((value) =>
    typeof value === "function" && value.name === wire.name &&
    value.prototype instanceof auditErrors.AuditError
  );
  if (same) {
    Object.setPrototypeOf(error, same.prototype);
    error.name = wire.name;
  }
  return error;
}
