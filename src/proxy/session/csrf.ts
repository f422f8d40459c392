/**
 * Cross-site request forgery, refused: a state-changing request (any method
 * but GET, HEAD, OPTIONS) that the session cookie authenticates must carry
 * `X-Astrix-CSRF` with that session's CSRF token, which only a page of the
 * proxy's own origin can read (a bearer request needs none: a browser never
 * adds an Authorization header by itself). A login must not come from
 * another origin: its `Origin`, when sent, must be the proxy's `--public-url`
 * when one is given; else the request's own, its scheme aside (a proxy in
 * front terminating TLS forwards an `https:` page's request as `http:`).
 *
 * @example
 * ```ts
 * import { requireOwnOrigin } from "./csrf.ts";
 *
 * const login = new Request("http://127.0.0.1:8080/console/session", {
 *   method: "POST",
 *   headers: { origin: "https://evil.example" },
 * });
 * requireOwnOrigin(login); // throws CrossOriginLoginError: 403 cross_origin
 * ```
 *
 * @module
 */

import { CrossOriginLoginError, CsrfError } from "../errors.ts";
import { sameSecret } from "./secrets.ts";
import type { Session } from "./session_store.ts";

/** The request header that carries the session's CSRF token. */
export const CSRF_HEADER = "X-Astrix-CSRF";
/** Methods that change nothing: they need no CSRF token. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Throws CsrfError unless `request` changes nothing or carries `session`'s CSRF token. */
export function requireCsrf(request: Request, session: Session): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers.get(CSRF_HEADER);
  if (sent === null || !sameSecret(sent, session.csrfToken)) throw new CsrfError();
}

/** Throws CrossOriginLoginError when `request` carries an Origin other than the proxy's own. */
export function requireOwnOrigin(request: Request, publicOrigin?: string): void {
  const origin = request.headers.get("origin");
  if (origin === null) return;
  const url = new URL(request.url);
  const own = publicOrigin ?? url.origin;
  if (origin === own) return;
  if (publicOrigin === undefined && hostOf(origin) === url.host) return;
  throw new CrossOriginLoginError(origin, own);
}

/** The host (and port) of an origin; undefined for `null` or garbage. */
function hostOf(origin: string): string | undefined {
  try {
    const { protocol, host } = new URL(origin);
    return protocol === "https:" || protocol === "http:" ? host : undefined;
  } catch {
    return undefined;
  }
}
