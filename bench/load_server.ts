/**
 * The server side of the AMI load benchmarks, run as its own process so that
 * it does not share a core with the client being measured.
 *
 *   deno run -A bench/load_server.ts flood <events>   banner, Login answered, then the flood
 *
 * (The round-trip benchmark's server is bench/ping_bare_server.ts.)
 *
 * Prints `listening <port>` once ready, then serves until killed.
 */

import { serializeMessage } from "../src/ami/message.ts";
import { AmiParser } from "../src/ami/parser.ts";
import { DEFAULT_BANNER } from "../src/ami/server.ts";
import type { AmiConn } from "../src/ami/transport.ts";
import { denoTransport } from "../src/ami/transport_deno.ts";
import { floodText } from "./flood.ts";

export const BENCH_USER = {
  username: "bench",
  secret: "bench-secret",
  read: ["all"],
  write: ["all"],
};

const encoder = new TextEncoder();
const SLICE = 256 * 1024;

async function serveFlood(conn: AmiConn, flood: Uint8Array): Promise<void> {
  await conn.write(encoder.encode(DEFAULT_BANNER + "\r\n"));
  const parser = new AmiParser();
  let login;
  while (!login) {
    const chunk = await conn.read();
    if (chunk === null) return;
    login = parser.push(chunk)[0];
  }
  const reply: [string, string][] = [["Response", "Success"]];
  if (login.actionId !== undefined) reply.push(["ActionID", login.actionId]);
  reply.push(["Message", "Authentication accepted"]);
  await conn.write(encoder.encode(serializeMessage(reply)));
  for (let offset = 0; offset < flood.length; offset += SLICE) {
    await conn.write(flood.subarray(offset, offset + SLICE));
  }
  while (await conn.read() !== null) {
    // the client reads to the end, then closes
  }
}

if (import.meta.main) {
  const [mode, count = "200000"] = Deno.args;
  if (mode === "flood") {
    const flood = encoder.encode(floodText(Number(count)));
    const listener = await denoTransport.listen({ hostname: "127.0.0.1", port: 0 });
    console.log(`listening ${listener.addr.port}`);
    for await (const conn of listener) {
      serveFlood(conn, flood).catch(() => {}).finally(() => conn.close());
    }
  } else {
    console.error("usage: load_server.ts flood <events>");
    Deno.exit(2);
  }
}
