/**
 * How the proxy writes its audit: a route awaits its row, written by the
 * audit worker off the main thread (`src/audit/worker_writer.ts`: the rows
 * of concurrent requests are committed together, every row durable before
 * its request goes on, and a held lock or a stalled disk delays only the
 * requests that wait for a row). A failed write rejects with
 * AuditUnavailableError (the route then answers 503 and sends nothing to
 * the PBX) and is counted.
 *
 * @module
 */

import type { AuditEntry, Outcome } from "../audit/mod.ts";
import type { AuditProblem } from "../audit/worker_writer.ts";
import type { Principal } from "./auth.ts";
import type { ProxyMetrics } from "./metrics.ts";

/** The request a row belongs to. */
export interface RequestContext {
  requestId: string;
  remoteAddr: string;
  principal: Principal;
}

/** One audit row as a route describes it. */
export interface TrailEntry {
  action: string;
  target?: string | null;
  jobId?: string | null;
  outcome: Outcome;
  status?: number | null;
  detail?: unknown;
}

/** Where the trail's rows go (an {@linkcode AuditWriter}, or a test's stand-in). */
export interface AuditSink {
  /** Resolves once the row is committed; rejects with AuditUnavailableError if it was not. */
  append(entry: AuditEntry): Promise<void>;
  /** What keeps rows from being written now, or null. */
  readonly problem: AuditProblem | null;
}

/** Writes audit rows for requests and counts them. */
export class AuditTrail {
  readonly #sink: AuditSink;
  readonly #metrics?: ProxyMetrics;

  constructor(sink: AuditSink, metrics?: ProxyMetrics) {
    this.#sink = sink;
    this.#metrics = metrics;
  }

  /** Resolves once the row is committed; rejects with AuditUnavailableError if it could not be. */
  async write(request: RequestContext, entry: TrailEntry): Promise<void> {
    try {
      await this.#sink.append({
        userId: request.principal.userId,
        role: request.principal.role,
        action: entry.action,
        target: entry.target ?? null,
        jobId: entry.jobId ?? null,
        outcome: entry.outcome,
        status: entry.status ?? null,
        requestId: request.requestId,
        remoteAddr: request.remoteAddr,
        detail: entry.detail,
      });
    } catch (error) {
      this.#metrics?.auditFailures.inc();
      throw error;
    }
    this.#metrics?.auditWrites.inc({ outcome: entry.outcome });
  }

  /** What keeps rows from being written now (with the fix), or null: `/readyz`. */
  get problem(): AuditProblem | null {
    return this.#sink.problem;
  }
}
