/**
 * What every route does before and around acting: name its audit subject,
 * check the caller's role and the PBX it acts on against the token's `pbx`
 * claim (a refusal becomes a `denied` row through the app's error handler),
 * and wrap a PBX action in its `attempt` row (written
 * first: if it cannot be, nothing is sent) and its result row.
 *
 * @module
 */

import type { Context } from "hono";
import type { Principal } from "../auth.ts";
import { ForbiddenError, OutcomeUnknownError, toHttpError } from "../errors.ts";
import { type Permission, type Scope, scopeOf } from "../roles.ts";
import type { AuditSubject, ProxyDeps, ProxyEnv } from "../app.ts";
import { requestContext, withPbx } from "../app.ts";
import type { TrailEntry } from "../audit_trail.ts";

/** The verified caller (the auth middleware ran). */
export function principalOf(c: Context<ProxyEnv>): Principal {
  return c.get("principal")!;
}

/** Names what the request is about, for its audit rows; returns the caller's scope for `permission`. */
export function guard(c: Context<ProxyEnv>, subject: AuditSubject, permission: Permission): Scope {
  c.set("audit", subject);
  const principal = principalOf(c);
  const scope = scopeOf(principal.role, permission);
  if (!scope) {
    throw new ForbiddenError(
      "forbidden_role",
      `The ${principal.role} role may not do this (${subject.action})`,
    );
  }
  return scope;
}

/** May the caller reach PBX `name`? A token's `pbx` claim limits it to the PBXs it names. */
export function mayReach(principal: Principal, name: string): boolean {
  return principal.pbx === undefined || principal.pbx.includes(name);
}

/**
 * Names the PBX the request acts on, for its audit rows (`detail.pbx`), then
 * refuses it (403 `not_your_pbx`) unless the token may reach it.
 */
export function guardPbx(c: Context<ProxyEnv>, name: string): void {
  c.set("audit", { ...c.get("audit")!, pbx: name });
  const principal = principalOf(c);
  if (!mayReach(principal, name)) {
    throw new ForbiddenError(
      "not_your_pbx",
      `The token may not reach the PBX "${name}" (its pbx claim names ${
        principal.pbx!.join(", ")
      })`,
    );
  }
}

/** Writes the one row of a request that reads (no PBX action); the answer waits for it. */
export async function auditRead(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  status: number,
  detail?: unknown,
): Promise<void> {
  const subject = c.get("audit")!;
  await deps.trail.write(requestContext(c)!, {
    ...subject,
    outcome: "ok",
    status,
    detail: withPbx(subject, detail),
  });
}

/**
 * Runs a PBX action between its `attempt` row and its result row. The
 * result row is written after the PBX acted; if that write fails the
 * answer stands (the attempt row is there) and the failure is logged.
 */
export async function audited<T>(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  entry: Partial<Omit<TrailEntry, "outcome" | "status">>,
  run: () => Promise<{ status: number; result: T; jobId?: string }>,
): Promise<T> {
  const request = requestContext(c)!;
  const subject = c.get("audit")!;
  const row = { ...subject, ...entry, detail: withPbx(subject, entry.detail) };
  await deps.trail.write(request, { ...row, outcome: "attempt" });
  let outcome: { status: number; result: T; jobId?: string };
  try {
    outcome = await run();
  } catch (error) {
    await resultRow(deps, request, {
      ...row,
      // A call whose outcome is unknown has a job that follows it: the row names it.
      jobId: error instanceof OutcomeUnknownError ? error.jobId : row.jobId,
      outcome: "error",
      status: toHttpError(error).status,
      detail: {
        ...(row.detail as object ?? {}),
        error: (error as Error).message,
      },
    });
    throw error;
  }
  await resultRow(deps, request, {
    ...row,
    jobId: outcome.jobId ?? row.jobId,
    outcome: "ok",
    status: outcome.status,
  });
  return outcome.result;
}

async function resultRow(
  deps: ProxyDeps,
  request: ReturnType<typeof requestContext>,
  entry: TrailEntry,
): Promise<void> {
  try {
    await deps.trail.write(request!, entry);
  } catch (error) {
    deps.logger.error("audit result row not written (the action already ran)", {
      requestId: request!.requestId,
      error,
    });
  }
}
