/**
 * How the proxy writes its audit: a route awaits its row, and the rows of
 * concurrent requests are committed together (a group commit: one disk sync
 * for all of them, every row durable before its request goes on). A failed
 * write rejects with AuditUnavailableError (the route then answers 503 and
 * sends nothing to the PBX) and is counted.
 *
 * @module
 */

import type { AuditEntry, AuditLog, Outcome } from "../audit/mod.ts";
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

interface Pending {
  entry: AuditEntry;
  outcome: Outcome;
  done: PromiseWithResolvers<void>;
}

/** Writes audit rows for requests, grouping those that arrive together. */
export class AuditTrail {
  readonly #log: AuditLog;
  readonly #metrics?: ProxyMetrics;
  #pending: Pending[] = [];
  #scheduled = false;
  #lastFailed = false;

  constructor(log: AuditLog, metrics?: ProxyMetrics) {
    this.#log = log;
    this.#metrics = metrics;
  }

  /** Resolves once the row is committed; rejects with AuditUnavailableError if it could not be. */
  write(request: RequestContext, entry: TrailEntry): Promise<void> {
    const done = Promise.withResolvers<void>();
    this.#pending.push({
      entry: {
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
      },
      outcome: entry.outcome,
      done,
    });
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After the requests already in this turn of the event loop have queued their rows.
      setTimeout(() => this.#flush(), 0);
    }
    return done.promise;
  }

  /** Can a row be written now? (`/readyz`: the file is there and writable, the last write worked.) */
  get writable(): boolean {
    return !this.#lastFailed && this.#log.writable;
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    try {
      this.#log.appendAll(batch.map((p) => p.entry));
    } catch (error) {
      this.#lastFailed = true;
      this.#metrics?.auditFailures.inc(batch.length);
      for (const p of batch) p.done.reject(error);
      return;
    }
    this.#lastFailed = false;
    for (const p of batch) {
      this.#metrics?.auditWrites.inc({ outcome: p.outcome });
      p.done.resolve();
    }
  }
}
