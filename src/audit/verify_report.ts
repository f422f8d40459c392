/**
 * What `astrix audit-query --verify` says about a {@linkcode VerifyResult}:
 * the lines for stdout and stderr and the exit code (0: the chain holds, or
 * there is none yet; 1: broken, or not verified with this key; 2: chained
 * rows and no key). Pure: the command prints them.
 *
 * @example
 * ```ts
 * import { verifyReport } from "./verify_report.ts";
 *
 * const report = verifyReport(
 *   { ok: true, rows: 3, legacy: 3, chained: 0 },
 *   { keyFile: "ami_audit.db.key", keySource: "the default, <db>.key" },
 * );
 * // report.out: ["3 legacy rows, no chain yet: nothing to check with a key (...)"], report.code: 0
 * ```
 *
 * @module
 */

import { plural } from "./format.ts";
import type { VerifyResult } from "./verify.ts";

/** Lines to print and the exit code. */
export interface VerifyReport {
  out: string[];
  err: string[];
  code: number;
}

/** What the report needs to know beyond the result. */
export interface VerifyReportOptions {
  /** The key file verify was given, and where that name came from ("from --key-file"). */
  keyFile: string;
  keySource: string;
  /** Why the key file could not be read, if it could not. */
  keyError?: string;
  /** The recorded head, if one was expected. */
  expectHead?: { id: number };
  /** The file beside the key that records the chain's start, and whether it did. */
  anchorFile?: string;
  startRecorded?: boolean;
}

/** The report of `result`. */
export function verifyReport(result: VerifyResult, options: VerifyReportOptions): VerifyReport {
  const summary = `${plural(result.rows, "row")}: ${result.chained} chained, ` +
    `${result.legacy} legacy (before the chain)`;
  if (result.ok && result.chained === 0) {
    const none = result.rows === 0
      ? "no rows, no chain yet: nothing to check"
      : `${plural(result.legacy, "legacy row")}, no chain yet: nothing to check with a key ` +
        "(the chain starts with the first row astrix writes)";
    return { out: [none], err: [], code: 0 };
  }
  if (result.ok) {
    const head = result.head ? ` · head ${result.head.id}:${result.head.hash}` : "";
    const out = [`chain OK · ${summary}${head}`];
    if (options.anchorFile && result.start) {
      out.push(
        options.startRecorded
          ? `chain start ${result.start.id} is the one recorded in ${options.anchorFile}`
          : `chain start ${result.start.id} is not recorded in ${options.anchorFile} yet: the proxy ` +
            "records it the next time it opens this database (until then, keep --head's output)",
      );
    }
    if (options.expectHead) {
      out.push(`recorded head ${options.expectHead.id} is present and unchanged`);
    }
    return { out, err: [], code: 0 };
  }
  const { id, kind, reason } = result.firstBad!;
  if (kind === "no-key") {
    return {
      out: [],
      err: [
        `the chain starts at row ${id} and --verify cannot check it without its key: ` +
        (options.keyError ?? `no audit key given (${options.keyFile})`),
      ],
      code: 2,
    };
  }
  if (kind === "key") {
    return {
      out: [
        `chain NOT VERIFIED at row ${id}: ${reason}`,
        `key used: ${options.keyFile} (${options.keySource})`,
        "give the key the audit was written with: --key-file <file> or ASTRIX_AUDIT_KEY_FILE=<file>",
      ],
      err: [],
      code: 1,
    };
  }
  const out = [
    kind === "columns" ? `chain BROKEN: ${reason}` : `chain BROKEN at row ${id}: ${reason}`,
  ];
  if (kind === "truncated" || kind === "rewritten") {
    out.push(`otherwise the chain holds: ${summary}`);
  } else if (result.chained > 0) {
    const verb = result.rows === 1 ? "holds" : "hold";
    out.push(
      `before it: ${plural(result.rows, "row")} ${verb} ` +
        `(${result.chained} chained, ${result.legacy} legacy)`,
    );
  } else if (result.legacy > 0 && kind !== "legacy") {
    out.push(`before it: ${plural(result.legacy, "legacy row")}, which only the chain vouches for`);
  }
  return { out, err: [], code: 1 };
}
