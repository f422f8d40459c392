/**
 * {@linkcode Transport} on `node:net` and `node:tls`, for Bun, Node and a
 * `bun build --compile` binary. Reads are pulled: the socket is paused while
 * unread chunks pile up, so a slow reader never makes memory grow.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import type { AmiConn, AmiListener, NetAddr, Transport } from "./transport.ts";

/** Unread chunks held before the socket is paused. */
const HIGH_WATER_CHUNKS = 16;

class NodeConn implements AmiConn {
  readonly #socket: net.Socket;
  readonly #chunks: Uint8Array[] = [];
  #waiter: ((chunk: Uint8Array | null) => void) | undefined;
  #failWaiter: ((error: Error) => void) | undefined;
  #ended = false;
  #error: Error | undefined;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      if (this.#waiter) {
        const resolve = this.#waiter;
        this.#clearWaiter();
        resolve(chunk);
        return;
      }
      this.#chunks.push(chunk);
      if (this.#chunks.length >= HIGH_WATER_CHUNKS) socket.pause();
    });
    socket.on("error", (error) => {
      this.#error = error;
      if (this.#failWaiter) {
        const reject = this.#failWaiter;
        this.#clearWaiter();
        reject(error);
      }
    });
    socket.on("close", () => {
      this.#ended = true;
      if (this.#waiter) {
        const resolve = this.#waiter;
        this.#clearWaiter();
        resolve(null);
      }
    });
  }

  get localAddr(): NetAddr {
    return { hostname: this.#socket.localAddress ?? "", port: this.#socket.localPort ?? 0 };
  }

  get remoteAddr(): NetAddr {
    return { hostname: this.#socket.remoteAddress ?? "", port: this.#socket.remotePort ?? 0 };
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      if (this.#chunks.length < HIGH_WATER_CHUNKS / 2 && this.#socket.isPaused()) {
        this.#socket.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(null);
    if (this.#socket.isPaused()) this.#socket.resume();
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#socket.destroyed) {
        reject(this.#error ?? new Error("Cannot write: the socket is closed"));
        return;
      }
      this.#socket.write(data, (error) => error ? reject(error) : resolve());
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #clearWaiter(): void {
    this.#waiter = undefined;
    this.#failWaiter = undefined;
  }
}

class NodeListener implements AmiListener {
  readonly #server: net.Server;
  readonly #accepted: net.Socket[] = [];
  #waiter: ((socket: net.Socket | null) => void) | undefined;
  #closed = false;

  constructor(server: net.Server) {
    this.#server = server;
    const event = server instanceof tls.Server ? "secureConnection" : "connection";
    server.on(event, (socket: net.Socket) => {
      if (this.#waiter) {
        const resolve = this.#waiter;
        this.#waiter = undefined;
        resolve(socket);
      } else {
        this.#accepted.push(socket);
      }
    });
  }

  get addr(): NetAddr {
    const address = this.#server.address() as net.AddressInfo;
    return { hostname: address.address, port: address.port };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AmiConn> {
    while (true) {
      const socket = this.#accepted.shift() ??
        (this.#closed ? null : await new Promise<net.Socket | null>((r) => this.#waiter = r));
      if (socket === null) return;
      yield new NodeConn(socket);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const socket of this.#accepted.splice(0)) socket.destroy();
    this.#waiter?.(null);
    this.#waiter = undefined;
  }
}

/** `node:net` / `node:tls` sockets. */
export const nodeTransport: Transport = {
  connect({ hostname, port, tls: tlsOptions }) {
    return new Promise((resolve, reject) => {
      const socket = tlsOptions
        ? tls.connect({
          host: hostname,
          port,
          ca: tlsOptions.caCerts,
          servername: serverName(hostname),
        })
        : net.connect({ host: hostname, port });
      const ready = tlsOptions ? "secureConnect" : "connect";
      const onError = (error: Error) => reject(error);
      socket.once("error", onError);
      socket.once(ready, () => {
        socket.off("error", onError);
        resolve(new NodeConn(socket));
      });
    });
  },
  listen({ hostname, port, tls: tlsOptions }) {
    return new Promise((resolve, reject) => {
      const server = tlsOptions
        ? tls.createServer({ cert: tlsOptions.cert, key: tlsOptions.key })
        : net.createServer();
      server.once("error", reject);
      server.listen(port, hostname, () => {
        server.off("error", reject);
        resolve(new NodeListener(server));
      });
    });
  },
};

/** SNI is only sent for names, never for IP addresses. */
function serverName(hostname: string): string | undefined {
  return net.isIP(hostname) ? undefined : hostname;
}
