/**
 * The proxy's HTTP API as a Hono app built from its dependencies
 * (`createProxyApp(deps)`): request ids, JSON request logs, metrics, the
 * body limit, bearer-token or session-cookie auth, the routes, and one
 * error handler that turns every error into `{"error": {"code", "message",
 * "requestId"}}` and writes the `denied` audit row of a refused request.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { ClientInfo } from "../http/serve.ts";
import { headSize, MAX_HEADER_BYTES } from "../http/head_size.ts";
import type { Logger } from "../log.ts";
import type { AuditBrowser } from "./audit_browser.ts";
import type { AuditTrail, RequestContext } from "./audit_trail.ts";
import type { Authenticator, Principal } from "./auth.ts";
import type { Pbxs } from "./backends/pbxs.ts";
import {
  ForbiddenError,
  OutcomeUnknownError,
  ProxyError,
  SessionExpiredError,
  toHttpError,
} from "./errors.ts";
import type { EventHub } from "./event_hub.ts";
import type { JobStore } from "./jobs.ts";
import { PROMETHEUS_CONTENT_TYPE, type ProxyMetrics } from "./metrics.ts";
import type { RecordingsSource } from "./recordings_source.ts";
import { docsRoutes } from "./api/docs_ui.ts";
import { consoleUiRoutes } from "./console/ui.ts";
import { openApiJson } from "./api/openapi.ts";
import { amiRoutes } from "./routes/ami_routes.ts";
import { auditRoutes } from "./routes/audit_routes.ts";
import { recordingsRoutes } from "./routes/recordings_routes.ts";
import { callerAuth } from "./session/caller.ts";
import { clearedSessionCookie, overTls } from "./session/cookie.ts";
import { consoleRoutes } from "./session/console_routes.ts";
import type { LoginCodes } from "./session/login_codes.ts";
import type { SessionStore } from "./session/session_store.ts";
import { statusRoutes } from "./routes/status_routes.ts";
import { pbxsReadiness } from "./pbx_health.ts";

/** Everything the proxy's routes use. */
export interface ProxyDeps {
  auth: Authenticator;
  /** The PBXs behind the proxy, by name (one: `default`, unless named). */
  pbxs: Pbxs;
  jobs: JobStore;
  hub: EventHub;
  trail: AuditTrail;
  /** The console's browser sessions (the `astrix_session` cookie). */
  sessions: SessionStore;
  /** `astrix dev`'s single-use login links (none minted unless `loginCodes: true`). */
  loginCodes: LoginCodes;
  /** The audit read back, read-only (GET /audit, /audit/verify). */
  auditReader: AuditBrowser;
  /** When the proxy started, in ms since the epoch (GET /status's uptime). */
  startedAt: number;
  /** Null when no recordings source is configured (recordings routes answer 503). */
  recordings: RecordingsSource | null;
  /** How an extension becomes the channel to call: `SIP/{ext}`. */
  dialTemplate: string;
  /** Where Asterisk finds recordings: `/var/spool/asterisk/monitor`. */
  spoolDir: string;
  metrics: ProxyMetrics;
  logger: Logger;
  /** Browser origins allowed to call the API (`*` for any); none: no CORS headers. */
  corsOrigins?: string[];
  /** The origin of --public-url: where browsers open the console (logins, Secure cookies). */
  publicOrigin?: string;
}

/** What the audit of a request needs, set by its route before anything can be refused. */
export interface AuditSubject {
  action: string;
  target?: string | null;
  jobId?: string | null;
  /** The PBX the request acts on; its rows carry it in `detail.pbx`. */
  pbx?: string;
}

/** A row's `detail` with the PBX of the request's subject in it, when it names one. */
export function withPbx(subject: AuditSubject, detail: unknown): unknown {
  if (subject.pbx === undefined) return detail;
  return { ...(detail as object ?? {}), pbx: subject.pbx };
}

/** The Hono environment of the proxy. */
export type ProxyEnv = {
  Bindings: ClientInfo;
  Variables: {
    requestId: string;
    principal: Principal | undefined;
    audit: AuditSubject | undefined;
  };
};

