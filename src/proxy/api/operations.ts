/**
 * The proxy's routes as data: for each one its method and path, who may
 * call it (a permission of `roles.ts`, none for the probes), its parameters
 * and body (the schemas the route parses with), and every answer it can
 * give with the error codes each status can carry. The OpenAPI document
 * (`openapi.ts`) is generated from this table and `schemas.ts`; a test holds
 * the table to the routes the Hono app really serves.
 *
 * @module
 */

import type { z } from "zod";
import type { Permission } from "../roles.ts";
import {
  auditPage,
  auditQuery,
  auditVerification,
  channelList,
  channelsQuery,
  consoleAssetParams,
  consoleLoginBody,
  consoleLoginQuery,
  consoleSession,
  controlBody,
  docsAssetParams,
  eventsQuery,
  health,
  jobAnswer,
  jobIdParams,
  jobList,
  jobsQuery,
  jobStarted,
  listenBody,
  playbackBody,
  proxyStatus,
  readiness,
  recording,
  recordingIdParams,
  recordingPage,
  recordingsQuery,
} from "./schemas.ts";
import { CSV_ROW_CAP } from "../audit_browser.ts";

/** A header an answer carries. */
export interface HeaderSpec {
  description: string;
  /** The header's JSON Schema; default a string. */
  schema?: Record<string, unknown>;
  /** Always sent with this answer. */
  required?: boolean;
}

/** One answer of an operation. */
export interface AnswerSpec {
  description: string;
  /** The JSON body's schema (a registered response schema). */
  json?: z.ZodType;
  /** A body that is not JSON: media type → its JSON Schema. */
  content?: Record<string, Record<string, unknown>>;
  /** An error answer: the codes its `error.code` can be. */
  codes?: readonly string[];
  headers?: Record<string, HeaderSpec>;
  /** Real answers, by name. */
  examples?: Record<string, { summary: string; value: unknown }>;
}

/** A request header an operation reads. */
export interface RequestHeaderSpec {
  name: string;
  description: string;
}

/** One route. */
export interface ApiOperation {
  method: "get" | "post";
  /** Hono's form: `/ami/jobs/:id`. */
  path: string;
  operationId: string;
  tag: "probes" | "console" | "recordings" | "pbx" | "jobs" | "events" | "admin";
  summary: string;
  description: string;
  /** What the caller needs; absent: no token is asked for. */
  permission?: Permission;
  /** The console's own session routes: the `astrix_session` cookie, not a token. */
  sessionCookie?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body (a registered request schema). */
  body?: z.ZodObject;
  /** A body the proxy accepts, shown by the docs page's "Try it out". */
  bodyExample?: Record<string, unknown>;
  requestHeaders?: readonly RequestHeaderSpec[];
  /**
   * Also listed as a HEAD operation. Every GET answers HEAD (as GET without a body); the
   * document lists it where clients use it (a player probing a file).
   */
  head?: boolean;
  responses: Readonly<Record<number, AnswerSpec>>;
}

/** Every 401 a token can earn. */
export const AUTH_CODES = [
  "missing_token",
  "dev_token_refused",
  "invalid_token",
  "invalid_signature",
  "wrong_algorithm",
  "token_expired",
  "token_not_yet_valid",
  "token_issued_in_future",
  "token_lifetime_too_long",
  "wrong_issuer",
  "wrong_audience",
  "invalid_claims",
] as const;

/** The 401s of a request by the console's session cookie instead of a token. */
export const SESSION_CODES = ["session_expired"] as const;

/** The 403s of any route with a permission: the token's role, or none. */
const ROLE_CODES = ["missing_role", "unknown_role", "forbidden_role"] as const;

/** The answers every operation can give: another method (405), a huge head (431), a bug (500). */
const EVERY_ROUTE: Record<number, AnswerSpec> = {
  405: {
    description: "The path does not take this method (the Allow header names those it takes)",
    codes: ["method_not_allowed"],
    headers: {
      Allow: {
        description: "The methods the path takes: GET, HEAD",
        required: true,
        schema: { type: "string", pattern: "^[A-Z]+(, [A-Z]+)*$" },
      },
    },
  },
  431: {
    description: "The request's headers are larger than 16 KiB (a huge token or cookie)",
    codes: ["headers_too_large"],
  },
  500: { description: "A bug: the proxy's log has the details", codes: ["internal"] },
};

/** The answers of a route that needs a token with a role that has `permission`. */
function authenticated(extra403: readonly string[] = []): Record<number, AnswerSpec> {
  return {
    401: {
      description: "No token, or one that does not verify (the code says why), or a session " +
        "cookie whose session has ended",
      codes: [...AUTH_CODES, ...SESSION_CODES],
      examples: {
        token_expired: {
          summary: "An expired token",
          value: {
            error: {
              code: "token_expired",
              message: "The token has expired: sign in again",
              requestId: "7f0e6a52-4f8e-4a51-9c55-3c1f1c6d9b21",
            },
          },
        },
      },
    },
    403: {
      description: "The token is valid, but its role or ownership does not allow this",
      codes: [...ROLE_CODES, ...extra403],
    },
    503: {
      description: "The audit log cannot be written, so nothing was done; try again later",
      codes: ["audit_unavailable"],
    },
  };
}

