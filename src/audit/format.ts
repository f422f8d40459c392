/**
 * audit-query's output: an aligned table for people, JSON and NDJSON for
 * tools (exact), and RFC 4180 CSV for spreadsheets, in which a cell that
 * starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'` so
 * that opening an export never runs anything. Table and CSV cells show
 * control characters as visible escapes ({@linkcode visible}).
 *
 * @module
 */

import type { AuditRow } from "./chain.ts";
import { timestampMs } from "./query.ts";
import { visible } from "./visible.ts";

/** Output formats of audit-query. */
export type Format = "table" | "json" | "ndjson" | "csv";

/** A row as auditors read it: named fields, a readable time, detail parsed. */
export interface PresentedRow {
  id: number;
  /** See {@linkcode formatTime}. */
  time: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  user: string;
  role: string | null;
  action: string;
  target: string | null;
  job: string | null;
  outcome: string | null;
  status: number | null;
  remoteAddr: string | null;
  requestId: string | null;
  detail: unknown;
  hash: string | null;
}

/** How times are written: `human` for the table, `iso` (unambiguous) for JSON and CSV. */
export interface TimeStyle {
  utc: boolean;
  iso: boolean;
}

/**
 * `2026-11-24 09:15:02` in local time for people; with `iso`,
 * `2026-11-24T09:15:02.123-05:00` (the offset kept, so that an export means
 * the same anywhere); with `utc`, `2026-11-24T14:15:02.123Z` either way.
 */
export function formatTime(timestamp: number, style: TimeStyle): string {
  const date = new Date(timestampMs(timestamp));
  if (style.utc) return date.toISOString();
  const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (!style.iso) return `${day} ${time}`;
  const offset = -date.getTimezoneOffset();
  const zone = `${offset < 0 ? "-" : "+"}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  return `${day}T${time}.${pad(date.getMilliseconds(), 3)}${zone}`;
}

/** A stored row as audit-query shows it. */
export function present(row: AuditRow, style: TimeStyle): PresentedRow {
  let detail: unknown = row.detail;
  if (row.detail !== null) {
    try {
      detail = JSON.parse(row.detail);
    } catch {
      // not JSON (a legacy or altered row): shown as stored
    }
  }
  return {
    id: row.id,
    time: formatTime(row.timestamp, style),
    timestamp: timestampMs(row.timestamp),
    user: row.userId,
    role: row.role,
    action: row.action,
    target: row.target,
    job: row.jobId,
    outcome: row.outcome,
    status: row.status,
    remoteAddr: row.remoteAddr,
    requestId: row.requestId,
    detail,
    hash: row.hash,
  };
}

/** The table's columns, in order. */
const TABLE_COLUMNS: [keyof PresentedRow, string][] = [
  ["id", "ID"],
  ["time", "TIME"],
  ["user", "USER"],
  ["role", "ROLE"],
  ["action", "ACTION"],
  ["target", "TARGET"],
  ["job", "JOB"],
  ["outcome", "OUTCOME"],
  ["status", "STATUS"],
  ["remoteAddr", "FROM"],
];

/** Aligned table lines, the header first, each column as wide as its widest cell. */
export function tableLines(rows: PresentedRow[]): string[] {
  return new FollowTable([]).start(rows);
}

/**
 * The table of `--follow`, whose rows are not known in advance. Its columns
 * fit the first rows (and `minWidths`, room for typical values); a later row
 * wider than a column widens it, and the header is printed again (after a
 * blank line) above that row. Nothing is cut: a truncated user or target
 * could make two different ones look the same.
 */
export class FollowTable {
  #widths: number[];

  /** `minWidths`: each column's least width, e.g. {@linkcode followMinWidths}. */
  constructor(minWidths: readonly number[]) {
    this.#widths = TITLES.map((title, i) => Math.max(title.length, minWidths[i] ?? 0));
  }

  /** The header and the first rows, the columns widened to fit them. */
  start(rows: PresentedRow[]): string[] {
    const cells = rows.map(tableCells);
    this.#widths = fitWidths(this.#widths, cells);
    return [TITLES, ...cells].map((values) => tableLine(values, this.#widths));
  }

  /** A later row's line, after a blank line and the header again if its columns had to widen. */
  add(row: PresentedRow): string[] {
    const cells = tableCells(row);
    const widths = fitWidths(this.#widths, [cells]);
    const line = tableLine(cells, widths);
    if (widths.every((w, i) => w === this.#widths[i])) return [line];
    this.#widths = widths;
    return ["", tableLine(TITLES, widths), line];
  }
}

/** Room for typical values in a followed table: ids to 999999, the time as `style` writes it. */
export function followMinWidths(style: TimeStyle): number[] {
  return [6, formatTime(0, style).length, 12, 10, 10, 28, 12, 7, 6, 15];
}

const TITLES = TABLE_COLUMNS.map(([, title]) => title);

function tableCells(row: PresentedRow): string[] {
  return TABLE_COLUMNS.map(([key]) => cell(row[key]));
}

/** `widths`, each widened to its column's widest cell. */
function fitWidths(widths: readonly number[], cells: string[][]): number[] {
  return widths.map((w, i) => Math.max(w, ...cells.map((c) => c[i].length)));
}

function tableLine(values: string[], widths: readonly number[]): string {
  return values.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  // One line per row whatever a field holds, and no control character reaches the terminal.
  return visible(String(value));
}

/** `1 row`, `2 rows`: a count and its noun, agreeing. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** CSV header line. */
export const CSV_HEADER = [
  "id",
  "time",
  "user",
  "role",
  "action",
  "target",
  "job",
  "outcome",
  "status",
  "remote_addr",
  "request_id",
  "detail",
  "hash",
];

/** One CSV record (CRLF-terminated, RFC 4180). */
export function csvLine(values: unknown[]): string {
  return values.map(csvCell).join(",") + "\r\n";
}

export function csvRow(row: PresentedRow): string {
  return csvLine([
    row.id,
    row.time,
    row.user,
    row.role,
    row.action,
    row.target,
    row.job,
    row.outcome,
    row.status,
    row.remoteAddr,
    row.requestId,
    detailCell(row.detail),
    row.hash,
  ]);
}

/** `detail` for a CSV cell: JSON text, kept valid JSON for the same value once escaped. */
function detailCell(detail: unknown): string | null {
  if (detail === null) return null;
  return typeof detail === "string" ? detail : visible(JSON.stringify(detail), "json");
}

/**
 * A CSV cell: control characters escaped visibly (see {@linkcode visible}),
 * formula-like text neutralized, then quoted if it holds a comma or a quote.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = visible(String(value));
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}
