/**
 * What can keep the proxy's audit from being written, each with the words
 * `/readyz` and the log show: the reason, and what the operator should do.
 *
 * @module
 */

import { accessSync, constants, statSync } from "node:fs";

/** What is wrong with the audit, and what to do (`/readyz` shows both). */
export interface AuditProblem {
  reason: string;
  fix: string;
}

/** The last write failed (a held lock, a full disk, a file refused). */
export function writeFailed(path: string, error: string): AuditProblem {
  return {
    reason: `the last audit write failed: ${error}`,
    fix: `free the disk, make ${path} writable by the proxy's user, or end the process holding ` +
      `the database's write lock (fuser ${path})`,
  };
}

/** A checkpoint failed: commits reach the WAL, the main file refuses them. */
export function checkpointFailed(path: string, error: string): AuditProblem {
  return {
    reason: `the audit's main file cannot be written (${error}); rows still reach ${path}-wal, ` +
      "which grows until it can",
    fix:
      `make ${path} writable again: its permissions and attributes (ls -l, lsattr; chattr -i), ` +
      "the disk's space and health (df, dmesg); /readyz turns ready by itself",
  };
}

/** The worker has held a batch for longer than a row may wait. */
export function workerStalled(path: string, ms: number): AuditProblem {
  return {
    reason: `the audit worker has not answered for ${ms} ms`,
    fix: `check the disk holding ${path} (dmesg, df): a write to it is stalled`,
  };
}

/** Does `path` still name the file opened (`file`), writable? Null when it does. */
export function fileProblem(path: string, file: { dev: number; ino: number }): AuditProblem | null {
  try {
    const stats = statSync(path);
    if (stats.dev === file.dev && stats.ino === file.ino) {
      accessSync(path, constants.W_OK);
      return null;
    }
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") {
      return {
        reason: `${path} is not writable: ${(error as Error).message}`,
        fix: `make ${path} writable by the proxy's user (ls -l; lsattr: chattr -i)`,
      };
    }
  }
  return {
    reason: `${path} was removed or replaced since the proxy opened it`,
    fix: "restart the proxy (never delete the audit database: it is the audit trail)",
  };
}

/** The last write to a PostgreSQL audit failed (server down, lock held too long, refused). */
export function databaseWriteFailed(url: string, error: string): AuditProblem {
  return {
    reason: `the last audit write failed: ${error}`,
    fix: `check that PostgreSQL at ${url} is up and reachable (pg_isready), that the proxy's ` +
      "user may write ami_audit, and that no session holds ami_audit_head locked " +
      "(pg_locks); /readyz turns ready by itself once it can write again",
  };
}