/** Merges answer tables; error codes of one status are joined. */
function answers(...tables: Record<number, AnswerSpec>[]): Record<number, AnswerSpec> {
  const merged: Record<number, AnswerSpec> = {};
  for (const table of tables) {
    for (const [status, spec] of Object.entries(table)) {
      const before = merged[Number(status)];
      merged[Number(status)] = before
        ? {
          ...before,
          ...spec,
          description: before.codes && spec.codes
            ? `${before.description}; or: ${spec.description}`
            : spec.description,
          codes: [...new Set([...(before.codes ?? []), ...(spec.codes ?? [])])],
          examples: { ...before.examples, ...spec.examples },
        }
        : spec;
    }
  }
  return merged;
}

const BAD_REQUEST: Record<number, AnswerSpec> = {
  400: {
    description: "A field is missing, wrong or unknown (field names it)",
    codes: ["bad_request"],
    examples: {
      unknown_field: {
        summary: "A field the route does not take",
        value: {
          error: {
            code: "bad_request",
            message: "unknown field: channel",
            requestId: "0d3c2b8e-51a9-4f0b-8a5e-2b7e6f1d4c90",
            field: "channel",
          },
        },
      },
    },
  },
};

/** A state-changing route called with the console's session cookie. */
const CHANGES: Record<number, AnswerSpec> = {
  403: {
    description: "Called with the session cookie but without X-Astrix-CSRF",
    codes: ["csrf_required"],
  },
};

const IF_NONE_MATCH: RequestHeaderSpec = {
  name: "If-None-Match",
  description: "An ETag: 304 when the file still has it",
};

/** The answers of a page's script or style sheet, served from the binary. */
function assetAnswers(
  headers: Record<string, HeaderSpec>,
  cacheControl: string,
): Record<number, AnswerSpec> {
  return {
    200: {
      description: "The file",
      headers: {
        ...headers,
        ETag: { description: "Changes when the file does", required: true },
        "Cache-Control": { description: cacheControl, required: true },
      },
      content: {
        "text/javascript": { type: "string" },
        "text/css": { type: "string" },
      },
    },
    304: { description: "Not modified: the browser's copy (If-None-Match) is current" },
    404: { description: "No such asset", codes: ["not_found"] },
  };
}

/** The console's policy header, on its page and assets. */
const CSP_HEADER: Record<string, HeaderSpec> = {
  "Content-Security-Policy": {
    description: "default-src 'none'; script-src 'self'; connect-src 'self'; ...",
    required: true,
  },
};

/** The session cookie a login or logout sets. */
const SESSION_SET_COOKIE: Record<string, HeaderSpec> = {
  "Set-Cookie": {
    description: "astrix_session=...; HttpOnly; SameSite=Strict; Path=/; Max-Age=... " +
      "(; Secure over TLS); Max-Age=0 clears it",
    required: true,
  },
  "Cache-Control": { description: "no-store", required: true },
};

const TOO_LARGE: Record<number, AnswerSpec> = {
  413: { description: "The body is larger than 64 KiB", codes: ["too_large"] },
};

/** The answers of a route that acts on the PBX (AMI mode; forward mode's upstream codes too). */
const PBX_ACTION: Record<number, AnswerSpec> = {
  502: {
    description: "The PBX (or the forward upstream) refused or failed",
    codes: ["ami_error", "ami_permission_denied", "upstream_error", "upstream_unreachable"],
  },
  503: {
    description: "The PBX is not connected (the proxy is reconnecting): nothing was sent",
    codes: ["ami_unavailable"],
  },
  504: {
    description: "The PBX did not answer in time",
    codes: ["ami_timeout", "upstream_timeout"],
  },
};

/** The answers of a route that asks the recordings server. */
const RECORDINGS_SOURCE: Record<number, AnswerSpec> = {
  502: {
    description: "The recordings server cannot be reached or failed",
    codes: ["recordings_unavailable"],
  },
  503: {
    description: "The proxy runs without a recordings source (--recordings)",
    codes: ["no_recordings_source"],
  },
  504: {
    description: "The recordings server did not answer in time",
    codes: ["recordings_timeout"],
  },
};

const JOB_NOT_FOUND: Record<number, AnswerSpec> = {
  404: {
    description: "No such job (jobs are kept for a while after they end)",
    codes: ["not_found"],
  },
};

const RECORDING_NOT_FOUND: Record<number, AnswerSpec> = {
  404: { description: "No such recording", codes: ["not_found"] },
};

const AUDIT_UNREADABLE: Record<number, AnswerSpec> = {
  503: {
    description: "The audit database cannot be read or verified now (the message says why)",
    codes: ["audit_unreadable"],
  },
};

