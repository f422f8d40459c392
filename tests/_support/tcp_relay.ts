/**
 * A TCP relay on 127.0.0.1 between a client and a server, for tests that
 * must cut a connection at an exact point of the byte stream: `cutAfter`
 * ends the client's connection once the client has sent a chunk matching a
 * pattern, either after forwarding that chunk to the server (the server
 * acts on it, its answer is lost) or before (the server never sees it).
 * New connections are relayed as usual.
 *
 * @example
 * ```ts
 * await using relay = await startRelay(serverPort);
 * relay.cutAfter(/Action: Originate/, { forward: true });
 * // connect the client to relay.port
 * ```
 */

/** A running relay. */
export interface TcpRelay extends AsyncDisposable {
  readonly port: number;
  /** Cuts the next client connection that sends a chunk matching `pattern`; resolves then. */
  cutAfter(pattern: RegExp, options: { forward: boolean }): Promise<void>;
  /** Relays new connections to another port (a server started again elsewhere). */
  retarget(port: number): void;
  close(): Promise<void>;
}

/** Starts a relay to `127.0.0.1:targetPort` on a free port. */
export function startRelay(targetPort: number): TcpRelay {
  let target = targetPort;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const pumps = new Set<Promise<void>>();
  let cut: { pattern: RegExp; forward: boolean; done: () => void } | undefined;
  const decoder = new TextDecoder();

  const pump = async (from: Deno.Conn, to: Deno.Conn, watch: boolean) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        const chunk = buffer.subarray(0, n);
        const rule = watch ? cut : undefined;
        if (rule && rule.pattern.test(decoder.decode(chunk))) {
          cut = undefined;
          if (rule.forward) await writeAll(to, chunk);
          from.close();
          open.delete(from);
          rule.done();
          break;
        }
        await writeAll(to, chunk);
      }
    } catch {
      // one side went away
    }
    for (const conn of [from, to]) {
      if (open.delete(conn)) conn.close();
    }
  };

  const accepting = (async () => {
    try {
      for await (const client of listener) {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: target }).catch(
          () => undefined,
        );
        if (!server) {
          client.close();
          continue;
        }
        open.add(client).add(server);
        for (const p of [pump(client, server, true), pump(server, client, false)]) {
          pumps.add(p);
          p.finally(() => pumps.delete(p));
        }
      }
    } catch {
      // closed
    }
  })();

  const close = async () => {
    listener.close();
    for (const conn of open) conn.close();
    open.clear();
    await accepting;
    await Promise.all([...pumps]);
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    cutAfter: (pattern, options) =>
      new Promise((done) => {
        cut = { pattern, forward: options.forward, done };
      }),
    retarget: (port) => target = port,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}
