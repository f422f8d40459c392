/**
 * The recordings a server offers, whatever their source (a synthetic set or
 * a directory): what each one is, how a page of them is chosen, and how one
 * is opened for streaming. Ids are keys into the catalog, never paths.
 *
 * @module
 */

import { InvalidCursorError } from "./errors.ts";
import type { AudioFormat } from "./media_info.ts";
import type { Direction } from "./monitor_names.ts";

/** One recording's metadata. */
export interface Recording {
  /** URL-safe and stable: the file's base name for a directory. */
  id: string;
  /** Its path in the catalog without extension, `/`-separated: what Asterisk plays, under the spool folder. */
  file: string;
  /** Who called: an extension or an outside number; null when unknown. */
  src: string | null;
  /** Who was called. */
  dst: string | null;
  callerId: { name: string | null; number: string } | null;
  direction: Direction;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs: number | null;
  /** Bytes. */
  size: number;
  format: AudioFormat;
  contentType: string;
  codec: string;
  sampleRate: number | null;
  channels: number | null;
  /** Milliseconds since the epoch. */
  lastModified: number;
  /** A strong ETag, quoted. */
  etag: string;
}

/** A recording opened for reading: its metadata as of now, and its bytes. */
export interface OpenedRecording {
  recording: Recording;
  /** Bytes `start` to `end` inclusive, read as the consumer pulls them; releases the file when done. */
  stream(start: number, end: number): ReadableStream<Uint8Array>;
  /** Bytes `start` to `end` inclusive at once (for small ranges); releases the file. */
  bytes(start: number, end: number): Promise<Uint8Array<ArrayBuffer>>;
  /** Releases the file when no stream was taken (a stream releases it when done or cancelled). */
  close(): Promise<void>;
}

/** Filters of a listing; all optional. */
export interface ListQuery {
  /** Started at or after (ms). */
  from?: number;
  /** Started before (ms). */
  to?: number;
  /** Matches src, dst or the caller id number. */
  extension?: string;
  /** Case-insensitive text in id, src, dst or caller id. */
  text?: string;
  direction?: Direction;
  /** Default 50. */
  limit?: number;
  /** From a previous page's nextCursor. */
  cursor?: string;
}

/** A page of recordings, newest first. */
export interface RecordingPage {
  recordings: Recording[];
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor?: string;
}

/** Where recordings come from. */
export interface RecordingCatalog {
  /** A page of recordings matching `query`, newest first. */
  list(query: ListQuery): Promise<RecordingPage>;
  /** One recording, or undefined. */
  get(id: string): Promise<Recording | undefined>;
  /** Opens one recording for reading, or undefined if there is no such id (any more). */
  open(id: string): Promise<OpenedRecording | undefined>;
  /**
   * The file Asterisk must play for it: `spoolDir` joined with its path in
   * the catalog, without the extension (Asterisk picks the format).
   */
  playbackPath(recording: Recording, spoolDir: string): string;
  /** Stops background work. */
  close(): void;
}

/** The most a page holds. */
export const MAX_PAGE = 1_000;
/** A page's size when the query does not say. */
export const DEFAULT_PAGE = 50;

/** The page of `recordings` (sorted newest first, see {@linkcode newestFirst}) that `query` selects. */
export function selectPage(recordings: readonly Recording[], query: ListQuery): RecordingPage {
  const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_PAGE), MAX_PAGE);
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const text = query.text?.toLowerCase();
  const page: Recording[] = [];
  for (const r of recordings) {
    if (after && newestFirst(r, after) <= 0) continue;
    if (query.from !== undefined && r.startedAt < query.from) continue;
    if (query.to !== undefined && r.startedAt >= query.to) continue;
    if (query.direction !== undefined && r.direction !== query.direction) continue;
    if (
      query.extension !== undefined && r.src !== query.extension && r.dst !== query.extension &&
      r.callerId?.number !== query.extension
    ) continue;
    if (text !== undefined && !searchText(r).includes(text)) continue;
    if (page.length === limit) {
      const last = page[limit - 1];
      return { recordings: page, nextCursor: encodeCursor(last) };
    }
    page.push(r);
  }
  return { recordings: page };
}

/** Sort order of listings: newest first, then by id. */
export function newestFirst(
  a: Pick<Recording, "startedAt" | "id">,
  b: Pick<Recording, "startedAt" | "id">,
): number {
  return b.startedAt - a.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function searchText(r: Recording): string {
  return [r.id, r.src, r.dst, r.callerId?.name, r.callerId?.number].filter(Boolean).join("\n")
    .toLowerCase();
}

/** A cursor is the last shown recording's place in the order, opaque to clients. */
function encodeCursor(r: Recording): string {
  return btoa(JSON.stringify([r.startedAt, r.id])).replace(/=+$/, "").replaceAll("+", "-")
    .replaceAll("/", "_");
}

function decodeCursor(cursor: string): Pick<Recording, "startedAt" | "id"> {
  try {
    const [startedAt, id] = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (typeof startedAt === "number" && typeof id === "string") return { startedAt, id };
  } catch {
    // reported below
  }
  throw new InvalidCursorError(cursor);
}