/** Answers captured from a proxy in front of mock-ami (Asterisk 22), as they came. */
const LISTEN_STARTED = {
  jobId: "job_eKC9dsi5qCB06TRJ8FzHmw",
  job: {
    id: "job_eKC9dsi5qCB06TRJ8FzHmw",
    kind: "listen",
    pbx: "default",
    extension: "201",
    target: "SIP/210-00000002",
    mode: "listen",
    owner: "sup-201",
    ownerRole: "supervisor",
    status: "dialing",
    channel: "SIP/201-00000004",
    uniqueId: "job_eKC9dsi5qCB06TRJ8FzHmw",
    createdAt: "2026-12-03T11:14:30.746Z",
    updatedAt: "2026-12-03T11:14:30.748Z",
    endedAt: null,
    timeline: [
      { at: "2026-12-03T11:14:30.746Z", status: "queued", note: "accepted" },
      {
        at: "2026-12-03T11:14:30.747Z",
        status: "dialing",
        note: "calling SIP/201 to listen to SIP/210-00000002",
      },
      { at: "2026-12-03T11:14:30.748Z", status: "dialing", note: "SIP/201-00000004 ringing" },
    ],
  },
};

const JOB_EXAMPLE = {
  summary: "A listen that is live",
  value: {
    job: {
      ...LISTEN_STARTED.job,
      status: "active",
      updatedAt: "2026-12-03T11:14:30.801Z",
      timeline: [
        ...LISTEN_STARTED.job.timeline,
        { at: "2026-12-03T11:14:30.800Z", status: "dialing", note: "SIP/201-00000004 answered" },
        { at: "2026-12-03T11:14:30.801Z", status: "active", note: "listening to SIP/210-00000002" },
      ],
    },
  },
};

const RECORDING_EXAMPLE = {
  id: "20261124-103000-201-5550142-1763980200.21",
  file: "20261124-103000-201-5550142-1763980200.21",
  startedAt: "2026-11-24T10:30:00.000Z",
  durationMs: 100,
  src: "201",
  dst: "5550142",
  callerId: { name: null, number: "201" },
  direction: "outbound",
  format: "wav",
  contentType: "audio/wav",
  codec: "pcm_s16le",
  sampleRate: 8000,
  channels: 1,
  size: 1644,
  streamUrl: "/recordings/20261124-103000-201-5550142-1763980200.21/stream",
};

const AUDIO_HEADERS: Record<string, HeaderSpec> = {
  "Accept-Ranges": { description: "bytes", required: true, schema: { const: "bytes" } },
  ETag: { description: "Changes when the file does", required: true },
  "Last-Modified": { description: "The file's modification time" },
  "Content-Length": { description: "Bytes of this answer's body" },
};

const AUDIO = {
  "audio/wav": { type: "string", contentMediaType: "audio/wav" },
  "audio/x-gsm": { type: "string", contentMediaType: "audio/x-gsm" },
  "audio/mpeg": { type: "string", contentMediaType: "audio/mpeg" },
};

/** Answers of GET /audit, /audit/verify and /status, captured from a test proxy. */
const AUDIT_PAGE_EXAMPLE = {
  rows: [
    {
      id: 7,
      time: "2026-12-04T14:50:57.324Z",
      timestamp: 1796395857324,
      user: "admin-202",
      role: "admin",
      action: "job.read",
      target: "SIP/210-00000002",
      job: "job_prTvLgp0r4X5ZhVWdtzvQQ",
      outcome: "ok",
      status: 200,
      remoteAddr: "127.0.0.1",
      requestId: "9aa7db48-a130-4852-a596-746d5b330796",
      detail: null,
      hash: "08118c275cabc61114dbbe11dd6c92b1a70e7751ede8ce14ef0ba389f17463b3",
    },
  ],
  nextCursor: "1796395857324.7",
};
const VERIFY_EXAMPLES = {
  ok: {
    summary: "The chain holds",
    value: {
      ok: true,
      rows: 8,
      chained: 8,
      legacy: 0,
      head: {
        id: 8,
        hash: "a5ec0f602f262af7f6364ee1ae47adea2c46eabb691de18a785f91a4c05d9cb6",
        start: { id: 1, hash: "33633ddfbeddb271edf5b97155628294f26876808d822fd9bd3cdc721e25643b" },
        text: "8:a5ec0f602f262af7f6364ee1ae47adea2c46eabb691de18a785f91a4c05d9cb6 " +
          "1:33633ddfbeddb271edf5b97155628294f26876808d822fd9bd3cdc721e25643b",
      },
    },
  },
};
const STATUS_AMI = {
  connected: true,
  pbx: { asterisk: 22, amiVersion: "11.0.0", exact: true },
  permissionsChecked: true,
  cannotWork: [],
  reconnects: 0,
  eventsLost: 0,
};
const STATUS_EXAMPLE = {
  uptimeSeconds: 3605,
  backend: "ami",
  ami: STATUS_AMI,
  pbxs: { default: { ...STATUS_AMI, problem: null } },
  sse: { subscribers: 0, behind: 0 },
  audit: { writable: true, problem: null },
  jobs: { queued: 0, dialing: 0, unknown: 0, active: 1, paused: 0, ended: 0, failed: 0 },
};

/** The headers a job route reads besides the token: none. The playback controls, in words. */
const CONTROLS_TEXT = "pause and resume (a pause toggles in Asterisk, so resume is a second " +
  "pause the proxy sends only when paused), forward and reverse (3 s), restart, stop";

