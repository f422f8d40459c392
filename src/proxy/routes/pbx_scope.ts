/**
 * Which PBX a PBX route acts on: the one a listen or playback names (or the
 * only one), the job's own for control and hangup, every PBX the token may
 * reach for the channel list. Unknown names are 400 and names the token's
 * `pbx` claim leaves out are 403 (audited as denied); a PBX that is down
 * answers 503 for itself and leaves the others served.
 *
 * @module
 */

import type { Context } from "hono";
import { AuditUnavailableError } from "../../audit/mod.ts";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import type { ChannelInfo } from "../backends/backend.ts";
import type { NamedPbx } from "../backends/pbxs.ts";
import { ForbiddenError, ProxyError, toHttpError } from "../errors.ts";
import type { Job } from "../jobs.ts";
import { audited, guardPbx, mayReach, principalOf } from "./guard.ts";

/** A live channel and the PBX it is on. */
export type PbxChannel = ChannelInfo & { pbx: string };

/** A PBX whose channels could not be listed, and why. */
export interface UnavailablePbx {
  pbx: string;
  error: string;
}

/** The PBX a request names (or the only one): 400 if unknown, 403 if the token may not reach it. */
export function requestedPbx(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  name: string | undefined,
): NamedPbx {
  const pbx = deps.pbxs.pick(name);
  guardPbx(c, pbx.name);
  return pbx;
}

/** The PBX of a job the caller may act on: 403 if the token may not reach it. */
export function jobPbx(deps: ProxyDeps, c: Context<ProxyEnv>, job: Job): NamedPbx {
  guardPbx(c, job.pbx);
  return deps.pbxs.pick(job.pbx);
}

/** Refuses at once (503) while the PBX is not connected: nothing is sent or audited. */
export function requireReady({ name, backend }: NamedPbx): void {
  if (backend.ready) return;
  throw new ProxyError(
    503,
    "ami_unavailable",
    `The PBX "${name}" is not connected; the proxy is reconnecting, try again shortly`,
  );
}

/**
 * The PBXs `GET /ami/channels` lists: the one `?pbx=` names, else every
 * PBX the token may reach (403 when it reaches none of them).
 */
export function listedPbxs(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  name: string | undefined,
): NamedPbx[] {
  const all = deps.pbxs.all();
  if (name !== undefined || all.length === 1) return [requestedPbx(deps, c, name)];
  const principal = principalOf(c);
  const reached = all.filter((pbx) => mayReach(principal, pbx.name));
  if (reached.length === 0) {
    throw new ForbiddenError(
      "not_your_pbx",
      `The token may reach none of this proxy's PBXs (${deps.pbxs.names.join(", ")})`,
    );
  }
  return reached;
}

/**
 * The live channels of `pbxs`, each CoreShowChannels between its own
 * attempt and result rows. A PBX that is down or refuses is left out and
 * named in `unavailable`; when every one fails, or the audit cannot be
 * written, the request fails with that error.
 */
export async function listChannels(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  pbxs: readonly NamedPbx[],
): Promise<{ channels: PbxChannel[]; unavailable: UnavailablePbx[] }> {
  const settled = await Promise.allSettled(pbxs.map(async (pbx) => {
    requireReady(pbx);
    const listed = await audited(deps, c, { detail: { pbx: pbx.name } }, async () => {
      return { status: 200, result: await pbx.backend.channels() };
    });
    return listed.map((channel) => ({ ...channel, pbx: pbx.name }));
  }));
  const failures = settled.flatMap((result, i) =>
    result.status === "rejected" ? [{ pbx: pbxs[i].name, error: result.reason }] : []
  );
  const fatal = failures.find((failure) => failure.error instanceof AuditUnavailableError) ??
    (failures.length === pbxs.length ? failures[0] : undefined);
  if (fatal) throw fatal.error;
  return {
    channels: settled.flatMap((result) => result.status === "fulfilled" ? result.value : []),
    unavailable: failures.map(({ pbx, error }) => ({ pbx, error: toHttpError(error).message })),
  };
}
