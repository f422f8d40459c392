/**
 * Recordings streaming benchmark against real processes over loopback:
 * `astrix mock-recordings --dir` (as ops run it) serves a large WAV file;
 * client processes stream it whole, and fetch many small random ranges
 * concurrently. The ceiling is reading the same bytes straight from the file
 * in a process of the same kind, in the same run (page cache warm for both).
 * A bare `Deno.serve` that sends the file and nothing else
 * (bench/recordings_bare_server.ts) shows what HTTP itself costs.
 *
 *   deno run -A bench/recordings_load.ts [--mb 200] [--requests 2000] [--concurrency 32] [--range 65536] [--runs 3]
 */

import { parseArgs } from "node:util";
import { wavHeader } from "../src/recordings/wav.ts";
import { runJson, startServer } from "./processes.ts";
import type { RecordingsLoadResult } from "./recordings_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mb: { type: "string", default: "200" },
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "32" },
    range: { type: "string", default: "65536" },
    runs: { type: "string", default: "3" },
  },
});
const here = (file: string) => new URL(file, import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "astrix-recordings-bench-" });
const id = "20261124-101500-05551234567-205-1763979300.17";
const path = `${dir}/${id}.wav`;

// A WAV file of noise-like bytes (a 1 MiB random block repeated), so nothing compresses or is sparse.
const dataSize = Number(values.mb) * 1024 * 1024;
const file = await Deno.open(path, { write: true, create: true });
await file.write(wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize }));
const block = crypto.getRandomValues(new Uint8Array(65536));
const mib = new Uint8Array(1024 * 1024).map((_, i) => block[i % block.length] ^ (i >> 16));
for (let written = 0; written < dataSize; written += mib.length) await file.write(mib);
file.close();
const size = Deno.statSync(path).size;

const server = await startServer(
  "mock-recordings",
  [here("../main.ts"), "mock-recordings", "--dir", dir, "--port", "0"],
  /127\.0\.0\.1:(\d+)/,
);
const bare = await startServer(
  "bare recordings server",
  [here("recordings_bare_server.ts"), path],
  /127\.0\.0\.1:(\d+)/,
);
const url = `http://127.0.0.1:${server.port}/recordings/${id}/stream`;
const bareUrl = `http://127.0.0.1:${bare.port}/`;

async function best(...args: (string | number)[]): Promise<RecordingsLoadResult> {
  let top: RecordingsLoadResult | undefined;
  for (let i = 0; i < Number(values.runs); i++) {
    const result = await runJson<RecordingsLoadResult>(here("recordings_client.ts"), args);
    if (!top || result.ms < top.ms) top = result;
  }
  return top!;
}

try {
  const rangeArgs = [size, values.requests, values.concurrency, values.range];
  const results = {
    fileWhole: await best("whole", path),
    httpWhole: await best("whole", url),
    bareWhole: await best("whole", bareUrl),
    fileRanges: await best("ranges", path, ...rangeArgs),
    httpRanges: await best("ranges", url, ...rangeArgs),
    bareRanges: await best("ranges", bareUrl, ...rangeArgs),
  };
  const mbps = (r: RecordingsLoadResult) => r.bytes / 1024 / 1024 / (r.ms / 1000);
  const rps = (r: RecordingsLoadResult) => r.requests / (r.ms / 1000);
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const pct = (a: number, b: number) => `${Math.round((a / b) * 100)}%`;
  console.log(`\nOne ${fmt(size / 1024 / 1024)} MiB recording, best of ${values.runs} processes\n`);
  const ranges = `${values.requests} random ${
    fmt(Number(values.range) / 1024)
  } KiB ranges, ${values.concurrency} at once`;
  const rows: [string, RecordingsLoadResult, RecordingsLoadResult, RecordingsLoadResult?][] = [
    ["ceiling: read the whole file", results.fileWhole, results.fileWhole],
    ["bare Deno.serve sending the file", results.bareWhole, results.fileWhole, results.bareWhole],
    ["mock-recordings: stream it whole", results.httpWhole, results.fileWhole, results.bareWhole],
    [`ceiling: read ${ranges} from the file`, results.fileRanges, results.fileRanges],
    ["bare Deno.serve answering them", results.bareRanges, results.fileRanges, results.bareRanges],
    [
      "mock-recordings: the same Range requests",
      results.httpRanges,
      results.fileRanges,
      results.bareRanges,
    ],
  ];
  console.log("| measurement | MiB/s | requests/s | vs ceiling | vs bare HTTP |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, result, ceiling, bareHttp] of rows) {
    console.log(
      `| ${name} | ${fmt(mbps(result))} | ${result.requests > 1 ? fmt(rps(result)) : ""} | ${
        pct(mbps(result), mbps(ceiling))
      } | ${bareHttp ? pct(mbps(result), mbps(bareHttp)) : ""} |`,
    );
  }
} finally {
  await server.stop();
  await bare.stop();
  Deno.removeSync(dir, { recursive: true });
}
