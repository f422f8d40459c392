/**
 * Console sessions in proxy tests: logging a browser in with a token
 * (POST /console/session), the cookie and CSRF headers of its requests, and
 * a GET that does not follow the 303 of a login link. A clock that tests
 * move by hand stands in for the proxy's `now`.
 *
 * @example
 * ```ts
 * const clock = new TestClock();
 * await using px = await startTestProxy({ config: { now: clock.now } });
 * const browser = await logIn(px, px.tokens.supervisor);
 * await px.request("POST", "/ami/originate/listen", { headers: browser.headers(), json });
 * ```
 */

import { assertEquals, assertMatch } from "./assert.ts";
import { contractFetch } from "./contract.ts";
import type { Answer, TestProxy } from "./proxy.ts";

/** A session id or CSRF token: 256 random bits, base64url. */
export const SECRET_FORM = /^[A-Za-z0-9_-]{43}$/;

/** The `Set-Cookie` of a logout or an ended session. */
export const CLEARED_COOKIE = "astrix_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";

/** Seconds since the epoch that only move when told to: pass `now` as the proxy's clock. */
export class TestClock {
  seconds = Math.floor(Date.now() / 1000);
  readonly now = (): number => this.seconds;
}

/** A browser logged in. */
export interface Browser {
  /** The session id, the cookie's value. */
  id: string;
  csrfToken: string;
  /** The login's answer. */
  answer: Answer;
  /** The `Set-Cookie` the login answered. */
  setCookie: string;
  /** Its request headers: the cookie, and `X-Astrix-CSRF` (this session's, or `csrf`; null: none). */
  headers(csrf?: string | null): Record<string, string>;
}

/** The cookie header of session `id`. */
export function cookieHeader(id: string): Record<string, string> {
  return { cookie: `theme=dark; astrix_session=${id}` };
}

/** Logs a browser in with `token` (200 asserted, the cookie's value read from Set-Cookie). */
export async function logIn(px: TestProxy, token: string): Promise<Browser> {
  const answer = await px.request("POST", "/console/session", { json: { token } });
  assertEquals(answer.status, 200, JSON.stringify(answer.body));
  const setCookie = answer.headers.get("set-cookie") ?? "";
  const id = /^astrix_session=([^;]*);/.exec(setCookie)?.[1] ?? "";
  assertMatch(id, SECRET_FORM);
  const csrfToken: string = answer.body.session.csrfToken;
  return {
    id,
    csrfToken,
    answer,
    setCookie,
    headers: (csrf = csrfToken) => ({
      ...cookieHeader(id),
      ...(csrf === null ? {} : { "x-astrix-csrf": csrf }),
    }),
  };
}

/** An answer that was not followed: its status, `Location` and `Set-Cookie`. */
export interface Redirect {
  status: number;
  location: string | null;
  setCookie: string | null;
  requestId: string;
}

/** GET `path` without following a redirect (the contract still checks the answer). */
export async function getUnfollowed(px: TestProxy, path: string): Promise<Redirect> {
  const requestId = crypto.randomUUID();
  const response = await contractFetch(`${px.url}${path}`, {
    headers: { "x-request-id": requestId },
    redirect: "manual",
  });
  await response.body?.cancel();
  return {
    status: response.status,
    location: response.headers.get("location"),
    setCookie: response.headers.get("set-cookie"),
    requestId,
  };
}
