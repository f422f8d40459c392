/**
 * An {@linkcode AuditEntry} checked and given its stored form. What is hashed
 * must be exactly what SQLite stores and gives back, so values it would
 * change are refused ({@linkcode AuditValueError}) rather than stored: a NUL
 * (SQLite's text functions and its readers stop there: `bob\0admin` reads as
 * `bob`), a lone surrogate (stored as U+FFFD), a number in a text column (5
 * becomes "5.0"), a fraction or a string where an integer goes.
 *
 * @module
 */

import { type AuditEntry, type AuditRow, OUTCOMES } from "./chain.ts";
import { AuditError, AuditValueError } from "./errors.ts";

/** The stored form of `entry` (its id is set at insert), or why it cannot be stored exactly. */
export function storedRow(entry: AuditEntry, now: () => number): AuditRow {
  if (typeof entry.userId !== "string" || entry.userId === "") {
    throw new AuditError("Cannot audit: userId must be a non-empty string");
  }
  if (typeof entry.action !== "string" || entry.action === "") {
    throw new AuditError("Cannot audit: action must be a non-empty string");
  }
  if (!OUTCOMES.includes(entry.outcome)) {
    throw new AuditError(`Cannot audit: outcome must be one of ${OUTCOMES.join(", ")}`);
  }
  const detail = entry.detail === undefined ? null : detailText(entry.detail);
  return {
    id: 0,
    userId: text("userId", entry.userId)!,
    action: text("action", entry.action)!,
    target: text("target", entry.target),
    jobId: text("jobId", entry.jobId),
    timestamp: integer("timestamp", Math.trunc(entry.timestamp ?? now()))!,
    role: text("role", entry.role),
    outcome: entry.outcome,
    status: integer("status", entry.status),
    requestId: text("requestId", entry.requestId),
    remoteAddr: text("remoteAddr", entry.remoteAddr),
    detail,
    prevHash: null,
    hash: null,
  };
}

function text(field: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw new AuditValueError(field, `is a ${typeof value}, not text`);
  if (value.includes("\0")) throw new AuditValueError(field, "holds a NUL character");
  if (!value.isWellFormed()) {
    throw new AuditValueError(field, "holds a lone surrogate (it is not valid Unicode)");
  }
  return value;
}

function integer(field: string, value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new AuditValueError(field, `is ${String(value)}, not an integer`);
  }
  return value;
}

/** `detail` as JSON text: escapes make any string exact; what JSON cannot hold is refused. */
function detailText(detail: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(detail);
  } catch (error) {
    throw new AuditValueError("detail", `cannot be written as JSON (${(error as Error).message})`);
  }
  if (json === undefined) throw new AuditValueError("detail", "cannot be written as JSON");
  return json;
}
