/**
 * Knowing when a long-running subcommand should stop, so that it can close
 * its servers cleanly and exit 0: the first Ctrl-C or SIGTERM, or the
 * process that started it going away (a task runner killed without passing
 * the signal on leaves its children running, holding their ports).
 *
 * @example
 * ```ts
 * import { untilParentExits, untilStopSignal } from "./shutdown.ts";
 *
 * const watch = new AbortController();
 * const reason = await Promise.race([untilStopSignal(), untilParentExits({ signal: watch.signal })]);
 * watch.abort();
 * console.error(`${reason}, stopping`);
 * ```
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import process from "node:process";

/** Resolves with the signal's name at the first SIGINT or SIGTERM; the listeners are then removed. */
export function untilStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const signals = ["SIGINT", "SIGTERM"] as const;
    const handlers = signals.map((signal) => {
      const handler = () => {
        signals.forEach((s, i) => process.off(s, handlers[i]));
        resolve(signal);
      };
      process.on(signal, handler);
      return handler;
    });
  });
}

/** What a parent watch learns about processes; tests pass their own. */
export interface ProcessProbe {
  /** This process's parent now: it changes when the parent exits (the orphan is adopted). */
  parent(): number;
  /** The parent of another process, or undefined when the system does not say. */
  parentOf(pid: number): number | undefined;
  /** Whether a process runs, or undefined when this process may not ask. */
  alive(pid: number): boolean | undefined;
}

/** Options of {@linkcode untilParentExits}. */
export interface ParentWatchOptions {
  /** How often to look, in ms. Default 500. */
  intervalMs?: number;
  probe?: ProcessProbe;
  /** Stops watching (the promise then never settles). */
  signal?: AbortSignal;
}

/**
 * Resolves with what happened once the process that started this one, or
 * one above it (a `deno task` or `npm exec` in between survives its own
 * parent), has exited. The parent is watched by `process.ppid`, which needs
 * no permission; the ones above it by `kill(pid, 0)`, where allowed (Deno:
 * `--allow-run`), found once at the start in `/proc` or with `ps`.
 */
export function untilParentExits(options: ParentWatchOptions = {}): Promise<string> {
  const probe = options.probe ?? systemProbe;
  const parent = probe.parent();
  const above = ancestorsOf(parent, probe);
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      let reason: string | undefined;
      if (probe.parent() !== parent) reason = `parent process ${parent} exited`;
      const gone = reason ? undefined : above.find((pid) => probe.alive(pid) === false);
      if (gone !== undefined) reason = `ancestor process ${gone} exited`;
      if (reason === undefined) return;
      clearInterval(timer);
      resolve(reason);
    }, options.intervalMs ?? 500);
    options.signal?.addEventListener("abort", () => clearInterval(timer), { once: true });
  });
}

/** The processes above `pid` whose end can be seen, nearest first; init (pid 1) never ends. */
function ancestorsOf(pid: number, probe: ProcessProbe): number[] {
  const found: number[] = [];
  for (
    let next = probe.parentOf(pid);
    next !== undefined && next > 1;
    next = probe.parentOf(next)
  ) {
    if (found.includes(next) || found.length >= 64 || probe.alive(next) === undefined) break;
    found.push(next);
  }
  return found;
}

/** The running system, as far as this process may look. */
export const systemProbe: ProcessProbe = {
  parent: () => process.ppid,
  parentOf: (pid) => procParent(pid) ?? psParent(pid),
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      return code === "ESRCH" ? false : code === "EPERM" ? true : undefined;
    }
  },
};

/** Linux: the fourth field of /proc/<pid>/stat (after the command name, which may hold blanks). */
function procParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return positive(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined; // not Linux, or not allowed (Deno reads /proc only with --allow-all)
  }
}

/** Elsewhere (and Deno with --allow-run): `ps -o ppid= -p <pid>`. */
function psParent(pid: number): number | undefined {
  try {
    const output = execFileSync("ps", ["-o", "ppid=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return positive(output.trim());
  } catch {
    return undefined;
  }
}

function positive(text: string | undefined): number | undefined {
  const value = Number(text);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
