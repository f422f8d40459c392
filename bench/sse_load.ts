/**
 * SSE fan-out benchmark against real processes over loopback. The system
 * under test is `astrix mock-ami` and `astrix proxy --ami` (as ops run them,
 * the proxy's request log silenced); `--subscribers` streams of
 * `GET /ami/events?event=UserEvent` with an admin token are held by
 * `--client-processes` subscriber processes (bench/sse_client.ts). A trigger
 * (an `AmiClient` logged in to mock-ami with events off) sends `--events`
 * UserEvent actions, at most `--in-flight` unanswered; mock-ami broadcasts
 * each, the proxy publishes it to its hub, and every subscriber must receive
 * every event exactly once and in order (checked by `Seq`); any loss fails
 * the benchmark.
 *
 * The ceiling, measured in the same run by the same kind of subscriber
 * processes: bench/sse_bare_server.ts, a bare `Deno.serve` broadcaster that
 * writes the same frames `--batch` per tick (one chunk per subscriber per
 * tick) and does nothing else. `--batch` defaults to `--in-flight`: the
 * trigger's window is the burst in which the proxy can get the events. The
 * ceiling is proportional to it (each chunk costs the server and the
 * subscriber about the same whatever its size): with 1,000 subscribers on
 * 2 cores, about 0.1M deliveries/s with 1 event per tick, 1M with 10, 3M
 * with 100.
 *
 * deliveries/s = subscribers × events / (first send → last subscriber's last
 * event); best of `--runs` runs, interleaved between the two systems. The
 * proxy hands the hub every event of one AMI read at once, so under load its
 * chunks can hold more than `--batch` events and it can pass the ceiling.
 *
 *   deno run -A bench/sse_load.ts [--subscribers 1000] [--events 5000] [--in-flight 100]
 *     [--batch <in-flight>] [--client-processes 2] [--runs 3]
 */

import { parseArgs } from "node:util";
import type { AmiClient } from "../src/ami/client.ts";
import { signToken } from "../src/proxy/tokens.ts";
import { listenerPid, type Memory, memoryOf } from "./proc_status.ts";
import { type ServerProcess, startServer } from "./processes.ts";
import { mockAmiSender, startProxyStack } from "./proxy_stack.ts";
import { now, SseClients, SseLossError } from "./sse_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    subscribers: { type: "string", default: "1000" },
    events: { type: "string", default: "5000" },
    "in-flight": { type: "string", default: "100" },
    batch: { type: "string" },
    "client-processes": { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const EVENTS = Number(values.events);
const IN_FLIGHT = Number(values["in-flight"]);
const BATCH = Number(values.batch ?? IN_FLIGHT);
const PROCESSES = Number(values["client-processes"]);
const RUNS = Number(values.runs);
/** A run whose last event has not reached every subscriber by then has failed. */
const RUN_TIMEOUT_MS = 60_000;
const here = (file: string) => new URL(file, import.meta.url).pathname;
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** One system measured: how to trigger a run, its subscribers, what it achieved. */
interface System {
  name: string;
  clients: SseClients;
  /** Sends events `from` to `from + EVENTS - 1`; resolves with the time of the first. */
  trigger: (from: number) => Promise<number>;
  rates: number[];
  /** From the first send to the first event at any subscriber, in ms. */
  latencies: number[];
  failure?: Error;
}

/** Sends UserEvents `from` to `from + EVENTS - 1`, at most IN_FLIGHT unanswered; the time of the first. */
async function sendUserEvents(ami: AmiClient, from: number): Promise<number> {
  const start = now();
  let next = from;
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, EVENTS) }, async () => {
    while (next < from + EVENTS) {
      const response = await ami.send({ Action: "UserEvent", UserEvent: "bench", Seq: next++ });
      if (response.get("Response") !== "Success") {
        throw new Error(`UserEvent refused: ${JSON.stringify(response.toObject())}`);
      }
    }
  }));
  return start;
}

async function measureRun(system: System, run: number): Promise<void> {
  if (system.failure) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const start = await system.trigger(run * EVENTS);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `run ${run}: not every subscriber had every event within ${RUN_TIMEOUT_MS / 1000} s`,
            ),
          ),
        RUN_TIMEOUT_MS,
      );
    });
    const { firstAt, lastAt } = await Promise.race([system.clients.run(run), timeout]);
    system.rates.push((SUBSCRIBERS * EVENTS) / ((lastAt - start) / 1000));
    system.latencies.push(firstAt - start);
  } catch (error) {
    system.failure = error as Error;
    await system.clients.stop();
  } finally {
    clearTimeout(timer);
  }
}

