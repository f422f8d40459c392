/**
 * {@linkcode Transport} on Deno's own sockets (`Deno.connect`, `Deno.listen`
 * and their TLS forms).
 *
 * @module
 */

import type { AmiConn, AmiListener, NetAddr, Transport } from "./transport.ts";

const READ_BUFFER_BYTES = 64 * 1024;

class DenoConn implements AmiConn {
  readonly #conn: Deno.Conn;
  readonly #buffer = new Uint8Array(READ_BUFFER_BYTES);
  #closed = false;
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.localAddr = netAddr(conn.localAddr);
    this.remoteAddr = netAddr(conn.remoteAddr);
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    try {
      const n = await this.#conn.read(this.#buffer);
      return n === null ? null : this.#buffer.subarray(0, n);
    } catch (error) {
      if (this.#closed) return null; // closed by us while the read was pending
      throw error;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      offset += await this.#conn.write(data.subarray(offset));
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer: nothing left to release
    }
  }
}

class DenoListener implements AmiListener {
  readonly #listener: Deno.Listener;
  readonly addr: NetAddr;

  constructor(listener: Deno.Listener) {
    this.#listener = listener;
    this.addr = netAddr(listener.addr);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AmiConn> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return; // the listener was closed
        }
        throw error;
      }
      setNoDelay(conn);
      yield new DenoConn(conn);
    }
  }

  close(): void {
    try {
      this.#listener.close();
    } catch {
      // already closed
    }
  }
}

function netAddr(addr: Deno.Addr): NetAddr {
  return "hostname" in addr
    ? { hostname: addr.hostname, port: addr.port }
    : { hostname: "", port: 0 };
}

function setNoDelay(conn: Deno.Conn): void {
  if ("setNoDelay" in conn && typeof conn.setNoDelay === "function") conn.setNoDelay(true);
}

/** Deno's sockets. */
export const denoTransport: Transport = {
  async connect({ hostname, port, tls }) {
    let conn: Deno.Conn;
    if (tls) {
      const tlsConn = await Deno.connectTls({ hostname, port, caCerts: tls.caCerts });
      try {
        await tlsConn.handshake(); // a bad certificate fails here, not at the first read
      } catch (error) {
        tlsConn.close();
        throw error;
      }
      conn = tlsConn;
    } else {
      conn = await Deno.connect({ hostname, port });
    }
    setNoDelay(conn);
    return new DenoConn(conn);
  },
  listen({ hostname, port, tls }) {
    const listener = tls
      ? Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key })
      : Deno.listen({ hostname, port });
    return Promise.resolve(new DenoListener(listener));
  },
};
