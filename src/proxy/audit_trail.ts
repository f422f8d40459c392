/**
 * How the proxy writes its audit: one call per row, with the caller and the
 * request filled in. A failed write throws AuditUnavailableError (the route
 * then answers 503 and sends nothing to the PBX) and is counted.
 *
 * @module
 */

import type { AuditLog, Outcome } from "../audit/mod.ts";
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

/** Writes audit rows for requests. */
export class AuditTrail {
  readonly #log: AuditLog;
  readonly #metrics?: ProxyMetrics;

  constructor(log: AuditLog, metrics?: ProxyMetrics) {
    this.#log = log;
    this.#metrics = metrics;
  }

  /** Writes one row; throws AuditUnavailableError if it could not. */
  write(request: RequestContext, entry: TrailEntry): void {
    try {
      this.#log.append({
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

  /** Can a row be written now? (`/readyz`.) */
  get writable(): boolean {
    return this.#log.writable;
  }
}
