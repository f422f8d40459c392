/**
 * HTTP range and conditional requests for streamed recordings (RFC 9110
 * §13-14): one byte range per request (`bytes=a-b`, `a-`, `-n`), ETags
 * compared weakly for `If-None-Match` and strongly for `If-Range`, dates at
 * one-second precision. A Range header that cannot be parsed, asks for
 * several ranges or another unit is ignored (the whole file, 200), as the RFC
 * allows; a well-formed range that starts past the end is 416.
 *
 * @example
 * ```ts
 * import { parseRange } from "./range.ts";
 *
 * parseRange("bytes=-500", 8_044); // { kind: "partial", start: 7544, end: 8043 }
 * ```
 *
 * @module
 */

/** What to send for a Range header: all of it, one slice (end inclusive), or 416. */
export type RangeAnswer =
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

/** Reads a Range header against a representation of `size` bytes. */
export function parseRange(header: string | null, size: number): RangeAnswer {
  if (header === null) return { kind: "full" };
  const match = header.trim().match(/^bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i);
  if (!match || (match[1] === "" && match[2] === "")) return { kind: "full" };
  const [, first, last] = match;
  if (first === "") {
    // The last n bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "full" }; // invalid: ignored
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) };
}

/** Does an `If-None-Match` header match `etag` (weak comparison, `*` matches)? */
export function noneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === "*") return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => opaque(tag) === opaque(etag));
}

/**
 * Does an `If-Range` header still allow the range? True when absent; an
 * ETag must match strongly, a date must equal `lastModified` (second precision).
 */
export function ifRangeHolds(header: string | null, etag: string, lastModified: number): boolean {
  if (header === null) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith("W/")) {
    return !value.startsWith("W/") && !etag.startsWith("W/") && value === etag;
  }
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModified / 1000);
}

/** Has the representation not changed since an `If-Modified-Since` date (second precision)? */
export function notModifiedSince(header: string | null, lastModified: number): boolean {
  if (header === null) return false;
  const date = Date.parse(header);
  return !Number.isNaN(date) && Math.floor(lastModified / 1000) <= Math.floor(date / 1000);
}
