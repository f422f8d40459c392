/**
 * Times given on the command line: ISO 8601 (`2026-11-24`, `2026-11-24T09:00`,
 * `2026-11-24T09:00:00Z`), relative to now (`30s`, `15m`, `24h`, `7d`, `2w`:
 * that long ago), or `today` / `yesterday` (midnight, local or UTC).
 *
 * @module
 */

const UNITS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds since the epoch for `value`, or undefined if it is not a time. */
export function parseTimeSpec(
  value: string,
  now: number,
  options: { utc?: boolean } = {},
): number | undefined {
  const text = value.trim().toLowerCase();
  const relative = text.match(/^(\d+)\s*([smhdw])$/);
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]];
  if (text === "today" || text === "yesterday") {
    const day = new Date(now);
    if (options.utc) day.setUTCHours(0, 0, 0, 0);
    else day.setHours(0, 0, 0, 0);
    return day.getTime() - (text === "yesterday" ? UNITS.d : 0);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  // A date or a time without a zone is local time, unless --utc.
  const hasZone = /(z|[+-]\d{2}:?\d{2})$/.test(text);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const iso = dateOnly ? `${value.trim()}T00:00:00` : value.trim();
  const ms = Date.parse(hasZone || !options.utc ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
