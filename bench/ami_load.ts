/**
 * AMI load benchmark against real processes over loopback: a flood server and
 * a bare Ping server each run in their own process, and every client kind
 * runs in a fresh process of its own, several times, interleaved. Figures are
 * ratios to a ceiling measured in the same run against the same server,
 * because the machine is shared: for the flood, the bare client that only
 * decodes and splits on the blank line, over the same transport; for round
 * trips, a bare client that pipelines Pings with ActionIDs and counts the
 * answers (bench/rtt_client.ts), against bench/ping_bare_server.ts, which
 * answers each Ping and nothing more. asterisk-manager (npm) runs both as the
 * reference. Each client process runs five times and reports its best (steady
 * state); the table shows the best process.
 *
 *   deno run -A bench/ami_load.ts [--events 200000] [--round-trips 100000] [--in-flight 100]
 *     [--runs 2] [--only flood|rtt]
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
    only: { type: "string" },
  },
});
const EVENTS = Number(values.events);
const ROUND_TRIPS = Number(values["round-trips"]);
const IN_FLIGHT = Number(values["in-flight"]);
const RUNS = Number(values.runs);
const ONLY = values.only;
const here = (file: string) => new URL(file, import.meta.url).pathname;

function runClient(...args: (string | number)[]): Promise<LoadResult> {
  return runJson<LoadResult>(here("load_client.ts"), args);
}

function runRttClient(...args: (string | number)[]): Promise<LoadResult> {
  return runJson<LoadResult>(here("rtt_client.ts"), args);
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
const times = (ratio: number) => `${ratio.toFixed(1)}×`;

/** A row of a table: cells joined by pipes. */
const row = (...cells: string[]) => console.log(`| ${cells.join(" | ")} |`);

const KINDS = ["bare-deno", "astrix-deno", "bare-node", "astrix-node", "asterisk-manager"];

/** The table of one part: each client's rate, as a ratio to its transport's ceiling and to asterisk-manager. */
function table(rates: Map<string, number>, unit: string, ceilingName: string, oursName: string) {
  const am = rates.get("asterisk-manager")!;
  row("client", "transport", unit, "vs ceiling", "vs asterisk-manager");
  row("---", "---", "---:", "---:", "---:");
  for (const transport of ["deno", "node"]) {
    const ceiling = rates.get(`bare-${transport}`)!;
    const ours = rates.get(`astrix-${transport}`)!;
    const name = transport === "deno" ? "Deno.connect" : "node:net";
    row(ceilingName, name, fmt(ceiling), "100%", times(ceiling / am));
    row(oursName, name, fmt(ours), pct(ours / ceiling), times(ours / am));
  }
  const nodeCeiling = rates.get("bare-node")!;
  row("asterisk-manager 0.2.0 (npm)", "node:net", fmt(am), pct(am / nodeCeiling), "1.0×");
}

async function floodPart(): Promise<void> {
  const flood = await startServer(
    "flood server",
    [here("load_server.ts"), "flood", String(EVENTS)],
    /listening (\d+)/,
  );
  const rates = await measure(KINDS, (kind) => runClient("flood", kind, flood.port, EVENTS));
  await flood.stop();
  console.log(
    `\nAMI event flood: ${
      EVENTS.toLocaleString("en-US")
    } events of ~466 bytes, best of ${RUNS} processes × 5 runs\n`,
  );
  table(rates, "events/s", "ceiling: bare split on blank line", "astrix AmiClient");
}

async function rttPart(): Promise<void> {
  const server = await startServer(
    "bare Ping server",
    [here("ping_bare_server.ts")],
    /listening (\d+)/,
  );
  const rates = await measure(
    KINDS,
    (kind) => runRttClient(kind, server.port, ROUND_TRIPS, IN_FLIGHT),
  );
  await server.stop();
  console.log(
    `\nPipelined Ping round trips: ${
      ROUND_TRIPS.toLocaleString("en-US")
    }, ${IN_FLIGHT} in flight, against a bare Ping server, best of ${RUNS} processes × 5 runs\n`,
  );
  table(rates, "round trips/s", "ceiling: bare pipelining client", "astrix AmiClient.send");
}

if (ONLY !== undefined && ONLY !== "flood" && ONLY !== "rtt") {
  console.error(`--only takes flood or rtt, not "${ONLY}"`);
  Deno.exit(2);
}
if (ONLY !== "rtt") await floodPart();
if (ONLY !== "flood") await rttPart();
