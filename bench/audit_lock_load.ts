/**
 * The proxy while another process holds its audit's write lock, as a second
 * writer or a stuck `sqlite3` shell would: `astrix mock-ami` and `astrix
 * proxy --ami` (default busy timeout, 10 s) as ops run them, a lock holder
 * process (`BEGIN IMMEDIATE`), an AMI client sending UserEvents through
 * mock-ami, one SSE reader of the proxy. While one audited request waits for
 * the lock (until it answers 503 after the busy timeout), `/healthz` is asked
 * again and again, one request at a time: its latency against the same loop
 * with no lock held (the ceiling), and the events the SSE reader got in that
 * time against those sent.
 *
 *   deno run -A bench/audit_lock_load.ts
 */

import type { AmiClient } from "../src/ami/mod.ts";
import { signToken } from "../src/proxy/tokens.ts";
import { holdAuditLock } from "../tests/_support/audit_lock.ts";
import type { ServerProcess } from "./processes.ts";
import { mockAmiSender, startProxyStack } from "./proxy_stack.ts";

const dir = Deno.makeTempDirSync({ prefix: "astrix-lock-bench-" });
const jwtSecret = "lock-bench-secret-0123456789abcdef0123";

interface Loop {
  latencies: number[];
  sent: number;
  received: number;
}

/** Asks /healthz one request at a time until `until` settles, while UserEvents flow. */
async function healthLoop(
  port: number,
  until: Promise<unknown>,
  events: { sent: () => number; received: () => number },
): Promise<Loop> {
  let done = false;
  until.finally(() => done = true);
  const [sent0, received0] = [events.sent(), events.received()];
  const latencies: number[] = [];
  while (!done) {
    const start = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    await response.body?.cancel();
    if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    latencies.push(performance.now() - start);
  }
  return {
    latencies,
    sent: events.sent() - sent0,
    received: events.received() - received0,
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const servers: ServerProcess[] = [];
let ami: AmiClient | undefined;
try {
  const db = `${dir}/audit.db`;
  const { mockAmi, proxy } = await startProxyStack(servers, { jwtSecret, auditDb: db });
  const base = `http://127.0.0.1:${proxy.port}`;
  const token = await signToken(new TextEncoder().encode(jwtSecret), {
    sub: "lock-bench",
    role: "admin",
  });
  const headers = { authorization: `Bearer ${token}` };
  const first = await fetch(`${base}/ami/channels`, { headers }); // the chain starts
  if (first.status !== 200) throw new Error(`GET /ami/channels answered ${first.status}`);
  await first.body?.cancel();

  // One SSE reader counting UserEvents; an AMI client sending them, 10 in flight, without end.
  const stopReading = new AbortController();
  const sse = await fetch(`${base}/ami/events?event=UserEvent`, {
    headers,
    signal: stopReading.signal,
  });
  let received = 0;
  const reading = (async () => {
    for await (const chunk of sse.body!.pipeThrough(new TextDecoderStream())) {
      received += chunk.split("event: ami").length - 1;
    }
  })().catch(() => {});
  ami = mockAmiSender(mockAmi.port);
  await ami.connect();
  let sent = 0;
  let sending = true;
  const sender = ami;
  const senders = Promise.all(Array.from({ length: 10 }, async () => {
    while (sending) {
      await sender.send({ Action: "UserEvent", UserEvent: "bench", Seq: sent++ });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })).catch(() => {});
  const events = { sent: () => sent, received: () => received };

  const free = await healthLoop(
    proxy.port,
    new Promise((resolve) => setTimeout(resolve, 3_000)),
    events,
  );
  const lock = await holdAuditLock(db);
  const started = performance.now();
  const blocked = fetch(`${base}/ami/channels`, { headers }).then(async (response) => {
    await response.body?.cancel();
    return { status: response.status, ms: performance.now() - started };
  });
  const held = await healthLoop(proxy.port, blocked, events);
  const answer = await blocked;
  await lock.release();
  sending = false;
  await senders;
  stopReading.abort();
  await reading;

  const row = (name: string, loop: Loop, ceiling?: number) => {
    const sorted = [...loop.latencies].sort((a, b) => a - b);
    const p99 = quantile(sorted, 0.99);
    return `| ${name} | ${sorted.length.toLocaleString("en-US")} | ${
      quantile(sorted, 0.5).toFixed(2)
    } ms | ${p99.toFixed(2)} ms | ${sorted.at(-1)!.toFixed(2)} ms | ${
      ceiling ? `${(p99 / ceiling).toFixed(2)}×` : "1.00×"
    } | ${loop.received.toLocaleString("en-US")} of ${loop.sent.toLocaleString("en-US")} |`;
  };
  const freeP99 = quantile([...free.latencies].sort((a, b) => a - b), 0.99);
  console.log(`\nThe audit's write lock held by another process (busy timeout 10 s)\n`);
  console.log(
    "| /healthz, one at a time | answers | p50 | p99 | max | p99 vs ceiling | SSE events received |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  console.log(row("ceiling: no lock held, 3 s", free));
  console.log(
    row(`lock held, while a request waits (${(answer.ms / 1000).toFixed(1)} s)`, held, freeP99),
  );
  console.log(`\nthe waiting request answered ${answer.status} after ${answer.ms.toFixed(0)} ms`);
} finally {
  await ami?.close();
  for (const server of servers.reverse()) await server.stop();
  Deno.removeSync(dir, { recursive: true });
}
