/**
 * The server of the round-trip benchmark (bench/ami_load.ts), run as its own
 * process: a bare AMI server on Deno's sockets that sends a banner, answers
 * the first block of a connection (the Login) with `Authentication accepted`
 * and every later block with a Pong carrying the block's ActionID. Nothing
 * else: no parser, no permissions, so that the clients measured against it,
 * not the server, bound the figures. The answers to the blocks of one chunk
 * read go out as one write, and the next chunk is read once it is written:
 * a pipelining client gets its answers as fast as it sends.
 *
 *   deno run -A bench/ping_bare_server.ts
 *
 * Prints `listening <port>` once ready, then serves until killed.
 */

import type { AmiConn } from "../src/ami/transport.ts";
import { denoTransport } from "../src/ami/transport_deno.ts";
import { readBlocks } from "./mock_ami_blocks.ts";

const encoder = new TextEncoder();

/** The ActionID of a block, whatever the case of its key (asterisk-manager writes `ActionID`). */
function actionIdOf(block: string): string | undefined {
  const at = block.search(/(^|\r\n)actionid:/i);
  if (at < 0) return undefined;
  const start = block.indexOf(":", at) + 1;
  const end = block.indexOf("\r\n", start);
  return block.slice(start, end < 0 ? undefined : end).trim();
}

function answer(block: string, message: string): string {
  const id = actionIdOf(block);
  return "Response: Success\r\n" + (id === undefined ? "" : `ActionID: ${id}\r\n`) + message +
    "\r\n\r\n";
}

/** One connection's answers: the first block is the Login, every later one a Ping. */
export class PingResponder {
  #loggedIn = false;

  /** The answers to `blocks` (as bench/mock_ami_blocks.ts splits them), as one string. */
  answer(blocks: string[]): string {
    let replies = "";
    for (const block of blocks) {
      if (block === "") continue;
      replies += answer(
        block,
        this.#loggedIn ? "Ping: Pong\r\nTimestamp: 0.000000" : "Message: Authentication accepted",
      );
      this.#loggedIn = true;
    }
    return replies;
  }
}

/** The banner every connection starts with. */
export const PING_SERVER_BANNER = "Asterisk Call Manager/11.0.0\r\n";

async function serve(conn: AmiConn): Promise<void> {
  await conn.write(encoder.encode(PING_SERVER_BANNER));
  const responder = new PingResponder();
  await readBlocks(conn, async (blocks) => {
    const replies = responder.answer(blocks);
    if (replies !== "") await conn.write(encoder.encode(replies));
    return true;
  });
}

if (import.meta.main) {
  const listener = await denoTransport.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`listening ${listener.addr.port}`);
  for await (const conn of listener) {
    serve(conn).catch(() => {}).finally(() => conn.close());
  }
}