/** Largest request body accepted. */
export const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the proxy app. */
export function createProxyApp(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.use(async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    await next();
    c.header("x-request-id", requestId);
    const ms = performance.now() - started;
    const route = c.req.routePath || "unmatched";
    deps.metrics.httpRequests.inc({ route, method: c.req.method, status: c.res.status });
    deps.metrics.httpLatency.observe({ route }, ms / 1000);
    const principal = c.get("principal");
    deps.logger.info("request", {
      requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(ms * 10) / 10,
      user: principal?.userId,
      role: principal?.role,
      remoteAddr: c.env?.remoteAddr,
    });
  });

  // Before anything reads a header: an oversized head (a 100 KB token) is refused whole, as JSON,
  // logged and counted like any other answer.
  app.use(async (c, next) => {
    const size = headSize(c.req.raw);
    if (size > MAX_HEADER_BYTES) {
      throw new ProxyError(
        431,
        "headers_too_large",
        `The request's headers are ${size} bytes; at most ${MAX_HEADER_BYTES} are accepted ` +
          "(is the token or a cookie that large? send a smaller one)",
      );
    }
    await next();
  });

  if (deps.corsOrigins?.length) {
    // Before auth: a browser's preflight carries no token.
    app.use(cors({
      origin: deps.corsOrigins.includes("*") ? "*" : deps.corsOrigins,
      allowMethods: ["GET", "HEAD", "POST", "OPTIONS"],
      allowHeaders: [
        "Authorization",
        "Content-Type",
        "Last-Event-ID",
        "Range",
        "If-Range",
        "If-None-Match",
        "X-Request-Id",
      ],
      exposeHeaders: ["X-Request-Id", "Content-Range", "Accept-Ranges", "ETag", "Content-Length"],
      maxAge: 600,
    }));
  }

  // An unknown path: 404. A known path asked with a method it does not take: 405 naming the
  // ones it does (before auth: the answer is about the URL, not about the caller).
  let allowed: ((path: string) => string[]) | undefined;
  app.use(async (c, next) => {
    allowed ??= allowedMethods(app.routes);
    const methods = allowed(c.req.path);
    // Before auth too: which paths exist is no secret (the document lists them).
    if (methods.length === 0) {
      return errorResponse(c, new ProxyError(404, "not_found", "No such endpoint"));
    }
    if (!methods.includes(c.req.method)) {
      const response = errorResponse(
        c,
        new ProxyError(
          405,
          "method_not_allowed",
          `${c.req.method} is not allowed on ${c.req.path}: use ${methods.join(" or ")}`,
        ),
      );
      response.headers.set("allow", methods.join(", "));
      return response;
    }
    await next();
  });

  app.use(bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ProxyError(
        413,
        "too_large",
        `Request bodies are limited to ${MAX_BODY_BYTES} bytes`,
      );
    },
  }));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    // The audit's problem (a failed write or checkpoint, a missing file) comes with its fix.
    const auditProblem = deps.trail.problem;
    const { anyReady, pbxs, ...checks } = pbxsReadiness(deps.pbxs);
    const ready = anyReady && auditProblem === null;
    return c.json(
      {
        ready,
        ...checks,
        audit: auditProblem === null,
        ...(auditProblem ? { auditProblem } : {}),
        pbxs,
      },
      ready ? 200 : 503,
    );
  });
  app.get("/metrics", (c) => {
    const counts = deps.jobs.counts();
    for (const [state, n] of Object.entries(counts)) deps.metrics.jobs.set({ state }, n);
    return c.body(deps.metrics.registry.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });

  // The contract holds no secret: clients and the /docs page read it without a token.
  let document: string | undefined;
  app.get("/openapi.json", (c) => {
    document ??= openApiJson();
    return c.body(document, 200, { "content-type": "application/json; charset=utf-8" });
  });
  app.route("/", docsRoutes());
  app.route("/", consoleUiRoutes());

  // The console's login, session and logout read the session cookie themselves.
  app.route("/", consoleRoutes(deps));

  // Every other route needs a verified caller: a bearer token, or a console session's cookie.
  app.use(callerAuth(deps));
  app.route("/", recordingsRoutes(deps));
  app.route("/", amiRoutes(deps));
  app.route("/", auditRoutes(deps));
  app.route("/", statusRoutes(deps));

  app.notFound((c) => errorResponse(c, new ProxyError(404, "not_found", "No such endpoint")));
  app.onError(async (error, c) => {
    if (error instanceof ForbiddenError) {
      const request = requestContext(c);
      const subject = c.get("audit");
      if (request && subject) {
        try {
          await deps.trail.write(request, {
            ...subject,
            outcome: "denied",
            status: 403,
            detail: withPbx(subject, { code: error.code }),
          });
        } catch (auditError) {
          return errorResponse(c, auditError);
        }
      }
    }
    const answer = toHttpError(error);
    if (!answer.expected) {
      deps.logger.error("unexpected error", { requestId: c.get("requestId"), error });
    }
    const response = errorResponse(c, error);
    // The browser drops a cookie that no longer names a session.
    if (error instanceof SessionExpiredError) {
      response.headers.append(
        "set-cookie",
        clearedSessionCookie(overTls(c.req.raw, deps.publicOrigin)),
      );
    }
    return response;
  });
  return app;
}

/** The audit context of a request whose caller is known. */
export function requestContext(c: Context<ProxyEnv>): RequestContext | undefined {
  const principal = c.get("principal");
  if (!principal) return undefined;
  return { requestId: c.get("requestId"), remoteAddr: c.env?.remoteAddr ?? "", principal };
}

/** The JSON error answer for `error`. */
export function errorResponse(c: Context<ProxyEnv>, error: unknown): Response {
  const answer = toHttpError(error);
  const field = (error as { field?: string }).field;
  const jobId = error instanceof OutcomeUnknownError ? error.jobId : undefined;
  return c.json(
    {
      error: {
        code: answer.code,
        message: answer.message,
        requestId: c.get("requestId"),
        ...(field ? { field } : {}),
        ...(jobId ? { jobId } : {}),
      },
    },
    answer.status as 400,
  );
}

/**
 * The methods each route path answers (HEAD wherever GET is, as Hono does),
 * as a lookup by request path; an unknown path gives none.
 */
function allowedMethods(routes: readonly { path: string; method: string }[]) {
  const byPattern = new Map<string, Set<string>>();
  for (const { path, method } of routes) {
    if (method === "ALL" || path.includes("*")) continue; // middleware
    const methods = byPattern.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD");
    byPattern.set(path, methods);
  }
  const patterns = [...byPattern].map(([path, methods]) => ({
    regex: new RegExp(
      `^${path.split("/").map((part) => part.startsWith(":") ? "[^/]+" : escape(part)).join("/")}$`,
    ),
    methods: [...methods].sort(),
  }));
  return (path: string): string[] => {
    const methods = new Set<string>();
    for (const pattern of patterns) {
      if (pattern.regex.test(path)) { for (const method of pattern.methods) methods.add(method); }
    }
    return [...methods].sort();
  };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
