/**
 * A page the proxy serves from the binary, with its assets under one
 * folder and its Content-Security-Policy on every answer: the routes of
 * `/docs` (Swagger UI) and of the console at `/`.
 *
 * @example
 * ```ts
 * import { MIME, staticFile } from "../http/static_files.ts";
 * import { staticPageRoutes } from "./static_page.ts";
 *
 * const app = staticPageRoutes({
 *   path: "/docs",
 *   page: staticFile("<!doctype html>...", MIME.html, "no-cache"),
 *   assetsPath: "/docs/assets",
 *   assets: new Map([["init.js", staticFile("...", MIME.js, "no-cache")]]),
 *   csp: "default-src 'none'; script-src 'self'",
 *   what: "docs",
 * });
 * ```
 *
 * @module
 */

import { Hono } from "hono";
import { serveFile, type StaticFile } from "../http/static_files.ts";
import type { ProxyEnv } from "./app.ts";
import { NotFoundError } from "./errors.ts";

/** What {@linkcode staticPageRoutes} serves. */
export interface StaticPage {
  /** The page's path. */
  path: string;
  page: StaticFile;
  /** The folder of its assets: `<assetsPath>/:file`. */
  assetsPath: string;
  assets: ReadonlyMap<string, StaticFile>;
  /** The Content-Security-Policy of the page and its assets. */
  csp: string;
  /** Whose assets, for a 404's words: "No such <what> asset". */
  what: string;
}

/** `GET <path>` (the page) and `GET <assetsPath>/:file` (its assets; another name is 404). */
export function staticPageRoutes(site: StaticPage): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();
  const headers = { "content-security-policy": site.csp };
  app.get(site.path, (c) => serveFile(c, site.page, headers));
  app.get(`${site.assetsPath}/:file`, (c) => {
    const asset = site.assets.get(c.req.param("file"));
    if (!asset) throw new NotFoundError(`No such ${site.what} asset`);
    return serveFile(c, asset, headers);
  });
  return app;
}
