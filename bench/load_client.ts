/**
 * The measured side of the AMI event flood benchmark, one client kind per
 * process (round trips are bench/rtt_client.ts):
 *
 *   deno run -A bench/load_client.ts flood <kind> <port> <events>
 *
 * Kinds: `astrix` (AmiClient, parser and event stream) and `bare` (the ceiling:
 * decode and split on the blank line, nothing else), each over `deno` or `node`
 * sockets, and `asterisk-manager` (the npm library). Each kind runs five times
 * in its process (the first runs warm the JIT up) and reports its best run, as
 * one JSON line.
 */

import AsteriskManager from "asterisk-manager";
import { AmiClient } from "../src/ami/client.ts";
import { isEventGap } from "../src/ami/event_stream.ts";
import type { AmiConn, Transport } from "../src/ami/transport.ts";
import { denoTransport } from "../src/ami/transport_deno.ts";
import { nodeTransport } from "../src/ami/transport_node.ts";
import { FLOOD_END } from "./flood.ts";
import { BENCH_USER } from "./load_server.ts";

/** What one run measured. */
export interface LoadResult {
  mode: "flood" | "rtt";
  kind: string;
  items: number;
  ms: number;
  dropped?: number;
}

const LOGIN = "Action: Login\r\nActionID: login\r\nUsername: bench\r\nSecret: bench-secret\r\n\r\n";
const encoder = new TextEncoder();

function transportOf(kind: string): Transport {
  return kind.endsWith("-node") ? nodeTransport : denoTransport;
}

/**
 * Reads blank-line-separated blocks and hands each to `onBlock` until it
 * returns false; `afterChunk` runs once per chunk read.
 */
async function splitBlocks(
  conn: AmiConn,
  onBlock: (block: string) => boolean,
  afterChunk: () => void = () => {},
): Promise<void> {
  const decoder = new TextDecoder();
  let tail = "";
  while (true) {
    const chunk = await conn.read();
    if (chunk === null) return;
    const text = tail + decoder.decode(chunk, { stream: true });
    let pos = 0;
    for (let end = text.indexOf("\r\n\r\n"); end >= 0; end = text.indexOf("\r\n\r\n", pos)) {
      const block = text.slice(pos, end);
      pos = end + 4;
      if (!onBlock(block)) return;
    }
    tail = text.slice(pos);
    afterChunk();
  }
}

async function floodBare(kind: string, port: number, events: number): Promise<LoadResult> {
  const conn = await transportOf(kind).connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(LOGIN));
  let count = -1; // the banner and the login answer come as the first block
  let start = 0;
  await splitBlocks(conn, () => {
    if (++count === 0) start = performance.now();
    return count <= events; // the last block is FloodDone
  });
  const ms = performance.now() - start;
  conn.close();
  return { mode: "flood", kind, items: count - 1, ms };
}

/** An AmiClient for the bench user, without keepalive or reconnects. */
function benchClient(kind: string, port: number, events: string): AmiClient {
  return new AmiClient({
    host: "127.0.0.1",
    port,
    username: BENCH_USER.username,
    secret: BENCH_USER.secret,
    transport: transportOf(kind),
    events,
    keepaliveMs: 0,
    reconnect: false,
    actionTimeoutMs: 60_000,
  });
}

async function floodAstrix(kind: string, port: number, events: number): Promise<LoadResult> {
  const ami = benchClient(kind, port, "on");
  const stream = ami.events({ bufferSize: 100_000 });
  await ami.connect();
  const start = performance.now();
  let count = 0;
  for await (const event of stream) {
    if (isEventGap(event)) continue; // counted in stream.dropped
    if (event.name === FLOOD_END) break;
    count++;
  }
  const ms = performance.now() - start;
  const dropped = stream.dropped;
  await ami.close();
  if (count + dropped !== events) {
    throw new Error(`astrix saw ${count} + ${dropped} dropped of ${events}`);
  }
  return { mode: "flood", kind, items: count, ms, dropped };
}

function floodAsteriskManager(port: number, events: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const ami = AsteriskManager(port, "127.0.0.1", BENCH_USER.username, BENCH_USER.secret, true);
    let count = 0;
    let start = 0;
    ami.on("managerevent", (event: { event: string }) => {
      if (count === 0) start = performance.now();
      if (event.event === FLOOD_END) {
        const ms = performance.now() - start;
        ami.disconnect();
        if (count !== events) reject(new Error(`asterisk-manager saw ${count} of ${events}`));
        resolve({ mode: "flood", kind: "asterisk-manager", items: count, ms });
        return;
      }
      count++;
    });
  });
}

function runOnce(kind: string, port: number, n: number) {
  return kind === "asterisk-manager"
    ? floodAsteriskManager(port, n)
    : kind.startsWith("astrix")
    ? floodAstrix(kind, port, n)
    : floodBare(kind, port, n);
}

/** Runs per process: steady state, as in a long-running proxy, for every client kind alike. */
const REPEAT = 5;

if (import.meta.main) {
  const [mode, kind, port, count] = Deno.args;
  if (mode !== "flood") throw new Error(`usage: load_client.ts flood <kind> <port> <events>`);
  let best: LoadResult | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const result = await runOnce(kind, Number(port), Number(count));
    if (!best || result.items / result.ms > best.items / best.ms) best = result;
  }
  console.log(JSON.stringify(best));
  Deno.exit(0); // asterisk-manager keeps sockets and timers alive
}
