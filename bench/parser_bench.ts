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

// Hostile input (issue 11): a `Response: Follows` dripped `x LF LF` at a time, one chunk per
// drip, and one event with as many headers as the limit allows. The ceiling only decodes the
// chunks and finds their line ends; the parser's work must stay a small multiple of it.
const DRIPS = 3_000;
const encoder = new TextEncoder();
const drip = [
  encoder.encode("Response: Follows\r\nPrivilege: Command\r\nActionID: drip\r\n"),
  ...Array.from({ length: DRIPS }, () => encoder.encode("x\n\n")),
  encoder.encode("--END COMMAND--\r\n\r\n"),
];

/** The ceiling of both: decode the chunks and count their line ends. */
function countLineEnds(chunks: Uint8Array[]): number {
  const decoder = new TextDecoder();
  let lines = 0;
  for (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    for (let lf = text.indexOf("\n"); lf >= 0; lf = text.indexOf("\n", lf + 1)) lines++;
  }
  return lines;
}

Deno.bench("ceiling: decode each drip and find its line ends", {
  group: "dripped Follows",
  baseline: true,
}, () => {
  const lines = countLineEnds(drip);
  if (lines !== 2 * DRIPS + 5) throw new Error(`lines ${lines}`);
});

Deno.bench("AmiParser: read the dripped Follows", { group: "dripped Follows" }, () => {
  const parser = new AmiParser();
  let outputs = 0;
  for (const chunk of drip) {
    for (const message of parser.push(chunk)) outputs += message.getAll("Output").length;
  }
  if (outputs !== 2 * DRIPS) throw new Error(`outputs ${outputs}`);
});

const HEADERS = 10_000;
const many = encoder.encode("Event: VarSet\r\n" + "Variable: A=1\r\n".repeat(HEADERS - 1) + "\r\n");
const manyChunks: Uint8Array[] = [];
for (let offset = 0; offset < many.length; offset += CHUNK) {
  manyChunks.push(many.subarray(offset, offset + CHUNK));
}

Deno.bench("ceiling: decode and find the line ends", {
  group: "many headers",
  baseline: true,
}, () => {
  const lines = countLineEnds(manyChunks);
  if (lines !== HEADERS + 1) throw new Error(`lines ${lines}`);
});

Deno.bench("AmiParser: frame the event and build toObject()", { group: "many headers" }, () => {
  const parser = new AmiParser();
  let values = 0;
  for (const chunk of manyChunks) {
    for (const message of parser.push(chunk)) values += message.toObject().Variable.length;
  }
  if (values !== HEADERS - 1) throw new Error(`values ${values}`);
});
