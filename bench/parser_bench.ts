/**
 * In-process parser throughput on the benchmark flood (no sockets): AmiParser
 * framing 20,000 events and reading each one's name, against the ceiling of
 * decoding the same bytes and splitting them on the blank line.
 *
 *   deno bench bench/parser_bench.ts
 */

import { AmiParser } from "../src/ami/parser.ts";
import { floodText } from "./flood.ts";

const EVENTS = 20_000;
const CHUNK = 64 * 1024;
const bytes = new TextEncoder().encode(floodText(EVENTS));
const chunks: Uint8Array[] = [];
for (let offset = 0; offset < bytes.length; offset += CHUNK) {
  chunks.push(bytes.subarray(offset, offset + CHUNK));
}

Deno.bench(
  "ceiling: decode and split on the blank line",
  { group: "flood", baseline: true },
  () => {
    const decoder = new TextDecoder();
    let tail = "";
    let count = 0;
    for (const chunk of chunks) {
      const text = tail + decoder.decode(chunk, { stream: true });
      let pos = 0;
      for (let end = text.indexOf("\r\n\r\n"); end >= 0; end = text.indexOf("\r\n\r\n", pos)) {
        if (text.slice(pos, end) !== "") count++;
        pos = end + 4;
      }
      tail = text.slice(pos);
    }
    if (count !== EVENTS + 1) throw new Error(`split ${count}`);
  },
);

Deno.bench("AmiParser: frame and read each event's name", { group: "flood" }, () => {
  const parser = new AmiParser();
  let count = 0;
  for (const chunk of chunks) {
    for (const message of parser.push(chunk)) if (message.name !== "") count++;
  }
  if (count !== EVENTS + 1) throw new Error(`parsed ${count}`);
});

Deno.bench("AmiParser: frame and read every header", { group: "flood" }, () => {
  const parser = new AmiParser();
  let headers = 0;
  for (const chunk of chunks) {
    for (const message of parser.push(chunk)) headers += message.size;
  }
  if (headers < EVENTS * 17) throw new Error(`headers ${headers}`);
});
