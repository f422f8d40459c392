/**
 * The bare HTTP reference of the recordings benchmark: `Deno.serve` sending
 * one file, whole or one `bytes=a-b` range, and nothing else (no catalog, no
 * checks, no conditional requests). Prints its port on the first line.
 *
 *   deno run -A bench/recordings_bare_server.ts <file>
 */

import { open } from "node:fs/promises";

const [path] = Deno.args;
const size = (await Deno.stat(path)).size;
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`bare recordings server on 127.0.0.1:${port}`),
}, async (request) => {
  const range = request.headers.get("range")?.match(/^bytes=(\d+)-(\d+)$/);
  if (!range) return new Response((await Deno.open(path)).readable);
  const [start, end] = [Number(range[1]), Number(range[2])];
  const file = await open(path);
  const buffer = new Uint8Array(end - start + 1);
  await file.read(buffer, 0, buffer.length, start);
  await file.close();
  return new Response(buffer, {
    status: 206,
    headers: { "Content-Range": `bytes ${start}-${end}/${size}` },
  });
});
Deno.addSignalListener("SIGTERM", () => server.shutdown());
