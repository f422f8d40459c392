/**
 * The web console, served by the proxy at `/`: one page and the two files
 * `deno task console` builds from `console/` (`console.js`, `console.css`),
 * carried in the binary as text imports, so the console works on a network
 * without internet. The policy lets the page load and call nothing but the
 * proxy: no inline script or style, no `eval`, audio only from the proxy's
 * own recordings stream. No token is needed to load it; what it shows comes
 * from the API, under the logged-in session's role.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { ProxyEnv } from "../app.ts";
 * import { consoleUiRoutes } from "./ui.ts";
 *
 * const app = new Hono<ProxyEnv>();
 * app.route("/", consoleUiRoutes());
 * const page = await app.request("/"); // 200 text/html
 * ```
 *
 * @module
 */

import type { Hono } from "hono";
import { MIME, type StaticFile, staticFile } from "../../http/static_files.ts";
import type { ProxyEnv } from "../app.ts";
import { staticPageRoutes } from "../static_page.ts";
import consoleCss from "./console.css" with { type: "text" };
import consoleJs from "./console.js" with { type: "text" };

/** The console's policy: only the proxy itself, nothing inline, nothing evaluated. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>astrix console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body>
<div id="app"></div>
</body>
</html>
`;

/** The names under `/console/assets/`. */
const ASSETS: ReadonlyMap<string, StaticFile> = new Map([
  ["console.js", staticFile(consoleJs, MIME.js, "no-cache")],
  ["console.css", staticFile(consoleCss, MIME.css, "no-cache")],
]);

/** `GET /` (the console's page) and `GET /console/assets/:file` (its script and style sheet). */
export function consoleUiRoutes(): Hono<ProxyEnv> {
  return staticPageRoutes({
    path: "/",
    page: staticFile(PAGE, MIME.html, "no-cache"),
    assetsPath: "/console/assets",
    assets: ASSETS,
    csp: CONSOLE_CSP,
    what: "console",
  });
}
