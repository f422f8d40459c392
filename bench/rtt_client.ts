/**
 * The measured side of the round-trip benchmark (bench/ami_load.ts), one
 * client kind per process, against bench/ping_bare_server.ts:
 *
 *   deno run -A bench/rtt_client.ts <kind> <port> <round trips> <in flight>
 *
 * Kinds: `astrix-deno` / `astrix-node` (`AmiClient.send`, that many callers
 * each awaiting its Ping), `bare-deno` / `bare-node` (the ceiling: write
 * Pings with ActionIDs, split the answers on the blank line and count them,
 * one write per chunk read refilling what was answered) and
 * `asterisk-manager` (the npm library, that many callers on its callback
 * API). Each kind runs five times in its process (the first runs warm the JIT
 * up) and reports its best run as one JSON line.
 */

import AsteriskManager from "asterisk-manager";
import { AmiClient } from "../src/ami/client.ts";
import type { Transport } from "../src/ami/transport.ts";
import { denoTransport } from "../src/ami/transport_deno.ts";
import { nodeTransport } from "../src/ami/transport_node.ts";
import type { LoadResult } from "./load_client.ts";
import { BENCH_USER } from "./load_server.ts";
import { readBlocks } from "./mock_ami_blocks.ts";

const USER = { username: BENCH_USER.username, secret: BENCH_USER.secret };
const LOGIN =
  `Action: Login\r\nActionID: login\r\nUsername: ${USER.username}\r\nSecret: ${USER.secret}\r\n\r\n`;
const encoder = new TextEncoder();

function transportOf(kind: string): Transport {
  return kind.endsWith("-node") ? nodeTransport : denoTransport;
}

async function rttBare(
  kind: string,
  port: number,
  total: number,
  inFlight: number,
): Promise<LoadResult> {
  const conn = await transportOf(kind).connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(LOGIN));
  let sent = 0;
  const pings = (n: number) => {
    let text = "";
    for (let i = 0; i < n && sent < total; i++) {
      text += `Action: Ping\r\nActionID: p${sent++}\r\n\r\n`;
    }
    return text;
  };
  let answered = -1; // the first block is the banner and the login answer
  let start = 0;
  let writing = Promise.resolve();
  await readBlocks(conn, (blocks) => {
    let refill = 0;
    for (const block of blocks) {
      if (answered === -1) {
        answered = 0;
        start = performance.now();
        refill = inFlight;
      } else if (block.startsWith("Response:")) {
        answered++;
        refill++;
      }
    }
    const text = pings(refill);
    if (text !== "") writing = writing.then(() => conn.write(encoder.encode(text)));
    return answered < total;
  });
  const ms = performance.now() - start;
  conn.close();
  return { mode: "rtt", kind, items: answered, ms };
}

/**
 * Connects an AmiClient over `transport`, then `inFlight` callers each send a
 * Ping and await its answer before the next, `total` in all; resolves with the
 * milliseconds from the first Ping to the last answer.
 */
export async function pingCallers(
  transport: Transport,
  port: number,
  counts: { total: number; inFlight: number },
): Promise<number> {
  const ami = new AmiClient({
    host: "127.0.0.1",
    port,
    ...USER,
    transport,
    events: "off",
    keepaliveMs: 0,
    reconnect: false,
    actionTimeoutMs: 60_000,
  });
  await ami.connect();
  let sent = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: counts.inFlight }, async () => {
      while (sent < counts.total) {
        sent++;
        await ami.send({ Action: "Ping" });
      }
    }),
  );
  const ms = performance.now() - start;
  await ami.close();
  return ms;
}

async function rttAstrix(
  kind: string,
  port: number,
  total: number,
  inFlight: number,
): Promise<LoadResult> {
  const ms = await pingCallers(transportOf(kind), port, { total, inFlight });
  return { mode: "rtt", kind, items: total, ms };
}

interface AsteriskManagerClient {
  on(event: string, listener: () => void): void;
  action(action: Record<string, string>, callback: (error: unknown) => void): string;
  disconnect(): void;
}

function rttAsteriskManager(port: number, total: number, inFlight: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const ami: AsteriskManagerClient = AsteriskManager(
      port,
      "127.0.0.1",
      USER.username,
      USER.secret,
      false,
    );
    let sent = 0;
    let answered = 0;
    let start = 0;
    const next = (error: unknown): void => {
      if (error) return reject(new Error(`asterisk-manager: ${JSON.stringify(error)}`));
      if (++answered === total) {
        const ms = performance.now() - start;
        ami.disconnect();
        resolve({ mode: "rtt", kind: "asterisk-manager", items: answered, ms });
      } else if (sent < total) {
        sent++;
        ami.action({ action: "Ping" }, next);
      }
    };
    // The library holds actions until its login is answered: the clock starts at the first Pong.
    ami.action({ action: "Ping" }, (error) => {
      if (error) return reject(new Error(`asterisk-manager: ${JSON.stringify(error)}`));
      start = performance.now();
      for (; sent < Math.min(inFlight, total); sent++) ami.action({ action: "Ping" }, next);
    });
  });
}

function runOnce(kind: string, port: number, total: number, inFlight: number) {
  if (kind === "asterisk-manager") return rttAsteriskManager(port, total, inFlight);
  if (kind.startsWith("astrix")) return rttAstrix(kind, port, total, inFlight);
  return rttBare(kind, port, total, inFlight);
}

/** Runs per process: steady state, as in a long-running proxy, for every client kind alike. */
const REPEAT = 5;

if (import.meta.main) {
  const [kind, port, count, inFlight = "100"] = Deno.args;
  let best: LoadResult | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const result = await runOnce(kind, Number(port), Number(count), Number(inFlight));
    if (!best || result.items / result.ms > best.items / best.ms) best = result;
  }
  console.log(JSON.stringify(best));
  Deno.exit(0); // asterisk-manager keeps sockets and timers alive
}
