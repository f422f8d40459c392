/**
 * The bare framing shared by the mock-ami load benchmark's client and its
 * ceiling server: decode the bytes and split them on the blank line, nothing
 * else. Both sides of every measurement count messages this way.
 */

import type { AmiConn } from "../src/ami/transport.ts";

/** Splits a byte stream into blank-line-terminated blocks (without the blank line). */
export class BlockSplitter {
  readonly #decoder = new TextDecoder();
  #tail = "";

  /** The blocks that `chunk` completes, in order; a partial block waits for the next chunk. */
  push(chunk: Uint8Array): string[] {
    const text = this.#tail + this.#decoder.decode(chunk, { stream: true });
    const blocks: string[] = [];
    let pos = 0;
    for (let end = text.indexOf("\r\n\r\n"); end >= 0; end = text.indexOf("\r\n\r\n", pos)) {
      blocks.push(text.slice(pos, end));
      pos = end + 4;
    }
    this.#tail = text.slice(pos);
    return blocks;
  }
}

/**
 * Reads `conn` until it ends, handing each chunk's blocks to `onChunk`; stops
 * early when `onChunk` returns false.
 */
export async function readBlocks(
  conn: AmiConn,
  onChunk: (blocks: string[]) => boolean | Promise<boolean>,
): Promise<void> {
  const splitter = new BlockSplitter();
  while (true) {
    const chunk = await conn.read();
    if (chunk === null || !await onChunk(splitter.push(chunk))) return;
  }
}

/** The value of the first `Key: value` line of `block` spelled exactly `key`, if any. */
export function header(block: string, key: string): string | undefined {
  const prefix = `${key}: `;
  return block.split("\r\n").find((line) => line.startsWith(prefix))?.slice(prefix.length);
}
