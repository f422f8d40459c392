/**
 * Issue 11, items 5 and 6, end to end: one hostile AMI peer must not freeze
 * the proxy. A real `astrix proxy` process logs in to a hostile AMI server
 * on 127.0.0.1, which then sends an event with 100,000 `Variable:` headers,
 * or drips a `Response: Follows` body a line at a time. Between writes the
 * test asks the proxy's /healthz and counts the answers: every one must come
 * (a probe that gets no answer within a generous bound counts as failed, so
 * a frozen proxy fails the test instead of hanging it), the proxy must hang
 * up before the attack ends, and its log must say why. The test-client,
 * which reads AMI with the same client, reports the refusal in its step;
 * `AmiClient` and `AmiServer` take the limit as an option. The refusal is
 * checked by its name on the base class, so this file also runs against a
 * tree without the limit (and fails there).
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import {
  type Attack,
  dripFollows,
  type HostileAmi,
  manyVariables,
  startHostileAmi,
} from "../_support/hostile_ami.ts";
import { startServer } from "../_support/ami_server.ts";
import { denoArgs } from "../_support/cli.ts";
import { nextState, waitFor } from "../_support/wait.ts";
import { AmiClient } from "../../src/ami/client.ts";
import { AmiProtocolError } from "../../src/ami/errors.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { defaultTransport } from "../../src/ami/transport.ts";
import { runSteps } from "../../src/test_client/steps.ts";

/** The proxy's default limit, and what its refusal says. */
const REFUSAL = "more than 10000 header lines";
/** A /healthz that has not answered by then counts as failed: the proxy is frozen. */
const PROBE_LIMIT_MS = 10_000;

/** A proxy process and what it wrote to stderr. */
interface ProxyProcess {
  url: string;
  stderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited within the bound (a frozen proxy ignores SIGTERM). */
  stop(): Promise<void>;
}

/** Starts `astrix proxy --ami 127.0.0.1:<port>` and waits for its "listening on" line. */
async function startProxyProcess(amiPort: number, dir: string): Promise<ProxyProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoArgs([
      "proxy",
      "--port",
      "0",
      "--ami",
      `127.0.0.1:${amiPort}`,
      "--ami-user",
      "astrix",
      "--audit-db",
      `${dir}/audit.db`,
    ]),
    env: {
      ASTRIX_AMI_SECRET: "hostile-peer-test",
      ASTRIX_JWT_SECRET: "astrix-hostile-peer-test-secret-0123456789",
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errors = "";
  const draining = (async () => {
    // Drained all along (a full pipe would block the proxy); only the AMI lines are kept.
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of child.stderr) {
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const line of lines) if (line.includes("AMI")) errors += line + "\n";
    }
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!/listening on (\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`astrix proxy exited before listening: ${errors}`);
    out += value;
  }
  const reading = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url: out.match(/listening on (\S+)/)![1],
    stderr: () => errors,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_LIMIT_MS);
      await child.status;
      clearTimeout(timer);
      await Promise.all([draining, reading]);
    },
  };
}

/** Counts /healthz answers; `probe()` is false once one did not come. */
class HealthProbe {
  ok = 0;
  failed: string[] = [];
  url = "";

  probe = async (): Promise<boolean> => {
    try {
      const response = await contractFetch(`${this.url}/healthz`, {
        signal: AbortSignal.timeout(PROBE_LIMIT_MS),
      });
      const body = await response.json();
      if (response.status === 200 && body.status === "ok") this.ok++;
      else this.failed.push(`status ${response.status}`);
    } catch (error) {
      this.failed.push(String(error));
    }
    return this.failed.length === 0;
  };
}

/** Runs `attack` on the proxy's first AMI connection; returns what it counted and the proxy's log. */
async function attackProxy(attack: (probe: HealthProbe) => Attack) {
  const probe = new HealthProbe();
  const dir = await Deno.makeTempDir({ prefix: "astrix-hostile-peer-" });
  let peer: HostileAmi | undefined;
  let proxy: ProxyProcess | undefined;
  try {
    peer = await startHostileAmi([attack(probe)]);
    proxy = await startProxyProcess(peer.port, dir);
    probe.url = proxy.url;
    const sent = await peer.attacks[0];
    // Once more after the attack: the proxy has read all of it by the time this is answered.
    if (probe.failed.length === 0) await probe.probe();
    const running = proxy;
    await waitFor(() => running.stderr().includes(REFUSAL), "the proxy to log the refusal")
      .catch(() => {}); // the assertions say what is missing
    return { sent, probe, log: proxy.stderr() };
  } finally {
    await proxy?.stop();
    await peer?.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the proxy answers /healthz while an AMI peer sends an event with 100,000 headers", async () => {
  // 100 writes of 1,000 headers, a /healthz after each; refused at the 10,001st line.
  const { sent, probe, log } = await attackProxy((probe) => (conn) =>
    manyVariables(conn, { headers: 100_000, perPiece: 1_000, between: probe.probe })
  );
  assert(
    sent <= 20,
    `the proxy hung up after ${sent} of 100 pieces (the limit is in the 10th); ` +
      `/healthz: ${probe.ok} answered, not answered: ${probe.failed}`,
  );
  assertEquals(probe.failed, [], "every /healthz was answered");
  assert(probe.ok >= 10, `${probe.ok} /healthz answered during the attack`);
  assert(log.includes(REFUSAL), `the proxy's log says why: ${log}`);
  assert(log.includes("maxMessageHeaders"), "and names the limit");
});