function printResults([proxy, bare]: System[], memory: [string, Memory | undefined][]): void {
  const best = (system: System) => Math.max(...system.rates);
  console.log(
    `\nSSE fan-out: ${count(SUBSCRIBERS)} subscribers in ${PROCESSES} processes, ` +
      `${count(EVENTS)} events per run (proxy: UserEvents with at most ${IN_FLIGHT} in flight; ` +
      `ceiling: ${BATCH} per tick), best of ${RUNS} runs\n`,
  );
  console.log("| system | subscribers | events | deliveries/s | vs ceiling | lost |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const system of [proxy, bare]) {
    const failed = system.failure !== undefined;
    const rate = failed ? "FAILED" : count(best(system));
    const ratio = failed || bare.failure
      ? "—"
      : `${Math.round((best(system) / best(bare)) * 100)}%`;
    const lost = system.failure instanceof SseLossError ? count(system.failure.lost) : "0";
    const cells = [system.name, count(SUBSCRIBERS), count(EVENTS), rate, ratio, lost];
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log("");
  for (const system of [proxy, bare]) {
    if (system.failure) console.log(`${system.name} failed: ${system.failure.message}`);
    else {
      console.log(
        `${system.name}: runs ${system.rates.map(count).join(", ")} deliveries/s; ` +
          `first event after ${system.latencies.map((ms) => ms.toFixed(1)).join(", ")} ms`,
      );
    }
  }
  const known = memory.filter(([, m]) => m !== undefined) as [string, Memory][];
  if (known.length > 0) {
    console.log(
      "proxy memory (VmRSS / VmHWM): " +
        known.map(([when, m]) => `${when} ${m.rssMiB.toFixed(0)} / ${m.peakMiB.toFixed(0)} MiB`)
          .join("; "),
    );
  }
}

const dir = Deno.makeTempDirSync({ prefix: "astrix-sse-bench-" });
const jwtSecret = crypto.randomUUID() + crypto.randomUUID();
const servers: ServerProcess[] = [];
const systems: System[] = [];
const memory: [string, Memory | undefined][] = [];
let ami: AmiClient | undefined;
try {
  const { mockAmi, proxy } = await startProxyStack(servers, {
    jwtSecret,
    auditDb: `${dir}/audit.db`,
    proxyArgs: ["--log-format", "json"],
  });
  const bare = await startServer(
    "bare SSE server",
    [here("sse_bare_server.ts")],
    /listening (\d+)/,
  );
  servers.push(bare);
  const proxyPid = listenerPid(proxy.port);
  const sample = (when: string) => memory.push([when, proxyPid ? memoryOf(proxyPid) : undefined]);
  sample("at start");

  let actionId = 0;
  ami = mockAmiSender(mockAmi.port, () => `b${actionId++}`);
  await ami.connect();
  const trigger = ami;
  const token = await signToken(new TextEncoder().encode(jwtSecret), {
    sub: "sse-bench",
    role: "admin",
  });
  const clientOptions = {
    subscribers: SUBSCRIBERS,
    processes: PROCESSES,
    events: EVENTS,
    runs: RUNS,
  };
  systems.push({
    name: "astrix proxy (mock-ami → proxy → SSE)",
    clients: await SseClients.start(
      `http://127.0.0.1:${proxy.port}/ami/events?event=UserEvent`,
      { ...clientOptions, token },
    ),
    trigger: (from) => sendUserEvents(trigger, from),
    rates: [],
    latencies: [],
  });
  sample(`with ${count(SUBSCRIBERS)} subscribers`);
  systems.push({
    name: "bare Deno.serve broadcaster (ceiling)",
    clients: await SseClients.start(`http://127.0.0.1:${bare.port}/events`, clientOptions),
    trigger: async (from) => {
      const start = now();
      const response = await fetch(
        `http://127.0.0.1:${bare.port}/go?from=${from}&n=${EVENTS}&batch=${BATCH}`,
        { method: "POST" },
      );
      await response.body?.cancel();
      if (response.status !== 202) throw new Error(`bare server: HTTP ${response.status}`);
      return start;
    },
    rates: [],
    latencies: [],
  });

  for (let run = 0; run < RUNS; run++) {
    for (const system of systems) await measureRun(system, run);
  }
  for (const system of systems) {
    if (system.failure) continue;
    await system.clients.finish().catch((error) => system.failure = error);
  }
  sample("after the runs");
  printResults(systems, memory);
  if (systems.some((system) => system.failure)) Deno.exitCode = 1;
} finally {
  await ami?.close();
  await Promise.all(systems.map((system) => system.clients.stop()));
  for (const server of servers.reverse()) await server.stop();
  Deno.removeSync(dir, { recursive: true });
}
