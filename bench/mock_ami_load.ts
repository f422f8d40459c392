/**
 * mock-ami load benchmark against real processes over loopback. mock-ami
 * (`main.ts mock-ami`, as users run it) and the bare ceiling server
 * (bench/mock_ami_bare_server.ts, which writes the same bytes and does nothing
 * else) each run in their own process; every measurement runs in a fresh
 * client process of its own (bench/mock_ami_client.ts), interleaved between
 * the two servers. Figures are ratios to the ceiling measured in the same run
 * on the same bytes, because the machine is shared:
 *
 * - events delivered/s: `--sessions` sessions with events on receive the
 *   UserEvents of `--events` UserEvent actions that a trigger connection sends
 *   with at most `--event-in-flight` unanswered;
 * - round trips/s: one connection keeps `--in-flight` Pings unanswered until
 *   `--round-trips` have been answered.
 *
 * Each client process measures three times and reports its best; the tables
 * show the best of `--runs` processes. The defaults keep the ceiling's runs
 * near 100 ms (shorter ones were noisy) and a full run under a minute.
 *
 *   deno run -A bench/mock_ami_load.ts [--sessions 100] [--events 5000] [--event-in-flight 200]
 *     [--round-trips 200000] [--in-flight 100] [--runs 3]
 */

import { parseArgs } from "node:util";
import { type MockAmiLoadResult, RUNS_PER_PROCESS } from "./mock_ami_client.ts";
import { runJson, type ServerProcess, startServer } from "./processes.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sessions: { type: "string", default: "100" },
    events: { type: "string", default: "5000" },
    "event-in-flight": { type: "string", default: "200" },
    "round-trips": { type: "string", default: "200000" },
    "in-flight": { type: "string", default: "100" },
    runs: { type: "string", default: "3" },
  },
});
const SESSIONS = Number(values.sessions);
const EVENTS = Number(values.events);
const EVENT_IN_FLIGHT = Number(values["event-in-flight"]);
const ROUND_TRIPS = Number(values["round-trips"]);
const IN_FLIGHT = Number(values["in-flight"]);
const RUNS = Number(values.runs);
const here = (file: string) => new URL(file, import.meta.url).pathname;

async function runClient(...args: (string | number)[]): Promise<MockAmiLoadResult> {
  return await runJson<MockAmiLoadResult>(here("mock_ami_client.ts"), args);
}

/** Best rate of RUNS client processes per server, interleaved between the servers. */
async function measure(
  servers: ServerProcess[],
  run: (server: ServerProcess) => Promise<MockAmiLoadResult>,
): Promise<number[]> {
  const rates = servers.map(() => 0);
  for (let i = 0; i < RUNS; i++) {
    for (const [j, server] of servers.entries()) {
      const { items, ms } = await run(server);
      rates[j] = Math.max(rates[j], items / (ms / 1000));
    }
  }
  return rates;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

function table(caption: string, unit: string, [mock, ceiling]: number[]): void {
  console.log(`\n${caption}, best of ${RUNS} processes × ${RUNS_PER_PROCESS} runs\n`);
  console.log(`| mock-ami ${unit} | ceiling ${unit} | mock-ami / ceiling |`);
  console.log("|---:|---:|---:|");
  console.log(`| ${count(mock)} | ${count(ceiling)} | ${Math.round((mock / ceiling) * 100)}% |`);
}

const mockAmi = await startServer(
  "mock-ami",
  [here("../main.ts"), "mock-ami", "--port", "0", "--calls", "0"],
  /listening on \S+:(\d+)/,
);
let bare: ServerProcess | undefined;
let mockAmiExit: Deno.CommandStatus;
try {
  bare = await startServer("bare server", [here("mock_ami_bare_server.ts")], /listening (\d+)/);
  const servers = [mockAmi, bare];
  const eventRates = await measure(
    servers,
    (server) => runClient("fanout", server.port, SESSIONS, EVENTS, EVENT_IN_FLIGHT),
  );
  const rttRates = await measure(
    servers,
    (server) => runClient("rtt", server.port, ROUND_TRIPS, IN_FLIGHT),
  );
  table(
    `UserEvents delivered to ${SESSIONS} sessions: ${count(EVENTS)} UserEvent actions, ` +
      `at most ${EVENT_IN_FLIGHT} in flight`,
    "events/s",
    eventRates,
  );
  table(
    `Pipelined Ping round trips on one connection: ${count(ROUND_TRIPS)}, ` +
      `${IN_FLIGHT} in flight`,
    "round trips/s",
    rttRates,
  );
} finally {
  await bare?.stop();
  mockAmiExit = await mockAmi.stop();
}
if (mockAmiExit.code !== 0) throw new Error(`mock-ami exited with ${mockAmiExit.code} on SIGTERM`);