Deno.test("the proxy answers /healthz while an AMI peer drips a Response: Follows", async () => {
  // Two header lines per drip: the 4,999th drip passes the 10,000 lines; a /healthz every 10.
  const { sent, probe, log } = await attackProxy((probe) => (conn) =>
    dripFollows(conn, { drips: 6_000, every: 10, between: probe.probe })
  );
  assert(sent <= 5_200, `the proxy hung up after ${sent} drips (the limit is in the 4,999th)`);
  assertEquals(probe.failed, [], "every /healthz was answered");
  assert(probe.ok >= 490, `${probe.ok} /healthz answered during the attack`);
  assert(log.includes(REFUSAL), `the proxy's log says why: ${log}`);
});

Deno.test("test-client reports the refusal of a dripped Response: Follows in its step", async () => {
  const peer = await startHostileAmi([
    (conn) =>
      dripFollows(conn, { drips: 6_000, every: 6_000, between: () => Promise.resolve(true) }),
  ]);
  try {
    const run = await runSteps({
      ami: { host: "127.0.0.1", port: peer.port, username: "ops", secret: "opspass" },
      listenerExtension: "201",
      dialTemplate: "Local/{ext}@spy",
      recording: "ops/long",
      timeoutMs: 10_000,
    });
    assertEquals(run.steps[0].ok, true, run.steps[0].detail);
    const listed = run.steps[1];
    assertEquals(listed.ok, false);
    assert(listed.detail.includes(REFUSAL), `step 2 says why: ${listed.detail}`);
  } finally {
    await peer.close();
  }
});

Deno.test("AmiClient drops a peer past its maxMessageHeaders and reconnects", async () => {
  const connected = Promise.withResolvers<void>();
  const peer = await startHostileAmi([async (conn) => {
    await connected.promise; // the Login's answer is read before the attack comes
    return manyVariables(conn, {
      headers: 2_000,
      perPiece: 2_000,
      between: () => Promise.resolve(true),
    });
  }]);
  const client = new AmiClient({
    host: "127.0.0.1",
    port: peer.port,
    username: "ops",
    secret: "opspass",
    keepaliveMs: 0,
    reconnect: { initialMs: 1, maxMs: 1 },
    maxMessageHeaders: 1_000,
  });
  try {
    const lost = nextState(client, "reconnecting");
    await client.connect();
    connected.resolve();
    const { error } = await lost;
    const cause = error?.cause;
    assert(cause instanceof AmiProtocolError, `dropped for ${error}`);
    assertEquals(cause.name, "AmiTooManyHeadersError");
    assert(error!.message.includes("more than 1000 header lines"), error!.message);
    await nextState(client, "connected"); // the next connection carries no attack
  } finally {
    await client.close();
    await peer.close();
  }
});

Deno.test("AmiServer closes a session whose action passes its maxMessageHeaders", async () => {
  // A bound for a server that ignores the limit: it then answers everything and the
  // unauthenticated session ends at this timeout instead.
  const { port, close } = await startServer({ maxMessageHeaders: 1_000, authTimeoutMs: 3_000 });
  const conn = await defaultTransport().connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const parser = new AmiParser({ expectBanner: true });
  const answered: (string | undefined)[] = [];
  const readUntil = async (done: () => boolean) => {
    for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
      answered.push(...parser.push(chunk).map((m) => m.actionId));
      if (done()) return;
    }
  };
  try {
    await conn.write(encoder.encode("Action: Ping\r\nActionID: before\r\n\r\n"));
    await readUntil(() => answered.length === 1);
    const flood = "Action: Ping\r\nActionID: flood\r\n" + "Variable: A=1\r\n".repeat(2_000);
    await conn.write(encoder.encode(flood + "\r\nAction: Ping\r\nActionID: after\r\n\r\n"));
    await readUntil(() => false); // to the end of the connection
    assertEquals(answered, ["before"], "the session ended at the flood");
  } finally {
    conn.close();
    await close();
  }
});
