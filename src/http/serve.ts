/**
 * The one place that knows which runtime serves HTTP: `Deno.serve` under
 * Deno, `Bun.serve` in the binary `bun build --compile` makes. Handlers are
 * web-standard `fetch` handlers (a Hono app's `fetch`). Closing refuses new
 * requests (503), waits for answers in progress for a grace period, then cuts
 * the ones still streaming (a player paused on a recording must not keep
 * Ctrl-C waiting).
 *
 * @example
 * ```ts
 * import { serveHttp } from "./serve.ts";
 *
 * const server = await serveHttp(() => new Response("hi"), { hostname: "127.0.0.1", port: 0 });
 * console.log(server.url);
 * await server.close();
 * ```
 *
 * @module
 */

/** What a handler learns about the client besides the request. */
export interface ClientInfo {
  /** The peer's IP address. */
  remoteAddr: string;
}

/** A web-standard request handler. */
export type HttpHandler = (request: Request, client: ClientInfo) => Response | Promise<Response>;

/** Options of {@linkcode serveHttp}. */
export interface ServeOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
}

/** A listening server. */
export interface HttpServer {
  readonly hostname: string;
  readonly port: number;
  /** `http://host:port`, with IPv6 addresses bracketed. */
  readonly url: string;
  /** Stops accepting; answers still streaming after `graceMs` (default 2,000) are cut. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** The server could not listen (port in use, address not on this machine, no permission). */
export class HttpListenError extends Error {
  override name = "HttpListenError";
  constructor(hostname: string, port: number, options: { cause: unknown }) {
    super(
      `Cannot listen on ${hostname}:${port}: ${describe(options.cause)}`,
      options,
    );
  }
}

function describe(cause: unknown): string {
  const error = cause as { code?: string; name?: string; message?: string };
  if (error?.code === "EADDRINUSE" || error?.name === "AddrInUse") {
    return "the port is in use (stop the other process or choose another --port)";
  }
  if (error?.code === "EADDRNOTAVAIL" || error?.name === "AddrNotAvailable") {
    return "that address is not on this machine (check --host)";
  }
  if (error?.code === "EACCES" || error?.name === "PermissionDenied") {
    return "permission denied (ports below 1024 need privileges)";
  }
  return error?.message ?? String(cause);
}

/** Starts serving `handler`; resolves once the port is bound. */
export function serveHttp(handler: HttpHandler, options: ServeOptions): Promise<HttpServer> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  return bun ? serveBun(bun, handler, options) : serveDeno(handler, options);
}

function urlOf(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

const DEFAULT_GRACE_MS = 2_000;

/** Requests in flight until their answer is fully sent, so that close() can wait for them. */
class InFlight {
  #count = 0;
  #idle: (() => void) | undefined;

  /** Counts one request until `completed` settles. */
  track(completed: Promise<void>): void {
    this.#count++;
    completed.catch(() => {}).finally(() => {
      if (--this.#count === 0) this.#idle?.();
    });
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle = resolve);
  }
}

function serveDeno(handler: HttpHandler, options: ServeOptions): Promise<HttpServer> {
  const inFlight = new InFlight();
  const stop = new AbortController();
  let closing = false;
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        signal: stop.signal,
        onListen: (addr) => {
          resolve({
            hostname: options.hostname,
            port: addr.port,
            url: urlOf(options.hostname, addr.port),
            async close({ graceMs = DEFAULT_GRACE_MS } = {}) {
              closing = true;
              let timer: ReturnType<typeof setTimeout> | undefined;
              await Promise.race([
                inFlight.idle(),
                new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
              ]);
              clearTimeout(timer);
              // Aborting closes every connection, including answers still streaming.
              stop.abort();
              await server.finished;
            },
          });
        },
      }, (request, info) => {
        if (closing) {
          return new Response("The server is shutting down\n", {
            status: 503,
            headers: { Connection: "close" },
          });
        }
        // Deno says when the answer has been sent whole, streamed bodies included.
        inFlight.track(info.completed);
        return handler(request, { remoteAddr: info.remoteAddr.hostname });
      });
    } catch (error) {
      reject(new HttpListenError(options.hostname, options.port, { cause: error }));
    }
  });
}

/** The part of Bun's API used here. */
interface BunRuntime {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | Promise<Response>;
  }): BunServer;
}

interface BunServer {
  readonly port: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

function serveBun(
  bun: BunRuntime,
  handler: HttpHandler,
  options: ServeOptions,
): Promise<HttpServer> {
  let server: BunServer;
  try {
    server = bun.serve({
      hostname: options.hostname,
      port: options.port,
      fetch: (request, s) => handler(request, { remoteAddr: s.requestIP(request)?.address ?? "" }),
    });
  } catch (error) {
    return Promise.reject(new HttpListenError(options.hostname, options.port, { cause: error }));
  }
  return Promise.resolve({
    hostname: options.hostname,
    port: server.port,
    url: urlOf(options.hostname, server.port),
    async close({ graceMs = DEFAULT_GRACE_MS } = {}) {
      const timer = setTimeout(() => server.stop(true), graceMs);
      try {
        await server.stop();
      } finally {
        clearTimeout(timer);
      }
    },
  });
}
