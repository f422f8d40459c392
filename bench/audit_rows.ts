/**
 * The rows the audit benchmarks write, the same on SQLite and PostgreSQL:
 * a proxy's listen entry (what a writer process appends), and the rows of
 * the 1,000,000-row chain verify reads (varied users, actions, outcomes).
 *
 * @module
 */

import type { AuditRow } from "../src/audit/chain.ts";

/** Writer `name`'s `i`th entry: a supervisor's listen, answered. */
export function listenEntry(name: string, i: number) {
  return {
    userId: name,
    role: "supervisor",
    action: "listen",
    target: `SIP/2${String(i % 100).padStart(2, "0")}-0000000a`,
    jobId: `job-${i}`,
    outcome: "ok" as const,
    status: 202,
    remoteAddr: "10.0.0.9",
    requestId: crypto.randomUUID(),
    detail: { mode: "listen" },
  };
}

/** Row `i` of the big chain, linked to `prevHash` (its own hash still to be computed). */
export function bigRow(i: number, prevHash: string): AuditRow {
  return {
    id: i,
    userId: `user-${i % 500}`,
    action: ["listen", "playback", "control", "hangup"][i % 4],
    target: `SIP/2${String(i % 100).padStart(2, "0")}-${(i >> 3).toString(16).padStart(8, "0")}`,
    jobId: `job-${i >> 1}`,
    timestamp: Date.UTC(2026, 0, 1) + i * 30_000,
    role: ["supervisor", "qa", "admin", "user"][i % 4],
    outcome: (["attempt", "ok", "denied", "error"] as const)[i % 4],
    status: [null, 202, 403, 502][i % 4],
    requestId: `req-${i}`,
    remoteAddr: `10.0.${i % 250}.9`,
    detail: '{"mode":"listen"}',
    prevHash,
    hash: null,
  };
}
