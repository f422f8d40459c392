/**
 * Files the binary carries and serves as they are (the `/docs` page, the web
 * console): their bytes, type and cache policy, a strong ETag made once, and
 * `304 Not Modified` when the browser's copy is current.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { serveFile, staticFile } from "./static_files.ts";
 *
 * const page = staticFile("<!doctype html><p>hi</p>", "text/html; charset=utf-8", "no-cache");
 * const app = new Hono();
 * app.get("/", (c) => serveFile(c, page, { "content-security-policy": "default-src 'none'" }));
 * ```
 *
 * @module
 */

import type { Context } from "hono";

/** A file to serve: its bytes, type, cache policy and (made on first use) ETag. */
export interface StaticFile {
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
  cacheControl: string;
  etag?: Promise<string>;
}

/** The MIME types of the files served. */
export const MIME = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
} as const;

/** A file of `text`. */
export function staticFile(text: string, type: string, cacheControl: string): StaticFile {
  return { bytes: new TextEncoder().encode(text), type, cacheControl };
}

/** Answers with `file` (or 304 when the browser's copy is current), with `headers` added. */
export async function serveFile(
  c: Context,
  file: StaticFile,
  headers: Record<string, string>,
): Promise<Response> {
  const etag = await (file.etag ??= etagOf(file.bytes));
  const all = {
    ...headers,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": file.cacheControl,
    etag,
  };
  if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, all);
  return c.body(file.bytes, 200, { ...all, "content-type": file.type });
}

/** A strong ETag: the first 128 bits of the SHA-256 of the bytes, base64url. */
async function etagOf(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).subarray(0, 16);
  const base64 = btoa(String.fromCharCode(...digest));
  return `"${base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}"`;
}

/** Whether an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 asks for GET). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}
