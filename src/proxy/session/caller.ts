/**
 * Who calls a route: the bearer token when the request has an Authorization
 * header (it always wins, and needs no CSRF token), else the console session
 * its `astrix_session` cookie names, as the very Principal of the token the
 * session was made from, so its audit rows are those of the same call with
 * that token. A cookie of no live session answers 401 `session_expired`; a
 * state-changing request by cookie without the session's CSRF token 403
 * `csrf_required` (see `csrf.ts`), audited as a `denied` row of action `csrf`
 * whose target is the method and path asked for; no cookie and no header 401
 * `missing_token`, as before.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import { SessionExpiredError } from "../errors.ts";
import { sessionIdOf } from "./cookie.ts";
import { requireCsrf } from "./csrf.ts";

/** The middleware that sets the request's `principal` from its bearer token or session cookie. */
export function callerAuth(
  deps: Pick<ProxyDeps, "auth" | "sessions">,
): MiddlewareHandler<ProxyEnv> {
  return async (c, next) => {
    const authorization = c.req.header("authorization");
    const id = sessionIdOf(c.req.header("cookie"));
    if (authorization !== undefined || id === undefined) {
      c.set("principal", await deps.auth.verify(authorization));
      return await next();
    }
    const session = await deps.sessions.get(id);
    if (!session) throw new SessionExpiredError();
    // Set first: a refused request's log line and denied row name who it was refused to.
    c.set("principal", { ...session.principal });
    try {
      requireCsrf(c.req.raw, session);
    } catch (error) {
      // The route has not named its action yet: the denied row names what was asked.
      c.set("audit", { action: "csrf", target: `${c.req.method} ${c.req.path}` });
      throw error;
    }
    await next();
  };
}
