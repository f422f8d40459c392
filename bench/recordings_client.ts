/**
 * One client process of the recordings benchmark; prints one JSON line with
 * its best of three runs. The file modes are the ceiling: the same bytes read
 * straight from disk (the whole file in 1 MiB reads; the ranges
 * with the same sizes and concurrency).
 *
 *   deno run -A bench/recordings_client.ts whole  <file|url>
 *   deno run -A bench/recordings_client.ts ranges <file|url> <size> <requests> <concurrency> <bytes>
 */

import { open } from "node:fs/promises";
import { seededRandom } from "../src/random.ts";

/** What a client process reports. */
export interface RecordingsLoadResult {
  bytes: number;
  requests: number;
  ms: number;
}

const [mode, target, size, requests, concurrency, rangeBytes] = Deno.args;
const http = target.startsWith("http");

async function whole(): Promise<RecordingsLoadResult> {
  const start = performance.now();
  let bytes = 0;
  if (http) {
    const response = await fetch(target);
    for await (const chunk of response.body!) bytes += chunk.length;
  } else {
    // 1 MiB reads: the fastest way found to read a file here (64 KiB reads, or a
    // file's ReadableStream, are 4-6 times slower).
    const file = await open(target);
    const buffer = new Uint8Array(1024 * 1024);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, bytes);
      if (bytesRead === 0) break;
      bytes += bytesRead;
    }
    await file.close();
  }
  return { bytes, requests: 1, ms: performance.now() - start };
}

async function ranges(): Promise<RecordingsLoadResult> {
  const total = Number(requests);
  const length = Number(rangeBytes);
  const random = seededRandom(7);
  const offsets = Array.from(
    { length: total },
    () => Math.floor(random() * (Number(size) - length)),
  );
  let next = 0;
  let bytes = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
    const file = http ? undefined : await open(target);
    const buffer = new Uint8Array(length);
    while (next < total) {
      const offset = offsets[next++];
      // Each result is awaited before it is added: `bytes += await ...` would lose updates.
      let read: number;
      if (file) {
        read = (await file.read(buffer, 0, length, offset)).bytesRead;
      } else {
        const response = await fetch(target, {
          headers: { Range: `bytes=${offset}-${offset + length - 1}` },
        });
        if (response.status !== 206) throw new Error(`status ${response.status}`);
        read = (await response.arrayBuffer()).byteLength;
      }
      bytes += read;
    }
    await file?.close();
  }));
  if (bytes !== total * length) throw new Error(`read ${bytes} bytes, expected ${total * length}`);
  return { bytes, requests: total, ms: performance.now() - start };
}

let best: RecordingsLoadResult | undefined;
for (let run = 0; run < 3; run++) {
  const result = mode === "whole" ? await whole() : await ranges();
  if (!best || result.ms < best.ms) best = result;
}
console.log(JSON.stringify(best));
