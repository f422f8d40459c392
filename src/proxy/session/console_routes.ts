/**
 * The console's session routes: `POST /console/session` (log in with a
 * token: a session, its cookie and its CSRF token), `GET /console/session`
 * (the current one), `POST /console/logout`, and `GET /console/login?code=`
 * (redeem one of `astrix dev`'s login links). Logging in and out are audited
 * as `console-login` and `console-logout`; neither the token, the session
 * id, the code nor the CSRF token is ever logged or audited.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import { requestContext } from "../app.ts";
import type { VerifiedToken } from "../auth.ts";
import { consoleLoginBody } from "../api/schemas.ts";
import {
  AuthError,
  BadRequestError,
  NoSessionError,
  ProxyError,
  SessionExpiredError,
} from "../errors.ts";
import { parseWith } from "../validation.ts";
import { clearedSessionCookie, overTls, sessionCookie, sessionIdOf } from "./cookie.ts";
import { requireCsrf, requireOwnOrigin } from "./csrf.ts";
import type { Session } from "./session_store.ts";

/** Where a redeemed login link sends the browser, and where a spent one does. */
export const CONSOLE_HOME = "/";
export const LOGIN_EXPIRED = "/?login=expired";

/** Answers holding a session's secrets are never cached. */
const NO_STORE = { "cache-control": "no-store" };

/** The routes under `/console` (before the bearer middleware: they read the cookie themselves). */
export function consoleRoutes(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.post("/console/session", async (c) => {
    const { token } = parseWith(consoleLoginBody, await jsonOnly(c));
    const verified = await deps.auth.verifyToken(token);
    c.set("principal", verified.principal);
    // From here a refusal is a denied row of the token's user (the app's error handler).
    c.set("audit", { action: "console-login" });
    requireOwnOrigin(c.req.raw, deps.publicOrigin);
    const { session, cookie } = await logIn(deps, c, verified, 200);
    return c.json(sessionBody(session), 200, { ...NO_STORE, "set-cookie": cookie });
  });

  app.get("/console/session", async (c) => {
    const session = await liveSession(deps, c);
    return c.json(sessionBody(session), 200, NO_STORE);
  });

  app.post("/console/logout", async (c) => {
    const session = await liveSession(deps, c);
    c.set("audit", { action: "console-logout" });
    requireCsrf(c.req.raw, session);
    await deps.sessions.end(session.id);
    try {
      await deps.trail.write(requestContext(c)!, {
        action: "console-logout",
        outcome: "ok",
        status: 204,
      });
    } catch (error) {
      // Ending a session takes rights away: it stands even when the audit cannot say so.
      deps.logger.error("audit row of a logout not written (the session has ended)", {
        requestId: c.get("requestId"),
        error,
      });
    }
    return c.body(null, 204, {
      ...NO_STORE,
      "set-cookie": clearedSessionCookie(overTls(c.req.raw, deps.publicOrigin)),
    });
  });

  app.get("/console/login", async (c) => {
    const token = deps.loginCodes.redeem(c.req.query("code") ?? "");
    const verified = token === undefined ? undefined : await stillValid(deps, token);
    if (!verified) return c.body(null, 303, { ...NO_STORE, location: LOGIN_EXPIRED });
    c.set("principal", verified.principal);
    const { cookie } = await logIn(deps, c, verified, 303, "login link");
    return c.body(null, 303, { ...NO_STORE, location: CONSOLE_HOME, "set-cookie": cookie });
  });

  return app;
}

/** The session's answer: who it stands for, until when, and its CSRF token. */
function sessionBody(session: Session) {
  const { userId, role, ext } = session.principal;
  return {
    session: {
      userId,
      role,
      ext,
      expiresAt: new Date(session.expiresAt * 1000).toISOString(),
      csrfToken: session.csrfToken,
    },
  };
}

/** Audits the login (no row, no session), then makes the session and its cookie. */
async function logIn(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  verified: VerifiedToken,
  status: number,
  via = "token",
): Promise<{ session: Session; cookie: string }> {
  const left = verified.expiresAt - deps.sessions.now();
  if (left < 1) {
    // Accepted within the clock skew, but a session would be over before it began.
    throw new AuthError("token_expired", "The token has expired: sign in again");
  }
  const expiresAt = new Date(verified.expiresAt * 1000).toISOString();
  await deps.trail.write(requestContext(c)!, {
    action: "console-login",
    outcome: "ok",
    status,
    detail: { via, expiresAt },
  });
  const session = await deps.sessions.create(verified);
  return {
    session,
    cookie: sessionCookie(session.id, left, overTls(c.req.raw, deps.publicOrigin)),
  };
}

/** The live session the request's cookie names; throws NoSessionError or SessionExpiredError. */
async function liveSession(deps: ProxyDeps, c: Context<ProxyEnv>): Promise<Session> {
  const id = sessionIdOf(c.req.header("cookie"));
  if (id === undefined) throw new NoSessionError();
  const session = await deps.sessions.get(id);
  if (!session) throw new SessionExpiredError();
  c.set("principal", { ...session.principal });
  return session;
}

/** The token of a login code verified now; undefined when it no longer is (the link has expired). */
async function stillValid(deps: ProxyDeps, token: string): Promise<VerifiedToken | undefined> {
  try {
    const verified = await deps.auth.verifyToken(token);
    return verified.expiresAt - deps.sessions.now() >= 1 ? verified : undefined;
  } catch (error) {
    if (error instanceof ProxyError) return undefined;
    throw error;
  }
}

/**
 * The login's JSON body. Only `application/json` is read: a cross-site form can send
 * `text/plain` or form types without asking, never this one without a preflight.
 */
async function jsonOnly(c: Context<ProxyEnv>): Promise<unknown> {
  if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new BadRequestError("Send the login as JSON (Content-Type: application/json)", "body");
  }
  const text = await c.req.text(); // over the body limit: 413, thrown by the read
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError("The body is not valid JSON", "body");
  }
}
