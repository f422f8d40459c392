/**
 * The recordings HTTP API, as a Hono app with no network of its own:
 *
 * - `GET /recordings`: a page, newest first. Query: `from`, `to` (ISO 8601,
 *   a date alone is UTC midnight; or `24h`/`7d` ago), `extension`, `q`
 *   (text), `direction`, `limit` (1-1000, default 50), `cursor`.
 * - `GET /recordings/:id/metadata`
 * - `GET|HEAD /recordings/:id/stream`: the audio, with `Accept-Ranges`,
 *   single byte ranges (206, or 416), `ETag` / `If-None-Match` and
 *   `Last-Modified` / `If-Modified-Since` (304), `If-Range`; streamed as the
 *   client reads.
 *
 * Errors are JSON `{ "error": "..." }`.
 *
 * @example
 * ```ts
 * import { createRecordingsApp } from "./app.ts";
 * import { SyntheticCatalog } from "./synthetic.ts";
 *
 * const app = createRecordingsApp({ catalog: new SyntheticCatalog({ count: 5, seed: 1 }) });
 * const response = await app.request("/recordings?limit=2");
 * ```
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { parseTimeSpec } from "../time_spec.ts";
import type { ListQuery, Recording, RecordingCatalog } from "./catalog.ts";
import { MAX_PAGE } from "./catalog.ts";
import { InvalidCursorError } from "./errors.ts";
import type { Direction } from "./monitor_names.ts";
import { ifRangeHolds, noneMatch, notModifiedSince, parseRange } from "./range.ts";

/** Dependencies of {@linkcode createRecordingsApp}. */
export interface RecordingsAppOptions {
  catalog: RecordingCatalog;
  /** Clock for relative `from`/`to`; default Date.now. */
  now?: () => number;
  /** Told about unexpected errors (answered 500). */
  onError?: (error: unknown) => void;
}

/** A recording as the API shows it. */
export interface RecordingJson {
  id: string;
  /** The path Asterisk plays, under its spool folder, without extension. */
  file: string;
  /** ISO 8601, UTC. */
  startedAt: string;
  durationMs: number | null;
  src: string | null;
  dst: string | null;
  callerId: Recording["callerId"];
  direction: Recording["direction"];
  format: Recording["format"];
  contentType: string;
  codec: string;
  sampleRate: number | null;
  channels: number | null;
  /** Bytes. */
  size: number;
  /** Relative URL of the audio. */
  streamUrl: string;
}

/** The recording in the API's JSON form. */
export function recordingJson(r: Recording): RecordingJson {
  return {
    id: r.id,
    file: r.file,
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.durationMs,
    src: r.src,
    dst: r.dst,
    callerId: r.callerId,
    direction: r.direction,
    format: r.format,
    contentType: r.contentType,
    codec: r.codec,
    sampleRate: r.sampleRate,
    channels: r.channels,
    size: r.size,
    streamUrl: `/recordings/${encodeURIComponent(r.id)}/stream`,
  };
}

const DIRECTIONS: Direction[] = ["inbound", "outbound", "internal", "unknown"];
const EXTENSIONS: Record<string, string> = { wav: "wav", gsm: "gsm", mp3: "mp3" };

/** Ranges shorter than this are read in one go rather than streamed. */
const SMALL_RANGE = 256 * 1024;

class BadRequest extends Error {}

/** Builds the app over a catalog. */
export function createRecordingsApp(options: RecordingsAppOptions): Hono {
  const { catalog } = options;
  const now = options.now ?? Date.now;
  const app = new Hono();

  app.get("/recordings", async (c) => {
    const query = listQuery(c.req.query(), now());
    const page = await catalog.list(query);
    return c.json({
      recordings: page.recordings.map(recordingJson),
      nextCursor: page.nextCursor ?? null,
    });
  });

  app.get("/recordings/:id/metadata", async (c) => {
    const recording = await catalog.get(c.req.param("id"));
    if (!recording) return notFound(c);
    return c.json(recordingJson(recording));
  });

  // GET answers HEAD too (Hono routes HEAD to GET handlers and drops the body).
  app.get("/recordings/:id/stream", async (c) => {
    const opened = await catalog.open(c.req.param("id"));
    if (!opened) return notFound(c);
    const r = opened.recording;
    const headers = new Headers({
      "Accept-Ranges": "bytes",
      "ETag": r.etag,
      "Last-Modified": new Date(r.lastModified).toUTCString(),
      "Cache-Control": "no-cache",
    });
    const answer = (
      status: number,
      body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null = null,
    ) => {
      if (!body) void opened.close();
      return new Response(body, { status, headers });
    };
    const ifNoneMatch = c.req.header("If-None-Match") ?? null;
    if (
      noneMatch(ifNoneMatch, r.etag) ||
      (ifNoneMatch === null &&
        notModifiedSince(c.req.header("If-Modified-Since") ?? null, r.lastModified))
    ) return answer(304);

    headers.set("Content-Type", r.contentType);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set(
      "Content-Disposition",
      `inline; filename="${r.id.replace(/[^\w.+-]/g, "_")}.${EXTENSIONS[r.format]}"`,
    );
    let range = parseRange(c.req.header("Range") ?? null, r.size);
    if (!ifRangeHolds(c.req.header("If-Range") ?? null, r.etag, r.lastModified)) {
      range = { kind: "full" };
    }
    if (range.kind === "unsatisfiable") {
      headers.set("Content-Range", `bytes */${r.size}`);
      headers.delete("Content-Type");
      return answer(416);
    }
    const [start, end, status] = range.kind === "partial"
      ? [range.start, range.end, 206]
      : [0, r.size - 1, 200];
    if (range.kind === "partial") headers.set("Content-Range", `bytes ${start}-${end}/${r.size}`);
    headers.set("Content-Length", String(end - start + 1));
    if (c.req.method === "HEAD" || end < start) return answer(status);
    // A player's seek asks for a slice: read it at once. Whole files are streamed as read.
    if (end - start < SMALL_RANGE) return answer(status, await opened.bytes(start, end));
    return answer(status, opened.stream(start, end));
  });

  app.notFound(notFound);
  app.onError((error, c) => {
    if (error instanceof BadRequest || error instanceof InvalidCursorError) {
      return c.json({ error: error.message }, 400);
    }
    options.onError?.(error);
    return c.json({ error: "Internal error: the server's log says more" }, 500);
  });
  return app;
}

function notFound(c: Context): Response {
  return c.json({ error: "No such recording or endpoint" }, 404);
}

function listQuery(params: Record<string, string>, now: number): ListQuery {
  const time = (name: string) => {
    const value = params[name];
    if (value === undefined || value === "") return undefined;
    const ms = parseTimeSpec(value, now, { utc: true });
    if (ms === undefined) {
      throw new BadRequest(`${name}="${value}" is not a time: use ISO 8601 or 24h / 7d`);
    }
    return ms;
  };
  let limit: number | undefined;
  if (params.limit !== undefined) {
    limit = Number(params.limit);
    if (!/^\d+$/.test(params.limit) || limit < 1 || limit > MAX_PAGE) {
      throw new BadRequest(`limit="${params.limit}" must be a whole number from 1 to ${MAX_PAGE}`);
    }
  }
  const direction = params.direction as Direction | undefined;
  if (direction !== undefined && !DIRECTIONS.includes(direction)) {
    throw new BadRequest(`direction="${direction}" must be one of ${DIRECTIONS.join(", ")}`);
  }
  return {
    from: time("from"),
    to: time("to"),
    extension: params.extension || undefined,
    text: params.q || undefined,
    direction,
    limit,
    cursor: params.cursor || undefined,
  };
}
