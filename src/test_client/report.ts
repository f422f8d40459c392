/**
 * How test-client shows its results: one line per step with ✓/✗, its time
 * and what it saw, a summary, and the troubleshooting to try when AMI cannot
 * be reached or refuses the login.
 *
 * @module
 */

import type { StepResult } from "./steps.ts";

/** Lines for a terminal. */
export function formatReport(title: string, results: StepResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = [title];
  for (const r of results) {
    const ms = r.ms >= 1000 ? `${(r.ms / 1000).toFixed(1)} s` : `${Math.round(r.ms)} ms`;
    lines.push(
      `  ${r.ok ? "✓" : "✗"} ${r.step} ${r.name.padEnd(width)}  ${ms.padStart(7)}  ${r.detail}`,
    );
  }
  const passed = results.filter((r) => r.ok).length;
  const total = results.reduce((sum, r) => sum + r.ms, 0);
  lines.push(
    `${passed}/${results.length} steps passed in ${(total / 1000).toFixed(1)} s` +
      (passed === results.length ? "" : ` (${results.length - passed} failed)`),
  );
  lines.push(...hints(results));
  return lines;
}

/** The same, as one JSON document. */
export function formatJson(target: Record<string, unknown>, results: StepResult[]): string {
  const passed = results.filter((r) => r.ok).length;
  return JSON.stringify(
    {
      target,
      steps: results.map((r) => ({ ...r, ms: Math.round(r.ms) })),
      passed,
      failed: results.length - passed,
      hints: hints(results),
    },
    null,
    2,
  );
}

/** What to try, from the seed's troubleshooting, for the failures seen. */
export function hints(results: StepResult[]): string[] {
  const errors = new Set(results.map((r) => r.error));
  if (errors.has("AmiConnectionError") || errors.has("AmiTimeoutError")) {
    return [
      "AMI could not be reached. Check that:",
      "  - Asterisk runs:                 asterisk -rx 'core show version'",
      "  - AMI is enabled on that address: asterisk -rx 'manager show settings' (enabled=yes, bindaddr, port)",
      "  - no firewall blocks the TCP port between this host and the PBX",
      "  - for the mock, it is started:    astrix mock-ami",
    ];
  }
  if (errors.has("AmiAuthError")) {
    return [
      "The login was refused. Check that:",
      "  - the username and secret match a [user] in /etc/asterisk/manager.conf (manager_custom.conf on Issabel)",
      "  - its permit= lines allow this host's address (and deny= does not exclude it)",
      "  - its read/write classes include call, originate and reporting",
      "  - then reload: asterisk -rx 'manager reload'",
    ];
  }
  return [];
}
