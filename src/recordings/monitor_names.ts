/**
 * What the names Asterisk and its GUIs give recording files say about the
 * call. Names are in the PBX's local time (the server's time zone here):
 *
 * - `YYYYMMDD-HHMMSS-<src>-<dst>-<uniqueid>` (a plain MixMonitor setup)
 * - `<type>-<dst>-<src>-YYYYMMDD-HHMMSS-<uniqueid>` (FreePBX 12+ and Issabel:
 *   `in`, `out`, `exten`, `internal`, `external`, `force`, `ondemand`, `q`, `rg`, ...)
 * - `OUT<ext>-YYYYMMDD-HHMMSS-<uniqueid>`, `g<group>-…`, `q<queue>-…` and
 *   `YYYYMMDD-HHMMSS-<uniqueid>` (older FreePBX 2.x / Issabel 2)
 *
 * @example
 * ```ts
 * import { parseMonitorName } from "./monitor_names.ts";
 *
 * parseMonitorName("out-5550142-201-20261124-101500-1763979300.17");
 * // { src: "201", dst: "5550142", direction: "outbound", startedAt: <local 2026-11-24 10:15:00>, uniqueId: "1763979300.17" }
 * ```
 *
 * @module
 */

/** Which way the call went, as far as the name tells. */
export type Direction = "inbound" | "outbound" | "internal" | "unknown";

/** What a file name says. Fields it does not give are null. */
export interface MonitorName {
  src: string | null;
  dst: string | null;
  direction: Direction;
  /** Milliseconds since the epoch (the name's local time). */
  startedAt: number;
  uniqueId: string | null;
}

const DATE = String.raw`(?<date>\d{8})-(?<time>\d{6})`;
const UNIQUE_ID = String.raw`(?<uid>\d+\.\d+)`;
const PARTY = String.raw`[^-]*`;

const PATTERNS: { pattern: RegExp; direction?: (groups: Record<string, string>) => Direction }[] = [
  { pattern: new RegExp(`^${DATE}-(?<src>${PARTY})-(?<dst>${PARTY})-${UNIQUE_ID}$`) },
  {
    pattern: new RegExp(
      `^(?<type>[A-Za-z]+)-(?<dst>${PARTY})-(?<src>${PARTY})-${DATE}-${UNIQUE_ID}$`,
    ),
    direction: (g) => TYPE_DIRECTIONS[g.type.toLowerCase()] ?? "unknown",
  },
  {
    pattern: new RegExp(`^(?<kind>OUT|g|q)(?<who>\\d+)-${DATE}-${UNIQUE_ID}$`),
    direction: (g) => g.kind === "OUT" ? "outbound" : "inbound",
  },
  { pattern: new RegExp(`^${DATE}-${UNIQUE_ID}$`) },
];

const TYPE_DIRECTIONS: Record<string, Direction> = {
  in: "inbound",
  external: "inbound",
  out: "outbound",
  exten: "internal",
  internal: "internal",
};

/** Reads a recording's base name (without extension); undefined if it follows none of the forms. */
export function parseMonitorName(baseName: string): MonitorName | undefined {
  for (const { pattern, direction } of PATTERNS) {
    const groups = baseName.match(pattern)?.groups;
    if (!groups) continue;
    const startedAt = localTime(groups.date, groups.time);
    if (startedAt === undefined) return undefined;
    let src: string | null = groups.src ?? null;
    let dst: string | null = groups.dst ?? null;
    if (groups.kind === "OUT") src = groups.who;
    else if (groups.kind) dst = groups.who;
    if (src === "") src = null;
    if (dst === "") dst = null;
    let known = direction?.(groups) ?? "unknown";
    if (known === "unknown") known = guessDirection(src, dst);
    return { src, dst, direction: known, startedAt, uniqueId: groups.uid ?? null };
  }
  return undefined;
}

/** Extensions are short; a number longer than 6 digits is outside the PBX. */
function guessDirection(src: string | null, dst: string | null): Direction {
  const internal = (n: string | null) => n !== null && /^\d{2,6}$/.test(n);
  const external = (n: string | null) => n !== null && /^\+?\d{7,}$/.test(n);
  if (internal(src) && internal(dst)) return "internal";
  if (external(src) && internal(dst)) return "inbound";
  if (internal(src) && external(dst)) return "outbound";
  return "unknown";
}

function localTime(date: string, time: string): number | undefined {
  const [y, mo, d] = [date.slice(0, 4), date.slice(4, 6), date.slice(6, 8)].map(Number);
  const [h, mi, s] = [time.slice(0, 2), time.slice(2, 4), time.slice(4, 6)].map(Number);
  const value = new Date(y, mo - 1, d, h, mi, s);
  // 20261345-… is not a date: reject what Date would roll over.
  if (value.getMonth() !== mo - 1 || value.getDate() !== d || h > 23 || mi > 59 || s > 59) {
    return undefined;
  }
  return value.getTime();
}
