/**
 * A hostile AMI peer for burst tests: on 127.0.0.1:0 it logs any client in
 * and then writes `events` numbered `Tick` events (`N: 0`, `N: 1`, ...) as
 * fast as TCP takes them, in 64 KB writes, counting the bytes the kernel
 * accepted. A `Ping` is answered after the flood, so its Pong says that every
 * event has been sent. Messages are parsed and written with the project's
 * one parser and serializer. Also: a transport that counts the client's reads.
 */

import { serializeMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import type { AmiConn, Transport } from "../../src/ami/transport.ts";

/** A running flood server. */
export interface FloodServer extends AsyncDisposable {
  readonly port: number;
  /** Bytes of the flood the kernel has accepted so far. */
  readonly written: number;
  /** Bytes the whole flood makes. */
  readonly total: number;
  /** Resolves when every event has been written. */
  readonly flooded: Promise<void>;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const CHUNK_BYTES = 64 * 1024;

/** The flood's bytes, in writes of about 64 KB. */
function floodChunks(events: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let text = "";
  for (let n = 0; n < events; n++) {
    text += serializeMessage([["Event", "Tick"], ["Privilege", "call,all"], ["N", String(n)]]);
    if (text.length >= CHUNK_BYTES) {
      chunks.push(encoder.encode(text));
      text = "";
    }
  }
  if (text) chunks.push(encoder.encode(text));
  return chunks;
}

/** Starts a flood server for one client connection. */
export function startFloodServer(events: number): FloodServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const chunks = floodChunks(events);
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const flooded = Promise.withResolvers<void>();
  const conns = new Set<Deno.Conn>();
  let written = 0;

  const writeAll = async (conn: Deno.Conn, bytes: Uint8Array, counted: boolean) => {
    for (let offset = 0; offset < bytes.length;) {
      const n = await conn.write(bytes.subarray(offset));
      offset += n;
      if (counted) written += n;
    }
  };
  const reply = (conn: Deno.Conn, fields: [string, string][]) =>
    writeAll(conn, encoder.encode(serializeMessage(fields)), false);

  const flood = async (conn: Deno.Conn) => {
    for (const chunk of chunks) await writeAll(conn, chunk, true);
    flooded.resolve();
  };

  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    const parser = new AmiParser();
    const buffer = new Uint8Array(CHUNK_BYTES);
    try {
      await writeAll(conn, encoder.encode("Asterisk Call Manager/11.0.0\r\n"), false);
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) return;
        for (const action of parser.push(buffer.subarray(0, n))) {
          const id: [string, string] = ["ActionID", action.actionId ?? ""];
          if (action.name === "Login") {
            await reply(conn, [["Response", "Success"], id, [
              "Message",
              "Authentication accepted",
            ]]);
            flood(conn).catch(() => {}); // the client went away mid-flood
          } else if (action.name === "Ping") {
            await flooded.promise;
            await reply(conn, [["Response", "Success"], id, ["Ping", "Pong"]]);
          } else if (action.name === "Logoff") {
            await reply(conn, [["Response", "Goodbye"], id]);
            return;
          }
        }
      }
    } catch {
      // the client closed the connection
    } finally {
      conns.delete(conn);
      conn.close();
    }
  };

  const serving = (async () => {
    const sessions: Promise<void>[] = [];
    try {
      for await (const conn of listener) sessions.push(serve(conn));
    } catch {
      // the listener was closed
    }
    await Promise.all(sessions);
  })();

  const close = async () => {
    try {
      listener.close();
    } catch {
      // already closed
    }
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    flooded.resolve(); // a Ping waiting on an unfinished flood gives up
    await serving;
  };

  return {
    port: (listener.addr as Deno.NetAddr).port,
    get written() {
      return written;
    },
    total,
    flooded: flooded.promise,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A transport whose connections count the client's reads and the bytes they returned. */
export function countingTransport(inner: Transport): Transport & { reads: number; bytes: number } {
  const counted = {
    reads: 0,
    bytes: 0,
    async connect(options: Parameters<Transport["connect"]>[0]): Promise<AmiConn> {
      const conn = await inner.connect(options);
      return {
        read: async () => {
          const chunk = await conn.read();
          counted.reads++;
          counted.bytes += chunk?.length ?? 0;
          return chunk;
        },
        write: (data) => conn.write(data),
        close: () => conn.close(),
        localAddr: conn.localAddr,
        remoteAddr: conn.remoteAddr,
      };
    },
    listen: (options: Parameters<Transport["listen"]>[0]) => inner.listen(options),
  };
  return counted;
}
