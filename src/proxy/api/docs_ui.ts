/**
 * The interactive API docs: Swagger UI at `/docs`, reading `/openapi.json`.
 * Every file the page needs is carried in the binary (text imports of
 * `swagger-ui-dist`, no file read at run time) and served by the proxy under
 * `/docs/assets/`, so the page works on a network without internet. The page
 * has no inline script, and its Content-Security-Policy lets it load and call
 * nothing but the proxy. No token is needed to read the docs; the calls made
 * with "Try it out" carry the token pasted into Authorize.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { ProxyEnv } from "../app.ts";
 * import { docsRoutes } from "./docs_ui.ts";
 *
 * const app = new Hono<ProxyEnv>();
 * app.route("/", docsRoutes());
 * const page = await app.request("/docs"); // 200 text/html
 * ```
 *
 * @module
 */

import { type Context, Hono } from "hono";
import bundleJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import type { ProxyEnv } from "../app.ts";
import { NotFoundError } from "../errors.ts";
import initJs from "./docs_init.js" with { type: "text" };

/** The policy of the page and its assets: only the proxy itself, nothing inline. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

// Relative links: `/docs` resolves them to `/docs/assets/...` (and so does a path prefix).
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>astrix proxy API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/assets/swagger-ui-bundle.js"></script>
<script src="docs/assets/init.js"></script>
</body>
</html>
`;

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** A file served by {@linkcode docsRoutes}: its bytes, type, cache policy and (lazy) ETag. */
interface DocsFile {
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
  cacheControl: string;
  etag?: Promise<string>;
}

const file = (text: string, type: string, cacheControl: string): DocsFile => ({
  bytes: new TextEncoder().encode(text),
  type,
  cacheControl,
});

/** The names under `/docs/assets/` (all match `docsAssetParams`). */
const ASSETS: ReadonlyMap<string, DocsFile> = new Map([
  ["swagger-ui-bundle.js", file(bundleJs, JS, "public, max-age=86400")],
  ["swagger-ui.css", file(swaggerCss, CSS, "public, max-age=86400")],
  ["init.js", file(initJs, JS, "public, max-age=86400")],
]);
const PAGE_FILE = file(PAGE, "text/html; charset=utf-8", "no-cache");

/** `GET /docs` (Swagger UI) and `GET /docs/assets/:file` (its scripts and style sheet). */
export function docsRoutes(): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();
  app.get("/docs", (c) => serve(c, PAGE_FILE));
  app.get("/docs/assets/:file", (c) => {
    const asset = ASSETS.get(c.req.param("file"));
    if (!asset) throw new NotFoundError("No such docs asset");
    return serve(c, asset);
  });
  return app;
}

/** Answers with `doc` (or 304 when the browser's copy is current), with the security headers. */
async function serve(c: Context<ProxyEnv>, doc: DocsFile): Promise<Response> {
  const etag = await (doc.etag ??= etagOf(doc.bytes));
  const headers = {
    "content-security-policy": DOCS_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": doc.cacheControl,
    etag,
  };
  if (matches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
  return c.body(doc.bytes, 200, { ...headers, "content-type": doc.type });
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
