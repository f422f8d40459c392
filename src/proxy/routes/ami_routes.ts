/**
 * The PBX routes: active channels, listen, playback, playback control, jobs,
 * hangup and the live event stream, each on its PBX (see `pbx_scope.ts`).
 * The proxy builds every AMI action itself: a client names a PBX, a channel,
 * an extension (its own unless admin) or a recording id, never an
 * application, option string or file.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import type { Principal } from "../auth.ts";
import { BadRequestError, ForbiddenError, NotFoundError, ProxyError } from "../errors.ts";
import type { NamedPbx } from "../backends/pbxs.ts";
import type { HubEvent } from "../event_hub.ts";
import { isFinal, type Job } from "../jobs.ts";
import { scopeOf } from "../roles.ts";
import {
  channelsQuery,
  controlBody,
  eventsQuery,
  jobsQuery,
  listenBody,
  playbackBody,
} from "../api/schemas.ts";
import { parseWith } from "../validation.ts";
import { audited, auditRead, guard, mayReach, principalOf } from "./guard.ts";
import { jobPbx, listChannels, listedPbxs, requestedPbx, requireReady } from "./pbx_scope.ts";

/** The routes under `/ami`. */
export function amiRoutes(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.get("/ami/channels", async (c) => {
    const query = parseWith(channelsQuery, c.req.query(), "query");
    guard(c, { action: "channels" }, "channels");
    // CoreShowChannels reaches each PBX: an attempt row first, as for every PBX action.
    const { channels, unavailable } = await listChannels(
      deps,
      c,
      listedPbxs(deps, c, query.pbx),
    );
    return c.json({ channels, ...(unavailable.length > 0 ? { unavailable } : {}) });
  });

  app.post("/ami/originate/listen", async (c) => {
    const body = parseWith(listenBody, await jsonBody(c));
    guard(c, { action: body.mode, target: body.targetChannel }, "listen");
    const pbx = requestedPbx(deps, c, body.pbx);
    const extension = audioExtension(principalOf(c), body.listenerExtension, "listenerExtension");
    requireReady(pbx);
    const job = await audited(deps, c, { detail: { mode: body.mode, extension } }, async () => {
      // The target must be live before anyone's phone rings (404 channel_not_found).
      const target = await pbx.backend.findTarget(body.targetChannel);
      const job = newJob(deps, c, {
        kind: "listen",
        pbx: pbx.name,
        extension,
        target: body.targetChannel,
        mode: body.mode,
      });
      await pbx.backend.startListen({
        job,
        listenerChannel: dialChannel(deps, extension),
        target,
        mode: body.mode,
      });
      return { status: 202, result: job, jobId: job.id };
    });
    return c.json({ jobId: job.id, job }, 202);
  });

  app.post("/ami/originate/playback", async (c) => {
    const body = parseWith(playbackBody, await jsonBody(c));
    guard(c, { action: "playback", target: body.recordingId }, "playback");
    const pbx = requestedPbx(deps, c, body.pbx);
    const extension = audioExtension(principalOf(c), body.targetExtension, "targetExtension");
    if (!deps.recordings) throw noRecordings();
    const recording = await deps.recordings.metadata(body.recordingId);
    if (!recording) throw new NotFoundError(`No recording "${body.recordingId}"`);
    requireReady(pbx);
    const file = `${deps.spoolDir.replace(/\/+$/, "")}/${recording.file}`;
    const job = await audited(deps, c, { detail: { extension, file } }, async () => {
      const job = newJob(deps, c, {
        kind: "playback",
        pbx: pbx.name,
        extension,
        target: body.recordingId,
      });
      await pbx.backend.startPlayback({
        job,
        listenerChannel: dialChannel(deps, extension),
        file,
      });
      return { status: 202, result: job, jobId: job.id };
    });
    return c.json({ jobId: job.id, job }, 202);
  });

  app.post("/ami/control/playback", async (c) => {
    const body = parseWith(controlBody, await jsonBody(c));
    const { job, pbx } = ownJob(deps, c, body.jobId, "control");
    requireReady(pbx);
    await audited(deps, c, { detail: { control: body.control } }, async () => {
      await pbx.backend.control(job, body.control);
      return { status: 200, result: job };
    });
    return c.json({ job });
  });

  app.get("/ami/jobs", async (c) => {
    const query = parseWith(jobsQuery, c.req.query(), "query");
    guard(c, { action: "jobs.list" }, "jobs");
    const limit = query.limit ?? 50;
    const principal = principalOf(c);
    const shown = (job: Job) =>
      mayReach(principal, job.pbx) && (query.state !== "live" || !isFinal(job.status));
    const filtering = query.state === "live" || principal.pbx !== undefined;
    const jobs = deps.jobs.ownedBy(principal.userId, filtering ? Infinity : limit).filter(shown)
      .slice(0, limit);
    await auditRead(deps, c, 200, { count: jobs.length });
    return c.json({ jobs });
  });

  app.get("/ami/jobs/:id", async (c) => {
    const { job } = ownJob(deps, c, c.req.param("id"), "job.read");
    await auditRead(deps, c, 200);
    return c.json({ job });
  });

  app.post("/ami/jobs/:id/hangup", async (c) => {
    const { job, pbx } = ownJob(deps, c, c.req.param("id"), "hangup");
    requireReady(pbx);
    await audited(deps, c, {}, async () => {
      await pbx.backend.hangup(job);
      return { status: 200, result: job };
    });
    return c.json({ job });
  });

  app.get("/ami/events", async (c) => {
    const query = parseWith(eventsQuery, c.req.query(), "query");
    const scope = guard(c, { action: "events", target: query.job ?? null }, "events");
    const principal = principalOf(c);
    const names = query.event?.split(",").map((name) => name.trim()).filter(Boolean);
    // A gap may have swallowed events of any job of its PBX: every subscriber that may reach
    // the PBX is told, whatever its filter.
    const filter = (event: HubEvent) =>
      (event.pbx === undefined || mayReach(principal, event.pbx)) &&
      (event.event === "gap" ||
        (scope === "all" || event.owner === principal.userId) &&
          (query.job === undefined || event.jobId === query.job) &&
          (names === undefined || names.includes(event.event) ||
            names.includes((event.data as { event?: string })?.event ?? "")));
    await auditRead(deps, c, 200, { job: query.job, event: query.event });
    const stream = deps.hub.subscribe({
      lastEventId: c.req.header("last-event-id") ?? null,
      filter,
      signal: c.req.raw.signal,
    });
    return c.body(stream, 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
  });

  return app;
}

/**
 * A job the caller may act on, and its PBX: 404 if unknown, 403 (audited)
 * if someone else's without `all` or on a PBX the token may not reach. Its
 * audit rows name the job, what it targets and its PBX.
 */
function ownJob(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  jobId: string,
  action: string,
): { job: Job; pbx: NamedPbx } {
  const scope = guard(c, { action, target: jobId, jobId }, "jobs");
  const job = deps.jobs.get(jobId);
  if (!job) throw new NotFoundError(`No job "${jobId}" (jobs are kept for a while after they end)`);
  if (scope !== "all" && job.owner !== principalOf(c).userId) {
    throw new ForbiddenError("not_your_job", `Job ${jobId} belongs to another user`);
  }
  c.set("audit", { action, target: job.target, jobId });
  return { job, pbx: jobPbx(deps, c, job) };
}

/** A queued job of the caller's. */
function newJob(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  fields: Pick<Job, "kind" | "pbx" | "extension" | "target" | "mode">,
): Job {
  const principal = principalOf(c);
  return deps.jobs.create({ ...fields, owner: principal.userId, ownerRole: principal.role });
}

/** The extension the audio goes to: the caller's own, or (admin only) the one asked for. */
function audioExtension(
  principal: Principal,
  asked: string | undefined,
  field: "listenerExtension" | "targetExtension",
): string {
  if (asked !== undefined && asked !== principal.ext) {
    if (!scopeOf(principal.role, "audioToAnyExtension")) {
      throw new ForbiddenError(
        "not_your_extension",
        `Only an admin may send audio to another extension than the token's own (${
          principal.ext ?? "none"
        })`,
      );
    }
    return asked;
  }
  if (principal.ext === null) {
    throw new BadRequestError(
      "The token has no ext claim: name the extension that should ring (admin only), or use a token with ext",
      field,
    );
  }
  return principal.ext;
}

function dialChannel(deps: ProxyDeps, extension: string): string {
  return deps.dialTemplate.replaceAll("{ext}", extension);
}

function noRecordings(): ProxyError {
  return new ProxyError(
    503,
    "no_recordings_source",
    "The proxy has no recordings source: start it with --recordings URL|DIR",
  );
}

async function jsonBody(c: Context<ProxyEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new BadRequestError("Send the body as JSON (Content-Type: application/json)", "body");
  }
  try {
    return await c.req.json();
  } catch (error) {
    if (error instanceof ProxyError) throw error; // the body limit
    throw new BadRequestError("The body is not valid JSON", "body");
  }
}

export { noRecordings };
