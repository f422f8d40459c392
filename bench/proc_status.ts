/**
 * Memory and CPU figures of a benchmark's server process, Linux only
 * (`/proc`): the process is found by the TCP port it listens on, since the
 * benchmarks know a server by its port. Elsewhere every function returns
 * undefined.
 *
 * @example
 * ```ts
 * import { listenerPid, memoryOf } from "./proc_status.ts";
 *
 * const pid = listenerPid(8080);
 * if (pid !== undefined) console.log(memoryOf(pid)); // { rssMiB: 61.2, peakMiB: 70.4 }
 * if (pid !== undefined) console.log(cpuTimeMs(pid)); // 1230: user + system, every thread
 * ```
 */

/** Resident memory now (`VmRSS`) and at its peak so far (`VmHWM`), in MiB. */
export interface Memory {
  rssMiB: number;
  peakMiB: number;
}

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** The pid of the process of ours that listens on TCP `port`, or undefined. */
export function listenerPid(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (read(table) ?? "").split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === "0A") inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      for (const fd of Deno.readDirSync(`/proc/${entry.name}/fd`)) {
        const target = Deno.readLinkSync(`/proc/${entry.name}/fd/${fd.name}`);
        const inode = target.match(/^socket:\[(\d+)\]$/)?.[1];
        if (inode !== undefined && inodes.has(inode)) return Number(entry.name);
      }
    } catch {
      // not ours, or gone
    }
  }
  return undefined;
}

/** The memory of process `pid`, or undefined if `/proc` does not say. */
export function memoryOf(pid: number): Memory | undefined {
  const status = read(`/proc/${pid}/status`);
  const kib = (name: string) =>
    Number(status?.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1]);
  const rss = kib("VmRSS");
  const peak = kib("VmHWM");
  if (!rss || !peak) return undefined;
  return { rssMiB: rss / 1024, peakMiB: peak / 1024 };
}

/** Clock ticks a second of `/proc/<pid>/stat`'s times (`USER_HZ`, 100 on every Linux port Deno runs on). */
const USER_HZ = 100;

/** The CPU time process `pid` has used so far (user + system, all its threads), in ms; 10 ms steps. */
export function cpuTimeMs(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  // pid (comm) state ppid ... : the name may hold spaces and parentheses, so count from the last ")".
  const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (!fields || fields.length < 13) return undefined;
  // utime and stime: fields 14 and 15 of the line, [11] and [12] from the state (field 3).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}
