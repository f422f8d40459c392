/**
 * Proxy benchmark with wrk (Debian's `wrk` package) against real processes
 * over loopback, 50 connections:
 *
 * (a) `GET /ami/jobs/:id`, authenticated and audited (a durable SQLite row
 *     per request), against the ceiling of bare Hono doing one jose HS256
 *     verify and one SQLite insert per request (bench/proxy_ceiling_server.ts),
 *     and bare Hono alone for reference;
 * (b) `POST /ami/originate/listen` end to end against mock-ami (an attempt
 *     row, the Originate, a result row per request).
 *
 *   deno run -A bench/proxy_load.ts [--seconds 8] [--connections 50]
 */

import { parseArgs } from "node:util";
import { signToken } from "../src/proxy/tokens.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "50" },
  },
});
const root = new URL("../", import.meta.url).pathname;
const dir = Deno.makeTempDirSync({ prefix: "astrix-proxy-bench-" });
const SECRET = "bench-secret-0123456789abcdef0123456789";

if (!(await new Deno.Command("sh", { args: ["-c", "command -v wrk"] }).output()).success) {
  console.error("bench/proxy_load.ts needs wrk: sudo apt-get install wrk");
  Deno.exit(1);
}

/** A server process; its first stdout line gives the port; stderr (request logs) discarded. */
async function start(args: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.join(" ")} exited before listening`);
    text += value;
  }
  const port = Number(text.match(/127\.0\.0\.1:(\d+)/)![1]);
  // Keep draining stdout so the process never blocks on it.
  (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Runs wrk and reads requests/s, p50 and p99 latency (ms) and non-2xx/socket errors. */
async function wrk(
  url: string,
  token: string,
  script?: string,
  connections = values.connections,
): Promise<WrkResult> {
  const args = [
    "-t2",
    `-c${connections}`,
    `-d${values.seconds}s`,
    "--latency",
    "-H",
    `Authorization: Bearer ${token}`,
  ];
  if (script) args.push("-s", script);
  const { stdout } = await new Deno.Command("wrk", { args: [...args, url], stdout: "piped" })
    .output();
  const text = new TextDecoder().decode(stdout);
  const ms = (label: string) => {
    const match = text.match(new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`));
    if (!match) return NaN;
    return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as "us" | "ms" | "s"];
  };
  const non2xx = Number(text.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = non2xx + (socket ? socket.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0);
  return {
    rps: Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1]),
    p50: ms("50%"),
    p99: ms("99%"),
    errors,
  };
}

const token = await signToken(new TextEncoder().encode(SECRET), {
  sub: "bench",
  role: "supervisor",
  ext: "201",
  ttlSeconds: 3600,
});
const mock = await start([
  "main.ts",
  "mock-ami",
  "--port",
  "0",
  "--calls",
  "3",
  "--answer-delay",
  "50",
]);
const proxy = await start([
  "main.ts",
  "proxy",
  ...[
    "--port",
    "0",
    "--ami",
    `127.0.0.1:${mock.port}`,
    "--ami-user",
    "astrix",
    "--ami-secret",
    "astrix",
  ],
  ...["--jwt-secret", SECRET, "--audit-db", `${dir}/proxy.db`, "--log-format", "json"],
]);
const ceiling = await start(["bench/proxy_ceiling_server.ts", SECRET, `${dir}/ceiling.db`]);
const bare = await start(["bench/proxy_ceiling_server.ts", SECRET, `${dir}/bare.db`, "bare"]);
const proxyUrl = `http://127.0.0.1:${proxy.port}`;
const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };

try {
  // Wait for the proxy to be logged in to mock-ami, then make a job to read.
  for (let i = 0; (await fetch(`${proxyUrl}/readyz`)).status !== 200; i++) {
    if (i > 200) throw new Error("the proxy never became ready");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const { channels } = await (await fetch(`${proxyUrl}/ami/channels`, { headers: auth })).json();
  const target = channels.find((c: { state: string; channel: string }) =>
    c.state === "Up" && !c.channel.startsWith("SIP/201-")
  ).channel;
  const body = JSON.stringify({ targetChannel: target });
  const { jobId } =
    await (await fetch(`${proxyUrl}/ami/originate/listen`, { method: "POST", headers: auth, body }))
      .json();

  const results = {
    bare: await wrk(`http://127.0.0.1:${bare.port}/ami/jobs/${jobId}`, token),
    ceiling: await wrk(`http://127.0.0.1:${ceiling.port}/ami/jobs/${jobId}`, token),
    read: await wrk(`${proxyUrl}/ami/jobs/${jobId}`, token),
  };
  const script = `${dir}/listen.lua`;
  Deno.writeTextFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = '${body}'\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  const listen = await wrk(`${proxyUrl}/ami/originate/listen`, token, script);

  const fmt = (n: number) =>
    Math.round(n).toLocaleString("en-US");
  const row = (name: string, r: WrkResult, vs?: WrkResult) =>
    `| ${name} | ${fmt(r.rps)} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${
      vs ? `${(r.rps / vs.rps).toFixed(2)}×` : ""
    } | ${r.errors} |`;
  console.log(`\nwrk, ${values.connections} connections, ${values.seconds} s each\n`);
  console.log("| server | requests/s | p50 | p99 | vs ceiling | errors |");
  console.log("|---|---:|---:|---:|---:|---:|");
  console.log(row("bare Hono (reference)", results.bare));
  console.log(
    row("ceiling: Hono + jose HS256 verify + SQLite insert", results.ceiling, results.ceiling),
  );
  console.log(
    row(
      "astrix proxy: GET /ami/jobs/:id (auth, roles, audit row, log line)",
      results.read,
      results.ceiling,
    ),
  );
  console.log(row("astrix proxy: POST /ami/originate/listen to mock-ami", listen));
} finally {
  await proxy.stop();
  await mock.stop();
  await ceiling.stop();
  await bare.stop();
  Deno.removeSync(dir, { recursive: true });
}
