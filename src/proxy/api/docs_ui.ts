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

import bundleJs from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "text" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "text" };
import type { Hono } from "hono";
import { MIME, type StaticFile, staticFile } from "../../http/static_files.ts";
import type { ProxyEnv } from "../app.ts";
import { staticPageRoutes } from "../static_page.ts";
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

/** The names under `/docs/assets/` (all match `docsAssetParams`). */
const ASSETS: ReadonlyMap<string, StaticFile> = new Map([
  ["swagger-ui-bundle.js", staticFile(bundleJs, MIME.js, "public, max-age=86400")],
  ["swagger-ui.css", staticFile(swaggerCss, MIME.css, "public, max-age=86400")],
  ["init.js", staticFile(initJs, MIME.js, "public, max-age=86400")],
]);

/** `GET /docs` (Swagger UI) and `GET /docs/assets/:file` (its scripts and style sheet). */
export function docsRoutes(): Hono<ProxyEnv> {
  return staticPageRoutes({
    path: "/docs",
    page: staticFile(PAGE, MIME.html, "no-cache"),
    assetsPath: "/docs/assets",
    assets: ASSETS,
    csp: DOCS_CSP,
    what: "docs",
  });
}
