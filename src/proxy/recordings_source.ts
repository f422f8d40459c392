/**
 * Where the proxy gets recordings: a recordings server over HTTP
 * (`--recordings http://...`, e.g. astrix mock-recordings) or a catalog in
 * this process (`--recordings DIR`, or the synthetic set in simulate mode).
 * Both are reached the same way, as a `fetch` of the recordings API, so
 * Range and conditional requests pass through unchanged.
 *
 * @module
 */

import { createRecordingsApp, type RecordingJson } from "../recordings/app.ts";
import { ProxyError } from "./errors.ts";
import type { RecordingCatalog } from "../recordings/catalog.ts";

/** Request headers passed to the recordings server (what a player sends to seek and revalidate). */
const PASSED_HEADERS = ["range", "if-range", "if-none-match", "if-modified-since", "accept"];

/** The recordings API as the proxy uses it. */
export class RecordingsSource {
  /** What it is, for the startup line. */
  readonly description: string;
  readonly #fetch: (path: string, headers: Headers, method: string) => Promise<Response>;

  private constructor(
    description: string,
    fetcher: (path: string, headers: Headers, method: string) => Promise<Response>,
  ) {
    this.description = description;
    this.#fetch = fetcher;
  }

  /** Recordings from a server at `base` (its `/recordings` API). */
  static http(base: URL, options: { timeoutMs?: number } = {}): RecordingsSource {
    const root = base.href.replace(/\/+$/, "");
    const timeoutMs = options.timeoutMs ?? 10_000;
    return new RecordingsSource(root, async (path, headers, method) => {
      try {
        return await fetch(`${root}${path}`, {
          headers,
          method,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const timeout = (error as Error).name === "TimeoutError";
        throw new ProxyError(
          timeout ? 504 : 502,
          timeout ? "recordings_timeout" : "recordings_unavailable",
          timeout
            ? `The recordings server ${root} did not answer within ${timeoutMs} ms`
            : `The recordings server ${root} cannot be reached (${
              (error as Error).message
            }): check that it runs and the proxy's --recordings URL`,
          { cause: error },
        );
      }
    });
  }

  /** Recordings from a catalog in this process. */
  static inProcess(catalog: RecordingCatalog, description: string): RecordingsSource {
    const app = createRecordingsApp({ catalog });
    return new RecordingsSource(
      description,
      async (path, headers, method) =>
        await app.fetch(new Request(`http://recordings${path}`, { headers, method })),
    );
  }

  /** Forwards a request for `path` (with its query), passing the player's headers. */
  async forward(path: string, request: Request): Promise<Response> {
    const headers = new Headers();
    for (const name of PASSED_HEADERS) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const upstream = await this.#fetch(path, headers, request.method === "HEAD" ? "HEAD" : "GET");
    // Only the headers a player needs go back (no upstream cookies or server names).
    const answer = new Headers();
    for (
      const name of [
        "content-type",
        "content-length",
        "content-range",
        "accept-ranges",
        "etag",
        "last-modified",
        "cache-control",
        "content-disposition",
      ]
    ) {
      const value = upstream.headers.get(name);
      if (value !== null) answer.set(name, value);
    }
    answer.set("x-content-type-options", "nosniff");
    return new Response(upstream.body, { status: upstream.status, headers: answer });
  }

  /** One recording's metadata, or undefined if the server does not know it. */
  async metadata(id: string): Promise<RecordingJson | undefined> {
    const response = await this.#fetch(
      `/recordings/${encodeURIComponent(id)}/metadata`,
      new Headers({ accept: "application/json" }),
      "GET",
    );
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ProxyError(
        502,
        "recordings_unavailable",
        `The recordings server ${this.description} answered ${response.status} for ${id}`,
      );
    }
    return await response.json() as RecordingJson;
  }
}
