/**
 * The dev stack's pid file (`<data-dir>/dev.pid`): it says which process
 * runs the stack of a data folder, so that it can be stopped from anywhere
 * (`kill $(cat .astrix/dev.pid)`), and a second stack on the same folder is
 * refused with that pid instead of failing on a port. A file left by a
 * stack that was killed outright names a process that no longer runs: it is
 * taken over.
 *
 * @example
 * ```ts
 * import { claimPidFile } from "./pid_file.ts";
 *
 * const pidFile = claimPidFile(".astrix/dev.pid");
 * // ... run ...
 * pidFile.release();
 * ```
 *
 * @module
 */

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import process from "node:process";
import { systemProbe } from "../shutdown.ts";
import { DevAlreadyRunningError } from "./errors.ts";

/** A claimed pid file. */
export interface PidFile {
  path: string;
  /** The pid written. */
  pid: number;
  /** The pid of a stale file this claim replaced (that process no longer ran). */
  tookOver?: number;
  /** Removes the file if it still names this process. */
  release(): void;
}

/** Options of {@linkcode claimPidFile}. */
export interface PidFileOptions {
  /** The pid to write; default this process's. */
  pid?: number;
  /** Whether a process runs (undefined: cannot tell); default `kill(pid, 0)`. */
  alive?: (pid: number) => boolean | undefined;
}

/**
 * Writes `pid` to `path`, created exclusively; throws DevAlreadyRunningError
 * when the file names another process that runs. A file naming a process
 * that does not run, or whose liveness cannot be told, or holding no pid, is
 * replaced.
 */
export function claimPidFile(path: string, options: PidFileOptions = {}): PidFile {
  const pid = options.pid ?? process.pid;
  const alive = options.alive ?? systemProbe.alive;
  let tookOver: number | undefined;
  for (let attempt = 0;; attempt++) {
    try {
      writeFileSync(path, `${pid}\n`, { flag: "wx", mode: 0o644 });
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST" || attempt > 2) throw error;
    }
    const holder = readPid(path);
    if (holder !== undefined && holder !== pid && alive(holder) === true) {
      throw new DevAlreadyRunningError(path, holder);
    }
    if (holder !== pid) tookOver = holder;
    removeQuietly(path);
  }
  return {
    path,
    pid,
    tookOver,
    release() {
      if (readPid(path) === pid) removeQuietly(path);
    },
  };
}

function readPid(path: string): number | undefined {
  try {
    const value = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
}
