/**
 * How test-client shows its results: one line per step with ✓/✗, its time
 * and what it saw, a summary, each channel it could not hang up, and the
 * troubleshooting to try: when AMI cannot be reached, refuses the login, or
 * answers "Permission denied" (with the manager.conf class each refused
 * action needs).
 *
 * @module
 */

import { permissionFix } from "./permissions.ts";
import type { TestClientRun } from "./steps.ts";

/** Lines for a terminal. */
export function formatReport(title: string, run: TestClientRun): string[] {
  const results = run.steps;
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
  for (const { channel, reason } of run.leftover) {
    lines.push(`✗ could not hang up ${channel}: ${reason}; it is still up on the PBX`);
  }
  lines.push(...hints(run));
  return lines;
}

/** The same, as one JSON document. */
export function formatJson(target: Record<string, unknown>, run: TestClientRun): string {
  const passed = run.steps.filter((r) => r.ok).length;
  return JSON.stringify(
    {
      target,
      steps: run.steps.map((r) => ({ ...r, ms: Math.round(r.ms) })),
      passed,
      failed: run.steps.length - passed,
      leftover: run.leftover,
      hints: hints(run),
    },
    null,
    2,
  );
}

/** Whether the run passed: every step, and nothing left up on the PBX. */
export function passed(run: TestClientRun): boolean {
  return run.steps.every((r) => r.ok) && run.leftover.length === 0;
}

/** What to try, from the seed's troubleshooting, for the failures seen. */
export function hints(run: TestClientRun): string[] {
  const errors = new Set(run.steps.map((r) => r.error));
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
  return [...permissionHints(run), ...leftoverHints(run)];
}

/** For each action answered "Permission denied", the class to add to the user's write=. */
function permissionHints(run: TestClientRun): string[] {
  const denied = new Set(
    [...run.steps, ...run.leftover].flatMap((r) => r.denied ? [r.denied] : []),
  );
  if (denied.size === 0) return [];
  return [
    `Permission denied: the write= classes of user ${run.username} do not allow these actions. ` +
    "In /etc/asterisk/manager.conf (manager_custom.conf on Issabel):",
    ...[...denied].map((action) => {
      const fix = permissionFix(action, run.username) ??
        `add a class from its Priv: in 'manager show command ${action}'`;
      return `  - ${action}: ${fix}`;
    }),
    "  - then reload: asterisk -rx 'manager reload'",
  ];
}

/** The CLI command that hangs up what the run could not (it takes a name or a uniqueid). */
function leftoverHints(run: TestClientRun): string[] {
  if (run.leftover.length === 0) return [];
  return [
    `Hang ${run.leftover.length === 1 ? "it" : "them"} up on the PBX:`,
    ...run.leftover.map((l) =>
      `  asterisk -rx 'channel request hangup ${l.channel.replace(/^uniqueid /, "")}'`
    ),
  ];
}
