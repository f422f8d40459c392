/**
 * The recordings routes, passed through to the recordings source with the
 * caller's rights applied: a `user` sees only calls of its own extension.
 * Every read is audited (a player's seeks included: each is a request).
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import { BadRequestError, ForbiddenError, NotFoundError, ProxyError } from "../errors.ts";
import type { RecordingJson } from "../../recordings/app.ts";
import { refuseControlCharacters } from "../validation.ts";
import { auditRead, guard, principalOf } from "./guard.ts";
import { noRecordings } from "./ami_routes.ts";

/** `/recordings`, `/recordings/:id/metadata`, `/recordings/:id/stream`. */
export function recordingsRoutes(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.get("/recordings", async (c) => {
    const scope = guard(c, { action: "recordings.list" }, "recordings");
    const source = deps.recordings ?? (() => {
      throw noRecordings();
    })();
    const query = new URL(c.req.url).searchParams;
    refuseControlCharacters(Object.fromEntries(query), "query");
    if (scope === "own") query.set("extension", ownExtension(c));
    const response = await source.forward(`/recordings?${query}`, c.req.raw);
    await auditRead(deps, c, response.status, { query: Object.fromEntries(query) });
    if (!response.ok) throw await upstreamError(response);
    return response;
  });

  app.get("/recordings/:id/metadata", async (c) => {
    const recording = await allowedRecording(deps, c, "recordings.metadata");
    await auditRead(deps, c, 200);
    return c.json(recording);
  });

  app.get("/recordings/:id/stream", async (c) => {
    await allowedRecording(deps, c, "recordings.stream");
    const response = await deps.recordings!.forward(
      `/recordings/${encodeURIComponent(c.req.param("id"))}/stream`,
      c.req.raw,
    );
    if (c.req.method !== "HEAD") {
      await auditRead(deps, c, response.status, { range: c.req.header("range") ?? null });
    }
    if (!PASSED_THROUGH.has(response.status)) throw await upstreamError(response);
    return response;
  });

  return app;
}

/** The recording named in the path, if the caller may have it. */
async function allowedRecording(
  deps: ProxyDeps,
  c: Context<ProxyEnv>,
  action: string,
): Promise<RecordingJson> {
  const id = c.req.param("id")!;
  const scope = guard(c, { action, target: id }, "recordings");
  if (!deps.recordings) throw noRecordings();
  const recording = await deps.recordings.metadata(id);
  if (!recording) throw new NotFoundError(`No recording "${id}"`);
  if (scope === "own") {
    const ext = ownExtension(c);
    if (![recording.src, recording.dst, recording.callerId?.number].includes(ext)) {
      throw new ForbiddenError(
        "not_your_recording",
        `Recording ${id} is not a call of extension ${ext}`,
      );
    }
  }
  return recording;
}

/** Stream answers the client gets as the recordings server sent them: the media, or why not. */
const PASSED_THROUGH = new Set([200, 206, 304, 416]);

/**
 * The recordings server's refusal (`{"error": "..."}`) as the proxy's own
 * error: its 400 (a bad time, limit or cursor) stays a 400 the client can
 * fix, its 404 (a file gone since it was listed) a 404; anything else is the
 * server's failure, 502.
 */
async function upstreamError(response: Response): Promise<ProxyError> {
  const text = await response.text();
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text);
    if (typeof body?.error === "string") message = body.error;
  } catch { /* not JSON: its text */ }
  if (response.status === 404) return new NotFoundError(message);
  return response.status === 400 ? new BadRequestError(message, "query") : new ProxyError(
    502,
    "recordings_unavailable",
    `The recordings server answered ${response.status}: ${message}`,
  );
}

function ownExtension(c: Context<ProxyEnv>): string {
  const ext = principalOf(c).ext;
  if (ext === null) {
    throw new ForbiddenError(
      "no_extension",
      "The token has no ext claim, so it has no recordings of its own",
    );
  }
  return ext;
}