/** /readyz's example of an AMI user that may not originate. */
const NO_ORIGINATE = {
  pbx: { asterisk: 22, amiVersion: "11.0.0", exact: true },
  cannotWork: [
    {
      feature: "listen",
      what: "listen to a call (POST /ami/originate/listen: check the target, call " +
        "the listener)",
      refusedActions: ["Originate"],
      grant: ["originate"],
    },
    {
      feature: "playback",
      what: "play a recording (POST /ami/originate/playback)",
      refusedActions: ["Originate"],
      grant: ["originate"],
    },
  ],
  fix: 'add originate to the AMI user\'s write= line in manager.conf, then run "manager reload"',
};

/** Every route of the proxy, in the order the document lists them. */
const ROUTES: readonly ApiOperation[] = [
  {
    method: "get",
    path: "/healthz",
    operationId: "health",
    tag: "probes",
    summary: "Liveness: the process answers",
    description: "For a load balancer or systemd: 200 as long as the proxy runs. No token.",
    responses: answers(EVERY_ROUTE, {
      200: {
        description: "The proxy runs",
        json: health,
        examples: { ok: { summary: "Alive", value: { status: "ok" } } },
      },
    }),
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "readiness",
    tag: "probes",
    summary: "Readiness: logged in to the PBX, the audit writable, the AMI user's rights enough",
    description: "200 when the proxy can serve: the audit can be written and at least one PBX " +
      "is ready (logged in, its AMI user's rights enough); 503 with the reason and its fix when " +
      "not. pbxs says how each PBX is (one down leaves the others served), with the Asterisk " +
      "it runs (from the AMI banner). No token.",
    responses: answers(EVERY_ROUTE, {
      200: {
        description: "Ready",
        json: readiness,
        examples: {
          ready: {
            summary: "In front of Asterisk 22",
            value: {
              ready: true,
              ami: true,
              audit: true,
              amiPermissions: true,
              pbx: { asterisk: 22, amiVersion: "11.0.0", exact: true },
              pbxs: {
                default: {
                  ready: true,
                  ami: true,
                  amiPermissions: true,
                  pbx: { asterisk: 22, amiVersion: "11.0.0", exact: true },
                },
              },
            },
          },
          onePbxDown: {
            summary: "Two PBXs, floor2 down: floor1 is served",
            value: {
              ready: true,
              ami: false,
              audit: true,
              amiPermissions: false,
              pbxs: {
                floor1: {
                  ready: true,
                  ami: true,
                  amiPermissions: true,
                  pbx: { asterisk: 22, amiVersion: "11.0.0", exact: true },
                },
                floor2: {
                  ready: false,
                  ami: false,
                  amiPermissions: false,
                  problem: "not logged in to AMI: Connection refused (os error 111)",
                },
              },
            },
          },
        },
      },
      503: {
        description: "Not ready: which check fails, and what to do",
        json: readiness,
        examples: {
          permissions: {
            summary: "The AMI user may not originate",
            value: {
              ready: false,
              ami: true,
              audit: true,
              amiPermissions: false,
              ...NO_ORIGINATE,
              pbxs: {
                default: { ready: false, ami: true, amiPermissions: false, ...NO_ORIGINATE },
              },
            },
          },
        },
      },
    }),
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    tag: "probes",
    summary: "Prometheus metrics",
    description: "Requests, latency, AMI state and events, jobs by state, SSE subscribers, audit " +
      "writes. No token (restrict it at the network if needed; it holds no secret).",
    responses: answers(EVERY_ROUTE, {
      200: {
        description: "The Prometheus text format",
        content: { "text/plain": { type: "string" } },
      },
    }),
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openApiDocument",
    tag: "probes",
    summary: "This document",
    description: "The OpenAPI 3.1 contract, generated from the proxy's code (`astrix openapi` " +
      "prints the same). Generate a client from it. No token.",
    responses: answers(EVERY_ROUTE, {
      200: {
        description: "The document",
        content: { "application/json": { type: "object", required: ["openapi", "paths"] } },
      },
    }),
  },
  {
    method: "get",
    path: "/docs",
    operationId: "apiDocs",
    tag: "probes",
    summary: "Interactive API docs (Swagger UI)",
    description: "Try every route in the browser with a token (Authorize). Every asset is " +
      "served by the proxy itself: nothing is loaded from the internet. No token.",
    responses: answers(EVERY_ROUTE, {
      200: { description: "The docs page", content: { "text/html": { type: "string" } } },
    }),
  },
  {
    method: "get",
    path: "/docs/assets/:file",
    operationId: "apiDocsAsset",
    tag: "probes",
    summary: "A script or style sheet of the docs page",
    description: "Served from the binary; cached by the browser. No token.",
    params: docsAssetParams,
    requestHeaders: [IF_NONE_MATCH],
    responses: answers(EVERY_ROUTE, assetAnswers({}, "How long the browser may keep it")),
  },
  {
    method: "get",
    path: "/",
    operationId: "consolePage",
    tag: "console",
    summary: "The web console (supervisor board, recordings, audit, health)",
    description: "One page; its script and style sheet come from /console/assets, nothing from " +
      "the internet. A strict Content-Security-Policy: nothing inline, nothing evaluated, " +
      "connections only to the proxy. No token: the page logs in with POST /console/session.",
    responses: answers(EVERY_ROUTE, {
      200: {
        description: "The console's page",
        headers: CSP_HEADER,
        content: { "text/html": { type: "string" } },
      },
      304: { description: "Not modified: the browser's copy (If-None-Match) is current" },
    }),
  },
  {
    method: "get",
    path: "/console/assets/:file",
    operationId: "consoleAsset",
    tag: "console",
    summary: "The console's script or style sheet",
    description: "Built by `deno task console` and carried in the binary. No token.",
    params: consoleAssetParams,
    requestHeaders: [IF_NONE_MATCH],
    responses: answers(EVERY_ROUTE, assetAnswers(CSP_HEADER, "no-cache: asked again each load")),
  },
  {
    method: "post",
    path: "/console/session",
    operationId: "consoleLogin",
    tag: "console",
    summary: "Log the browser in with a token: a session cookie and its CSRF token",
    description: "The token is verified as bearer auth verifies it; the answer sets the " +
      "`astrix_session` cookie (HttpOnly, SameSite=Strict, Secure over TLS), which lasts as " +
      "long as the token. Send `csrfToken` as X-Astrix-CSRF on every state-changing request " +
      "the cookie authenticates. Only `application/json`, and only from the proxy's own " +
      "origin. Audited as console-login.",
    body: consoleLoginBody,
    bodyExample: { token: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..." },
    responses: answers(EVERY_ROUTE, BAD_REQUEST, TOO_LARGE, {
      200: {
        description: "Logged in",
        json: consoleSession,
        headers: SESSION_SET_COOKIE,
      },
      401: { description: "The token does not verify (the code says why)", codes: AUTH_CODES },
      403: {
        description: "Posted from another origin than the proxy's own",
        codes: ["cross_origin"],
      },
      503: {
        description: "The audit log cannot be written, so no session was made",
        codes: ["audit_unavailable"],
      },
    }),
  },
  {
    method: "get",
    path: "/console/session",
    operationId: "consoleSession",
    tag: "console",
    summary: "The browser's session: who, until when, its CSRF token",
    description: "What the console reads when it loads. Needs the `astrix_session` cookie.",
    sessionCookie: true,
    responses: answers(EVERY_ROUTE, {
      200: { description: "The live session", json: consoleSession },
      401: {
        description: "No session cookie, or its session has ended (the cookie is cleared)",
        codes: ["no_session", ...SESSION_CODES],
      },
    }),
  },
  {
    method: "post",
    path: "/console/logout",
    operationId: "consoleLogout",
    tag: "console",
    summary: "End the browser's session (its cookie is refused from now on)",
    description: "Needs the `astrix_session` cookie and X-Astrix-CSRF. Audited as " +
      "console-logout; the session ends even when the audit cannot be written.",
    sessionCookie: true,
    requestHeaders: [{ name: "X-Astrix-CSRF", description: "The session's csrfToken" }],
    responses: answers(EVERY_ROUTE, {
      204: { description: "Logged out; the cookie is cleared", headers: SESSION_SET_COOKIE },
      401: {
        description: "No session cookie, or its session has ended",
        codes: ["no_session", ...SESSION_CODES],
      },
      ...CHANGES,
    }),
  },
  {
    method: "get",
    path: "/console/login",
    operationId: "consoleLoginLink",
    tag: "console",
    summary: "Redeem one of `astrix dev`'s login links",
    description: "A code stands for a token for 10 minutes and works once; the token itself " +
      "is never in a URL. Redirects to the console logged in, or, for a code unknown, used " +
      "or expired, to the console's login with a notice. Audited as console-login.",
    query: consoleLoginQuery,
    responses: answers(EVERY_ROUTE, {
      303: {
        description: "To / with the session cookie set, or to /?login=expired",
        headers: {
          Location: {
            description: "/ or /?login=expired",
            required: true,
            schema: { enum: ["/", "/?login=expired"] },
          },
          "Set-Cookie": { description: "The session cookie, when the code was good" },
        },
      },
      503: {
        description: "The audit log cannot be written, so no session was made",
        codes: ["audit_unavailable"],
      },
    }),
  },
  {
    method: "get",
    path: "/recordings",
    operationId: "listRecordings",
    tag: "recordings",
    summary: "Search the recordings, newest first, a page at a time",
    description: "By period, extension, direction and text. A `user` sees only the calls of the " +
      "token's own extension (the extension asked for is replaced by it).",
    permission: "recordings",
    query: recordingsQuery,
    responses: answers(EVERY_ROUTE, authenticated(["no_extension"]), RECORDINGS_SOURCE, {
      200: {
        description: "A page of recordings",
        json: recordingPage,
        examples: {
          page: {
            summary: "A page of one recording",
            value: {
              recordings: [RECORDING_EXAMPLE],
              nextCursor:
                "WzE3OTU1MTYyMDAwMDAsIjIwMjYxMTI0LTEwMzAwMC0yMDEtNTU1MDE0Mi0xNzYzOTgwMjAwLjIxIl0",
            },
          },
        },
      },
      400: {
        description: "The recordings server refused the query: a bad time, limit or cursor " +
          "(field: query)",
        codes: ["bad_request"],
      },
    }),
  },
  {
    method: "get",
    path: "/recordings/:id/metadata",
    operationId: "getRecording",
    tag: "recordings",
    summary: "One recording's details",
    description: "A `user` may read only calls of the token's own extension.",
    permission: "recordings",
    params: recordingIdParams,
    responses: answers(
      EVERY_ROUTE,
      authenticated(["no_extension", "not_your_recording"]),
      RECORDINGS_SOURCE,
      RECORDING_NOT_FOUND,
      {
        200: {
          description: "The recording",
          json: recording,
          examples: { wav: { summary: "A WAV recording", value: RECORDING_EXAMPLE } },
        },
      },
    ),
  },
  {
    method: "get",
    path: "/recordings/:id/stream",
    operationId: "streamRecording",
    tag: "recordings",
    summary: "The recording's audio, with byte ranges (a player seeks with Range)",
    description: "Every GET is audited with the range asked for (HEAD is not). Conditional " +
      "requests (If-None-Match, If-Modified-Since, If-Range) are honoured.",
    permission: "recordings",
    params: recordingIdParams,
    requestHeaders: [
      { name: "Range", description: "One byte range: bytes=0-1023, bytes=500-, bytes=-500" },
      { name: "If-Range", description: "An ETag or date: the range only if the file is that one" },
      { name: "If-None-Match", description: "An ETag: 304 when the file still has it" },
      { name: "If-Modified-Since", description: "A date: 304 when the file is not newer" },
    ],
    head: true,
    responses: answers(
      EVERY_ROUTE,
      authenticated(["no_extension", "not_your_recording"]),
      RECORDINGS_SOURCE,
      RECORDING_NOT_FOUND,
      {
        200: { description: "The whole file", content: AUDIO, headers: AUDIO_HEADERS },
        206: {
          description: "The range asked for",
          content: AUDIO,
          headers: {
            ...AUDIO_HEADERS,
            "Content-Range": {
              description: "bytes START-END/SIZE",
              required: true,
              schema: { type: "string", pattern: "^bytes \\d+-\\d+/\\d+$" },
            },
          },
        },
        304: { description: "Not modified (If-None-Match or If-Modified-Since)" },
        416: {
          description: "The range is outside the file (no body)",
          headers: {
            "Content-Range": {
              description: "bytes */SIZE",
              required: true,
              schema: { type: "string", pattern: "^bytes \\*/\\d+$" },
            },
          },
        },
      },
    ),
  },
  {
    method: "get",
    path: "/ami/channels",
    operationId: "listChannels",
    tag: "pbx",
    summary: "The PBX's live channels, to pick one to listen to",
    description: "Asks each PBX the token may reach (CoreShowChannels) at every call: the list " +
      "is live, each channel with its PBX (names may repeat on several PBXs). A PBX that is " +
      "down or refuses is left out and named in unavailable; when all fail, the answer is " +
      "that error.",
    permission: "channels",
    query: channelsQuery,
    responses: answers(EVERY_ROUTE, authenticated(["not_your_pbx"]), BAD_REQUEST, PBX_ACTION, {
      200: {
        description: "The live channels",
        json: channelList,
        examples: {
          call: {
            summary: "One call between 210 and 203",
            value: {
              channels: [
                {
                  pbx: "default",
                  channel: "SIP/210-00000002",
                  state: "Up",
                  callerIdNum: "210",
                  callerIdName: "Sara Karimi",
                  connectedLineNum: null,
                  application: "Dial",
                  durationSeconds: 0,
                  uniqueId: "1796296470.2",
                  linkedId: "1796296470.2",
                },
                {
                  pbx: "default",
                  channel: "SIP/203-00000003",
                  state: "Up",
                  callerIdNum: "203",
                  callerIdName: null,
                  connectedLineNum: "210",
                  application: "AppDial",
                  durationSeconds: 0,
                  uniqueId: "1796296470.3",
                  linkedId: "1796296470.2",
                },
              ],
            },
          },
        },
      },
    }),
  },
  {
    method: "post",
    path: "/ami/originate/listen",
    operationId: "startListen",
    tag: "pbx",
    summary: "Listen to a live call (or whisper, or barge): the caller's phone rings",
    description: "The target must be live (404 channel_not_found otherwise). The answer comes " +
      "once the PBX accepted the call; follow the job (GET /ami/jobs/{id} or the event stream) " +
      "to see it ring, go active (ChanSpyStart) and end. The audio goes to the token's own " +
      "extension; only an admin may name another. With several PBXs, pbx names the target's.",
    permission: "listen",
    body: listenBody,
    bodyExample: { targetChannel: "SIP/210-00000002", mode: "listen" },
    responses: answers(
      EVERY_ROUTE,
      authenticated(["not_your_extension", "not_your_pbx"]),
      BAD_REQUEST,
      TOO_LARGE,
      PBX_ACTION,
      {
        202: {
          description: "The PBX is calling the listener's phone",
          json: jobStarted,
          examples: { dialing: { summary: "The listener's phone rings", value: LISTEN_STARTED } },
        },
        404: {
          description: "No live channel has that name",
          codes: ["channel_not_found"],
          examples: {
            gone: {
              summary: "The call has ended",
              value: {
                error: {
                  code: "channel_not_found",
                  message: 'No live channel is named "SIP/210-00000002" (names are exact: ' +
                    "list them with GET /ami/channels)",
                  requestId: "5b1f9d7e-2c3a-4e6f-8a9b-0c1d2e3f4a5b",
                },
              },
            },
          },
        },
        504: {
          description: "The PBX may have acted but its answer was lost: jobId names the job " +
            "that follows what really happens",
          codes: ["outcome_unknown"],
        },
      },
    ),
  },
  {
    method: "post",
    path: "/ami/originate/playback",
    operationId: "startPlayback",
    tag: "pbx",
    summary: "Play a recording to the caller's phone",
    description: "The phone rings; once answered it hears the recording, which the job's " +
      `controls steer (${CONTROLS_TEXT}). Only an admin may send it to another extension. ` +
      "With several PBXs, pbx names the phone's.",
    permission: "playback",
    body: playbackBody,
    bodyExample: { recordingId: "20261124-103000-201-5550142-1763980200.21" },
    responses: answers(
      EVERY_ROUTE,
      authenticated(["not_your_extension", "not_your_pbx"]),
      BAD_REQUEST,
      TOO_LARGE,
      RECORDINGS_SOURCE,
      RECORDING_NOT_FOUND,
      PBX_ACTION,
      {
        202: { description: "The PBX is calling the phone", json: jobStarted },
        504: {
          description: "The PBX may have acted but its answer was lost: jobId names the job",
          codes: ["outcome_unknown"],
        },
      },
    ),
  },
  {
    method: "post",
    path: "/ami/control/playback",
    operationId: "controlPlayback",
    tag: "jobs",
    summary: "Pause, resume, forward, reverse, restart or stop a playback",
    description: `One of ${CONTROLS_TEXT}. On Asterisk 11 (no ControlPlayback) only stop works.`,
    permission: "jobs",
    body: controlBody,
    bodyExample: { jobId: "job_eKC9dsi5qCB06TRJ8FzHmw", control: "pause" },
    responses: answers(
      EVERY_ROUTE,
      authenticated(["not_your_job", "not_your_pbx"]),
      BAD_REQUEST,
      TOO_LARGE,
      JOB_NOT_FOUND,
      PBX_ACTION,
      {
        200: { description: "The PBX took the control", json: jobAnswer },
        409: {
          description: "The job is not a playback, or not in a state that takes this control",
          codes: ["conflict"],
        },
        501: {
          description: "The PBX's Asterisk cannot do this at all (Asterisk 11: only stop)",
          codes: ["not_supported_by_pbx"],
        },
      },
    ),
  },
  {
    method: "get",
    path: "/ami/jobs",
    operationId: "listJobs",
    tag: "jobs",
    summary: "The caller's own jobs, newest first",
    description: "Every listen and playback the token's user started, while the proxy keeps " +
      "them (1 h after they end): what a console shows again after a reload. Only the caller's " +
      "own, whatever the role (an admin reads anyone's by id). Audited as jobs.list.",
    permission: "jobs",
    query: jobsQuery,
    responses: answers(EVERY_ROUTE, authenticated(), BAD_REQUEST, {
      200: {
        description: "The jobs",
        json: jobList,
        examples: {
          one: { summary: "A listen that is live", value: { jobs: [JOB_EXAMPLE.value.job] } },
        },
      },
    }),
  },
  {
    method: "get",
    path: "/ami/jobs/:id",
    operationId: "getJob",
    tag: "jobs",
    summary: "A job's state and timeline",
    description: "The caller's own jobs (admin: any).",
    permission: "jobs",
    params: jobIdParams,
    responses: answers(
      EVERY_ROUTE,
      authenticated(["not_your_job", "not_your_pbx"]),
      JOB_NOT_FOUND,
      {
        200: { description: "The job", json: jobAnswer, examples: { active: JOB_EXAMPLE } },
      },
    ),
  },
  {
    method: "post",
    path: "/ami/jobs/:id/hangup",
    operationId: "hangupJob",
    tag: "jobs",
    summary: "Hang up a job's call (by its Uniqueid: never another call)",
    description: "The caller's own jobs (admin: any). The job ends when the PBX says the call " +
      "is gone.",
    permission: "jobs",
    params: jobIdParams,
    responses: answers(
      EVERY_ROUTE,
      authenticated(["not_your_job", "not_your_pbx"]),
      JOB_NOT_FOUND,
      PBX_ACTION,
      {
        200: { description: "The PBX is hanging the call up", json: jobAnswer },
        409: { description: "The job has already ended or has no call yet", codes: ["conflict"] },
        504: {
          description: "The PBX may have hung up but its answer was lost",
          codes: ["outcome_unknown"],
        },
      },
    ),
  },
  {
    method: "get",
    path: "/ami/events",
    operationId: "events",
    tag: "events",
    summary: "The live event stream (server-sent events)",
    description: "Job changes and the PBX's AMI events as they happen. Events are numbered " +
      "(id:); reconnect with Last-Event-ID to get what was missed. A `qa` sees only its own " +
      "jobs' events. Comments (`: heartbeat`) keep idle connections open.",
    permission: "events",
    query: eventsQuery,
    requestHeaders: [
      { name: "Last-Event-ID", description: "Resume after this event id (the browser sends it)" },
    ],
    responses: answers(EVERY_ROUTE, authenticated(), BAD_REQUEST, {
      200: {
        description: "The stream: each event's name and the schema of its data are in " +
          "x-sse-events",
        content: { "text/event-stream": { type: "string" } },
        headers: {
          "Cache-Control": { description: "no-cache", required: true },
          "X-Accel-Buffering": {
            description: "no (nginx must not buffer the stream)",
            required: true,
            schema: { const: "no" },
          },
        },
      },
    }),
  },
  {
    method: "get",
    path: "/audit",
    operationId: "queryAudit",
    tag: "admin",
    summary: "Browse the audit (audit-query's filters, a page at a time), or export it as CSV",
    description: "The rows matching every filter given, newest first by default, with " +
      "`audit-query --format json`'s field names and times in UTC. Page on with `cursor` = " +
      "the previous page's `nextCursor` (the same filters and order). `format=csv`: every " +
      `matching row (at most ${CSV_ROW_CAP}: narrow since and until for more) as a download, ` +
      "audit-query's CSV (a cell that starts like a formula is prefixed with '). Each request " +
      "writes one audit row (action audit-read).",
    permission: "audit",
    query: auditQuery,
    responses: answers(EVERY_ROUTE, authenticated(), BAD_REQUEST, AUDIT_UNREADABLE, {
      200: {
        description: "A page of rows (JSON), or with format=csv every matching row (CSV)",
        json: auditPage,
        content: { "text/csv": { type: "string" } },
        headers: {
          "Content-Disposition": {
            description: 'CSV only: attachment; filename="astrix-audit.csv"',
            schema: { const: 'attachment; filename="astrix-audit.csv"' },
          },
          "X-Astrix-Row-Cap": {
            description: "CSV only: the most rows an export holds",
            schema: { type: "string", pattern: "^\\d+$" },
          },
        },
        examples: { page: { summary: "The newest two rows", value: AUDIT_PAGE_EXAMPLE } },
      },
    }),
  },
  {
    method: "get",
    path: "/audit/verify",
    operationId: "verifyAudit",
    tag: "admin",
    summary: "Check the audit's hash chain with the proxy's key (audit-query --verify)",
    description: "Reads every row and checks each against its HMAC and its predecessor, and " +
      "that the chain starts where it is recorded beside the key. Runs in a worker thread, one " +
      "at a time (a request that comes meanwhile gets the same answer): about 4.5 s per " +
      "million rows, during which the proxy serves as usual. Writes one audit row (action " +
      "audit-verify) with the outcome.",
    permission: "audit",
    responses: answers(EVERY_ROUTE, authenticated(), AUDIT_UNREADABLE, {
      200: {
        description: "What the verification found: ok false names the first row that fails",
        json: auditVerification,
        examples: VERIFY_EXAMPLES,
      },
    }),
  },
  {
    method: "get",
    path: "/status",
    operationId: "proxyStatus",
    tag: "admin",
    summary: "The health panel: PBX link, audit, event streams, jobs, uptime",
    description: "What /readyz says (the PBX and its identity, the AMI user's missing rights, " +
      "the audit's problem) and what /metrics counts (AMI reconnects and lost events, SSE " +
      "subscribers), with the jobs by state, as one object. Not audited when allowed (a panel " +
      "polls it).",
    permission: "status",
    responses: answers(EVERY_ROUTE, authenticated(), {
      200: {
        description: "The proxy's state",
        json: proxyStatus,
        examples: { healthy: { summary: "In front of Asterisk 22", value: STATUS_EXAMPLE } },
      },
    }),
  },
];

/**
 * Every route. A state-changing one can also be called with the console's session cookie,
 * which then needs X-Astrix-CSRF (403 csrf_required).
 */
export const OPERATIONS: readonly ApiOperation[] = ROUTES.map((operation) =>
  operation.method === "post" && operation.permission
    ? { ...operation, responses: answers(operation.responses, CHANGES) }
    : operation
);

/** The stream's events: name → the component schema of its data, and when it is sent. */
export const STREAM_EVENTS: Readonly<Record<string, { schema: string; description: string }>> = {
  job: { schema: "JobEvent", description: "A job changed: its state and last timeline entry" },
  ami: { schema: "AmiEvent", description: "An AMI event from the PBX" },
  gap: {
    schema: "GapEvent",
    description: "The proxy fell behind the PBX and lost events (sent to every subscriber)",
  },
  reset: {
    schema: "StreamNotice",
    description: "Last-Event-ID is older than the proxy keeps: what was missed is gone; " +
      "re-read the state (GET /ami/jobs/{id}) and go on",
  },
  overflow: {
    schema: "StreamNotice",
    description: "This reader fell too far behind and is disconnected; resume from lastId",
  },
  shutdown: { schema: "ShutdownEvent", description: "The proxy is stopping; reconnect later" },
};

/** The OpenAPI form of a Hono path: `/ami/jobs/:id` → `/ami/jobs/{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, "{$1}");
}
