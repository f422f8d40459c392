/**
 * Where a round trip's time goes in `AmiClient.send`, without a network: the
 * client talks to the bare Ping server's answers (bench/ping_bare_server.ts)
 * through an in-memory connection that answers each write in a microtask, so
 * a CPU profile shows the client's own work and nothing else (no syscalls, no
 * waiting). Prints nanoseconds per round trip, best of the runs; a figure to
 * profile with, not a benchmark (those are ratios, in bench/ami_load.ts).
 *
 *   deno run -A --cpu-prof bench/ami_send_profile.ts [round trips] [in flight]
 */

import type { AmiConn, Transport } from "../src/ami/transport.ts";
import { BlockSplitter } from "./mock_ami_blocks.ts";
import { PING_SERVER_BANNER, PingResponder } from "./ping_bare_server.ts";
import { pingCallers } from "./rtt_client.ts";

const encoder = new TextEncoder();

/** A connection whose peer is a {@linkcode PingResponder}, answering each write in a microtask. */
class InMemoryPingConn implements AmiConn {
  readonly localAddr = { hostname: "127.0.0.1", port: 1 };
  readonly remoteAddr = { hostname: "127.0.0.1", port: 2 };
  readonly #splitter = new BlockSplitter();
  readonly #responder = new PingResponder();
  readonly #unread: Uint8Array[] = [encoder.encode(PING_SERVER_BANNER)];
  #reader: ((chunk: Uint8Array | null) => void) | undefined;

  read(): Promise<Uint8Array | null> {
    const chunk = this.#unread.shift();
    if (chunk) return Promise.resolve(chunk);
    return new Promise((resolve) => this.#reader = resolve);
  }

  write(data: Uint8Array): Promise<void> {
    const answers = encoder.encode(this.#responder.answer(this.#splitter.push(data)));
    queueMicrotask(() => this.#deliver(answers));
    return Promise.resolve();
  }

  close(): void {
    this.#deliver(null);
  }

  #deliver(chunk: Uint8Array | null): void {
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader) reader(chunk);
    else if (chunk) this.#unread.push(chunk);
  }
}

const inMemory: Transport = {
  connect: () => Promise.resolve(new InMemoryPingConn()),
  listen: () => Promise.reject(new Error("in-memory connections cannot listen")),
};

if (import.meta.main) {
  const [total = 200_000, inFlight = 100] = Deno.args.map(Number);
  let best = Infinity;
  for (let i = 0; i < 10; i++) {
    best = Math.min(best, await pingCallers(inMemory, 5038, { total, inFlight }));
  }
  console.log(`${Math.round(best / total * 1e6)} ns per round trip (${inFlight} in flight)`);
}
