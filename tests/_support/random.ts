import { seededRandom } from "../../src/random.ts";

export { seededRandom };

/** Cuts `bytes` into chunks of 1..maxChunk bytes at seeded random places. */
export function randomSplits(bytes: Uint8Array, seed: number, maxChunk = 64): Uint8Array[] {
  const random = seededRandom(seed);
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}
