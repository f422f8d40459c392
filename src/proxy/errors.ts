/**
 * The proxy's errors: each carries the HTTP status and a stable code that
 * clients can switch on. `toHttpError` maps every error the proxy can meet
 * (its own, the audit's, the AMI module's) to one answer, in one place.
 *
 * @module
 */

import {
  AmiConnectionError,
  AmiDisconnectedError,
  AmiError,
  AmiInjectionError,
  AmiTimeoutError,
} from "../ami/mod.ts";
import { AuditUnavailableError } from "../audit/mod.ts";

/** An error the proxy answers with `status` and `{error: {code, message}}`. */
export class ProxyError extends Error {
  override name = "ProxyError";
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.code = code;
  }
}

/** 401: no token, or one that does not verify. */
export class AuthError extends ProxyError {
  override name = "AuthError";
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(401, code, message, options);
  }
}

/** 403: a valid token whose role or ownership does not allow the request. */
export class ForbiddenError extends ProxyError {
  override name = "ForbiddenError";
  constructor(code: string, message: string) {
    super(403, code, message);
  }
}

/** 401: a console route was called without the `astrix_session` cookie. */
export class NoSessionError extends AuthError {
  override name = "NoSessionError";
  constructor() {
    super("no_session", "No console session: log in with POST /console/session");
  }
}

/** 401: the `astrix_session` cookie names no live session (logged out, expired, proxy restarted). */
export class SessionExpiredError extends AuthError {
  override name = "SessionExpiredError";
  constructor() {
    super(
      "session_expired",
      "The console session has ended (logged out, its token expired, or the proxy restarted): " +
        "log in again",
    );
  }
}

/** 403: a state-changing request authenticated by the session cookie lacks the session's CSRF token. */
export class CsrfError extends ForbiddenError {
  override name = "CsrfError";
  constructor() {
    super(
      "csrf_required",
      "A request authenticated by the session cookie that changes anything must carry " +
        "X-Astrix-CSRF: <the session's csrfToken> (from POST or GET /console/session)",
    );
  }
}

/** 403: a console login posted from another origin than the proxy's own. */
export class CrossOriginLoginError extends ForbiddenError {
  override name = "CrossOriginLoginError";
  constructor(origin: string, own: string) {
    super(
      "cross_origin",
      `A console login must come from the proxy's own origin ${own}, not "${origin}": ` +
        "log in from the console the proxy serves",
    );
  }
}

/** 400: the request's body or query is wrong; names the field. */
export class BadRequestError extends ProxyError {
  override name = "BadRequestError";
  readonly field?: string;
  constructor(message: string, field?: string) {
    super(400, "bad_request", message);
    this.field = field;
  }
}

/** 404. */
export class NotFoundError extends ProxyError {
  override name = "NotFoundError";
  constructor(message: string) {
    super(404, "not_found", message);
  }
}

/** 409: the job is not in a state that allows this. */
export class ConflictError extends ProxyError {
  override name = "ConflictError";
  constructor(message: string) {
    super(409, "conflict", message);
  }
}

/** 501: the PBX's Asterisk version cannot do this at all (not a permission: no setting fixes it). */
export class NotSupportedByPbxError extends ProxyError {
  override name = "NotSupportedByPbxError";
  constructor(message: string) {
    super(501, "not_supported_by_pbx", message);
  }
}

/**
 * 504: the action reached (or may have reached) the PBX and its answer was lost;
 * `jobId` names the job that follows what really happened.
 */
export class OutcomeUnknownError extends ProxyError {
  override name = "OutcomeUnknownError";
  readonly jobId: string;
  constructor(jobId: string, message: string, options?: ErrorOptions) {
    super(504, "outcome_unknown", message, options);
    this.jobId = jobId;
  }
}

/** A token that would not be accepted cannot be signed: `claim` names the claim at fault. */
export class InvalidClaimError extends Error {
  override name = "InvalidClaimError";
  readonly claim: string;
  constructor(claim: string, problem: string) {
    super(
      `Cannot sign a token whose ${claim} claim ${problem}: the proxy would refuse it ` +
        "(claims are plain text without control characters)",
    );
    this.claim = claim;
  }
}

/** The proxy cannot start with this configuration (a usage error: exit 2). */
export class ProxyConfigError extends Error {
  override name = "ProxyConfigError";
}

/** An answer for any error: status, code, message safe to show. */
export interface HttpError {
  status: number;
  code: string;
  message: string;
  /** False for errors the client cannot fix and the log should explain (5xx from a bug). */
  expected: boolean;
}

/** Maps any error to the answer the client gets. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof ProxyError) {
    return { status: error.status, code: error.code, message: error.message, expected: true };
  }
  if (error instanceof AuditUnavailableError) {
    return {
      status: 503,
      code: "audit_unavailable",
      message: "The audit log cannot be written, so nothing was sent to the PBX; try again later",
      expected: true,
    };
  }
  if (error instanceof AmiInjectionError) {
    // Our own refusal to send a value, not the PBX's: the request carried it.
    return { status: 400, code: "bad_request", message: error.message, expected: true };
  }
  if (error instanceof AmiTimeoutError) {
    return {
      status: 504,
      code: "ami_timeout",
      message: "The PBX did not answer in time (what was asked may still happen)",
      expected: true,
    };
  }
  if (error instanceof AmiConnectionError || error instanceof AmiDisconnectedError) {
    return {
      status: 503,
      code: "ami_unavailable",
      message: "The PBX is not connected; the proxy is reconnecting, try again shortly",
      expected: true,
    };
  }
  if (error instanceof AmiError) {
    return {
      status: 502,
      code: "ami_error",
      message: `The PBX refused: ${error.message}`,
      expected: true,
    };
  }
  return {
    status: 500,
    code: "internal",
    message: "Internal error: the proxy's log has the details",
    expected: false,
  };
}
