/**
 * The `astrix_session` cookie: how it is set (`HttpOnly; SameSite=Strict;
 * Path=/`, `Max-Age` up to the token's `exp`, `Secure` when the browser is on
 * TLS), cleared, and read from a `Cookie` header. "On TLS": the proxy's
 * `--public-url` is `https:` when it is given; else the request's own URL
 * is `https:`, or its `Origin` (which only the browser sets) is: behind
 * nginx terminating TLS, the proxy itself sees plain HTTP.
 *
 * @example
 * ```ts
 * import { sessionCookie, sessionIdOf } from "./cookie.ts";
 *
 * sessionCookie("abc", 3600, false); // "astrix_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"
 * sessionIdOf("theme=dark; astrix_session=abc"); // "abc"
 * ```
 *
 * @module
 */

/** The session cookie's name. */
export const SESSION_COOKIE = "astrix_session";

/** The `Set-Cookie` value that gives the browser session `id` for `maxAgeS` seconds. */
export function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${
    Math.max(0, Math.floor(maxAgeS))
  }${secure ? "; Secure" : ""}`;
}

/** The `Set-Cookie` value that makes the browser drop the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}

/** Is the browser of `request` on TLS (see the module doc)? `publicOrigin`: from --public-url. */
export function overTls(request: Request, publicOrigin?: string): boolean {
  if (publicOrigin !== undefined) return publicOrigin.startsWith("https:");
  if (new URL(request.url).protocol === "https:") return true;
  return request.headers.get("origin")?.startsWith("https://") ?? false;
}

/** The session id in a `Cookie` header, or undefined when it has none. */
export function sessionIdOf(cookieHeader: string | null | undefined): string | undefined {
  for (const pair of cookieHeader?.split(";") ?? []) {
    const at = pair.indexOf("=");
    if (at > 0 && pair.slice(0, at).trim() === SESSION_COOKIE) {
      const value = pair.slice(at + 1).trim();
      if (value !== "") return value;
    }
  }
  return undefined;
}
