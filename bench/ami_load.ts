/**
 * AMI load benchmark against real processes over loopback: a flood server and
 * an AmiServer each run in their own process, and every client kind runs in a
 * fresh process of its own, several times, interleaved. Figures are ratios to
 * a ceiling measured in the same run on the same bytes, because the machine is
 * shared: the bare client that only decodes and splits on the blank line, over
 * the same transport. Each client process runs five times and reports its best
 * (steady state); the table shows the best process.
 *
 *   deno run -A bench/ami_load.ts [--events 200000] [--round-trips 100000] [--runs 3]
 */

import { parseArgs } from "node:util";
import type { LoadResult } from "./load_client.ts";
import { runJson, startServer } from "./processes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "200000" },
    "round-trips": { type: "string", default: "100000" },
    "in-flight": { type: "string", default: "100" },
    runs: { type: "string", default: "2" },
  },
});
const EVENTS = Number(values.events);
const ROUND_TRIPS = Number(values["round-trips"]);
const IN_FLIGHT = Number(values["in-flight"]);
const RUNS = Number(values.runs);
const here = (file: string) => new URL(file, import.meta.url).pathname;

function runClient(...args: (string | number)[]): Promise<LoadResult> {
  return runJson<LoadResult>(here("load_client.ts"), args);
}

/** Best of the runs: on a shared machine, the fastest run is the least disturbed one. */
function best(results: LoadResult[]): number {
  return Math.max(...results.map((r) => r.items / (r.ms / 1000)));
}

async function measure(kinds: string[], run: (kind: string) => Promise<LoadResult>) {
  const results = new Map<string, LoadResult[]>(kinds.map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const kind of kinds) results.get(kind)!.push(await run(kind));
  }
  return new Map([...results].map(([kind, list]) => [kind, best(list)]));
}

const fmt = (rate: number) => Math.round(rate).toLocaleString("en-US");
const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;

const flood = await startServer(
  "flood server",
  [here("load_server.ts"), "flood", String(EVENTS)],
  /listening (\d+)/,
);
const floodRates = await measure(
  ["bare-deno", "astrix-deno", "bare-node", "astrix-node", "asterisk-manager"],
  (kind) => runClient("flood", kind, flood.port, EVENTS),
);
await flood.stop();

const ami = await startServer("AmiServer", [here("load_server.ts"), "ami"], /listening (\d+)/);
const rttRates = await measure(
  ["bare-deno", "astrix-deno", "bare-node", "astrix-node"],
  (kind) => runClient("rtt", kind, ami.port, ROUND_TRIPS, IN_FLIGHT),
);
await ami.stop();

const am = floodRates.get("asterisk-manager")!;
console.log(
  `\nAMI event flood: ${
    EVENTS.toLocaleString("en-US")
  } events of ~466 bytes, best of ${RUNS} processes × 5 runs\n`,
);
console.log("| client | transport | events/s | vs ceiling | vs asterisk-manager |");
console.log("|---|---|---:|---:|---:|");
for (const transport of ["deno", "node"]) {
  const ceiling = floodRates.get(`bare-${transport}`)!;
  const ours = floodRates.get(`astrix-${transport}`)!;
  const name = transport === "deno" ? "Deno.connect" : "node:net";
  console.log(
    `| ceiling: bare split on blank line | ${name} | ${fmt(ceiling)} | 100% | ${
      (ceiling / am).toFixed(1)
    }× |`,
  );
  console.log(
    `| astrix AmiClient | ${name} | ${fmt(ours)} | ${pct(ours / ceiling)} | ${
      (ours / am).toFixed(1)
    }× |`,
  );
}
console.log(
  `| asterisk-manager 0.2.0 (npm) | node:net | ${fmt(am)} | ${
    pct(am / floodRates.get("bare-node")!)
  } | 1.0× |`,
);

console.log(
  `\nPipelined Ping round trips: ${
    ROUND_TRIPS.toLocaleString("en-US")
  }, ${IN_FLIGHT} in flight, against AmiServer\n`,
);
console.log("| client | transport | round trips/s | vs ceiling |");
console.log("|---|---|---:|---:|");
for (const transport of ["deno", "node"]) {
  const ceiling = rttRates.get(`bare-${transport}`)!;
  const ours = rttRates.get(`astrix-${transport}`)!;
  const name = transport === "deno" ? "Deno.connect" : "node:net";
  console.log(`| ceiling: bare pipelined writer | ${name} | ${fmt(ceiling)} | 100% |`);
  console.log(`| astrix AmiClient.send | ${name} | ${fmt(ours)} | ${pct(ours / ceiling)} |`);
}
