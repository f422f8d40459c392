/**
 * The compiled binary end to end, as users run it: `astrix dev` up, a
 * supervisor listens, a qa plays a recording and controls it, a user is
 * refused, the audit shows it all and verifies, test-client passes against
 * the stack's mock-ami, and every subcommand runs from an empty folder.
 *
 * Runs when ASTRIX_BINARY names the binary (CI builds it with
 * `deno task compile:bun`; a relative path is taken from the current
 * folder, e.g. `ASTRIX_BINARY=dist/astrix`); otherwise these tests are
 * ignored.
 */

import type { CliContext } from "../../commands/context.ts";
import { buildCli } from "../../main.ts";
import { apiClient } from "../_support/api_client.ts";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { holdAuditLock } from "../_support/audit_lock.ts";
import { SseReader } from "../_support/sse.ts";
import { eventually } from "../_support/wait.ts";
import { openApiJson } from "../../src/proxy/api/openapi.ts";
import { BINARY, NO_BINARY as ignore, readUntil, run, startDev } from "../_support/binary.ts";

const decoder = new TextDecoder();

/** Through the typed client, as a client app would: every answer is held to the contract. */
function api(base: string, token: string) {
  const client = apiClient(base, token);
  return {
    client,
    async job(id: string) {
      const { data, error } = await client.GET("/ami/jobs/{id}", { params: { path: { id } } });
      assert(data, JSON.stringify(error));
      return data.job;
    },
  };
}

Deno.test({
  name:
    "binary: astrix dev, a listen, a playback, a refusal, the audit, test-client, a clean Ctrl-C",
  ignore,
  async fn() {
    const cwd = Deno.makeTempDirSync({ prefix: "astrix-binary-" });
    const dev = await startDev(cwd);
    let stopped: { code: number; stderr: string } | undefined;
    try {
      for (let i = 0; (await contractFetch(`${dev.proxy}/readyz`)).status !== 200; i++) {
        if (i > 200) throw new Error("the proxy never became ready");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // The banner names the docs; the binary serves the document the code generates and the
      // docs page with every asset it needs.
      assertMatch(dev.banner, new RegExp(`API docs\\s+${dev.proxy}/docs`));
      assertEquals(await (await contractFetch(`${dev.proxy}/openapi.json`)).text(), openApiJson());
      const page = await contractFetch(`${dev.proxy}/docs`);
      const html = await page.text();
      assertMatch(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      // Every file the page loads (its icon is an inline data: URL, nothing to fetch).
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
        .filter((asset) => !asset.startsWith("data:"));
      assert(assets.length >= 3, html);
      for (const asset of assets) {
        const answer = await contractFetch(new URL(asset, `${dev.proxy}/docs`));
        assertEquals(answer.status, 200, asset);
        assert((await answer.arrayBuffer()).byteLength > 0, asset);
      }

      // A supervisor listens; the event stream shows ChanSpyStart; hangup ends it.
      const sup = api(dev.proxy, dev.tokens.supervisor);
      const stream = await sup.client.GET("/ami/events", {
        params: { query: { event: "ChanSpyStart" } },
        parseAs: "stream",
      });
      const events = new SseReader(stream.response);
      await events.next(); // retry
      const { data: live } = await sup.client.GET("/ami/channels");
      const target = live!.channels.find((c) =>
        c.state === "Up" && !c.channel.startsWith("SIP/209-")
      )!.channel;
      const listen = await sup.client.POST("/ami/originate/listen", {
        body: { targetChannel: target },
      });
      assertEquals(listen.response.status, 202);
      const listenId = listen.data!.jobId;
      const spy = await events.until((f) => f.event === "ami");
      assertEquals(JSON.parse(spy.data!).SpyeeChannel, target);
      await events.cancel();
      const hangup = await sup.client.POST("/ami/jobs/{id}/hangup", {
        params: { path: { id: listenId } },
      });
      assertEquals(hangup.response.status, 200);
      await eventually(
        async () => (await sup.job(listenId)).status === "ended" || undefined,
        "listen ended",
      );

      // A qa plays a recording: pause, resume, stop.
      const qa = api(dev.proxy, dev.tokens.qa);
      const { data: page1 } = await qa.client.GET("/recordings", {
        params: { query: { limit: 1 } },
      });
      const playback = await qa.client.POST("/ami/originate/playback", {
        body: { recordingId: page1!.recordings[0].id },
      });
      assertEquals(playback.response.status, 202);
      const jobId = playback.data!.jobId;
      await eventually(
        async () => (await qa.job(jobId)).status === "active" || undefined,
        "playing",
      );
      for (const [control, status] of [["pause", "paused"], ["resume", "active"]] as const) {
        const answer = await qa.client.POST("/ami/control/playback", { body: { jobId, control } });
        assertEquals([answer.response.status, answer.data?.job.status], [200, status]);
      }
      const stop = await qa.client.POST("/ami/control/playback", {
        body: { jobId, control: "stop" },
      });
      assertEquals(stop.response.status, 200);
      await eventually(
        async () => (await qa.job(jobId)).status === "ended" || undefined,
        "stopped",
      );

      // A user may not listen.
      const refused = await api(dev.proxy, dev.tokens.user).client.POST("/ami/originate/listen", {
        body: { targetChannel: target },
      });
      assertEquals([refused.response.status, refused.error?.error.code], [403, "forbidden_role"]);

      // The binary's test-client against the stack's mock-ami.
      const check = await run(["test-client", "--port", String(dev.amiPort), "--json"], cwd);
      assertEquals(check.code, 0, check.stdout + check.stderr);

      // The same port again from another folder: a clear message, exit 2; the same folder
      // again: the running stack's pid.
      const elsewhere = Deno.makeTempDirSync({ prefix: "astrix-binary-" });
      const again = await run(["dev", "--ami-port", String(dev.amiPort)], elsewhere);
      assertEquals(again.code, 2);
      assertMatch(
        again.stderr,
        new RegExp(`^astrix dev: Port ${dev.amiPort} is in use.*--ami-port`),
      );
      const twice = await run(["dev", "--port", "0", "--ami-port", "0"], cwd);
      assertEquals(twice.code, 2);
      assertMatch(twice.stderr, new RegExp(`already runs as pid ${dev.stackPid}`));
    } finally {
      stopped = await dev.stop("SIGINT");
    }
    assertEquals(stopped.code, 0, stopped.stderr);
    // The stack was one process: nothing is left behind.
    assert(!(await run(["--version"], cwd)).stderr.includes("error"));
    let alive = true;
    try {
      Deno.kill(dev.pid, "SIGCONT");
    } catch {
      alive = false;
    }
    assertEquals(alive, false, "the dev process is gone");

    // The audit shows every step and its chain holds.
    const db = `${cwd}/.astrix/ami_audit.db`;
    const rows = await run(["audit-query", "--db", db, "--limit", "1000", "--format", "json"], cwd);
    assertEquals(rows.code, 0, rows.stderr);
    const seen = JSON.parse(rows.stdout).map((
      r: { action: string; outcome: string; user: string },
    ) => `${r.user} ${r.action} ${r.outcome}`);
    for (
      const expected of [
        "dev-supervisor listen attempt",
        "dev-supervisor listen ok",
        "dev-supervisor hangup ok",
        "dev-qa playback ok",
        "dev-qa control ok",
        "dev-user listen denied",
      ]
    ) assert(seen.includes(expected), `${expected} in ${seen.join(", ")}`);
    const verify = await run(["audit-query", "--db", db, "--verify"], cwd);
    assertEquals(verify.code, 0, verify.stdout);
    assertMatch(verify.stdout, /^chain OK/);
  },
});

Deno.test({
  name:
    "binary: the proxy's audit worker is in the binary: rows written and durable, /healthz answers while a write waits for a held lock, a bad --audit-db exits 2 with AuditLog's message",
  ignore,
  async fn() {
    const cwd = Deno.makeTempDirSync({ prefix: "astrix-binary-audit-" });
    const db = `${cwd}/audit.db`;
    const child = new Deno.Command(BINARY!, {
      args: [
        "proxy",
        "--port",
        "0",
        "--dev-token",
        "--audit-db",
        db,
        "--audit-busy-timeout",
        "300",
      ],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { text: banner, drained } = await readUntil(
      child,
      (text) => /listening on http:\/\/\S+\n/.test(text),
    );
    const url = banner.match(/listening on (http:\/\/\S+)/)![1];
    const headers = { authorization: "Bearer test-token-for-local-dev" };
    let status: Deno.CommandStatus | undefined;
    try {
      await eventually(
        async () => (await contractFetch(`${url}/readyz`)).status === 200 || undefined,
        "the binary's proxy to be ready",
      );
      const requestId = crypto.randomUUID();
      const channels = await contractFetch(`${url}/ami/channels`, {
        headers: { ...headers, "x-request-id": requestId },
      });
      assertEquals(channels.status, 200);
      await channels.body?.cancel();
      const metrics = await (await contractFetch(`${url}/metrics`)).text();
      assertMatch(metrics, /^astrix_audit_writable 1$/m);
      assertMatch(metrics, /^astrix_audit_writes_total\{outcome="ok"\} 1$/m);
      // Committed before the answer: another process reads both rows now.
      const rows = await run(["audit-query", "--db", db, "--format", "json"], cwd);
      const mine = JSON.parse(rows.stdout).filter((r: { requestId: string }) =>
        r.requestId === requestId
      ).map((r: { outcome: string }) => r.outcome);
      assertEquals(mine.sort(), ["attempt", "ok"]);

      // Another process holds the write lock: a read of channels waits for it (audited first),
      // /healthz does not; past --audit-busy-timeout the read answers 503, and works once the
      // lock is gone.
      const lock = await holdAuditLock(db);
      let released = false;
      try {
        const waiting = contractFetch(`${url}/ami/channels`, { headers });
        for (let i = 0; i < 20; i++) {
          assertEquals((await contractFetch(`${url}/healthz`)).status, 200);
        }
        const refused = await waiting;
        assertEquals(refused.status, 503);
        assertEquals((await refused.json()).error.code, "audit_unavailable");
        await lock.release();
        released = true;
        const answer = await contractFetch(`${url}/ami/channels`, { headers });
        assertEquals(answer.status, 200);
        await answer.body?.cancel();
      } finally {
        if (!released) await lock.release();
      }
    } finally {
      child.kill("SIGTERM");
      status = await child.status;
    }
    assertEquals(status.code, 0, (await drained)[1]);
    const verify = await run(["audit-query", "--db", db, "--verify"], cwd);
    assertMatch(verify.stdout, /^chain OK · 4 rows/);

    const bad = await run([
      "proxy",
      "--port",
      "0",
      "--dev-token",
      "--audit-db",
      `${cwd}/no/audit.db`,
    ], cwd);
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /^astrix proxy: Cannot .*\/no\/audit\.db/);
  },
});

Deno.test({
  name: "binary: copied alone to an empty folder, every subcommand runs",
  ignore,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "astrix-alone-" });
    Deno.copyFileSync(BINARY!, `${dir}/astrix`);
    Deno.chmodSync(`${dir}/astrix`, 0o755);
    const alone = async (args: string[]) => {
      const output = await new Deno.Command(`${dir}/astrix`, {
        args,
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      return {
        code: output.code,
        text: decoder.decode(output.stdout) + decoder.decode(output.stderr),
      };
    };
    assertMatch((await alone(["--version"])).text, /^\d+\.\d+\.\d+/);
    const commands = buildCli({} as CliContext).commands.map((c) => c.name());
    const help = (await alone(["--help"])).text;
    for (const command of commands) {
      assert(help.includes(command), `${command} in --help`);
      const own = await alone([command, "--help"]);
      assertEquals(own.code, 0, command);
      assertMatch(own.text, new RegExp(`Usage: astrix ${command}`));
    }
    const token = await alone([
      "token",
      "--user",
      "u1",
      "--role",
      "qa",
      "--secret",
      "x".repeat(40),
    ]);
    assertEquals(token.code, 0);
    assertMatch(token.text, /^eyJ/);
    const missing = await alone(["audit-query", "--db", "none.db"]);
    assertEquals(missing.code, 2);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["astrix"], "nothing was written");
  },
});

Deno.test({
  name:
    "binary: astrix dev keeps its pid in .astrix/dev.pid and stops, freeing its ports, when the shell that started it is killed",
  ignore,
  async fn() {
    const cwd = Deno.makeTempDirSync({ prefix: "astrix-binary-orphan-" });
    const dev = await startDev(cwd, { underShell: true });
    assert(dev.stackPid > 0 && dev.stackPid !== dev.pid, `dev.pid: ${dev.stackPid}`);
    Deno.kill(dev.pid, "SIGKILL"); // the shell, which passes nothing on
    const timer = setTimeout(() => Deno.kill(dev.stackPid, "SIGKILL"), 10_000);
    const [, stderr] = await dev.drained;
    clearTimeout(timer);
    assertMatch(stderr, new RegExp(`astrix dev: parent process ${dev.pid} exited, stopping`));
    for (const port of dev.ports) Deno.listen({ hostname: "127.0.0.1", port }).close();
    assertEquals(
      [...Deno.readDirSync(`${cwd}/.astrix`)].some((e) => e.name === "dev.pid"),
      false,
      "dev.pid is removed",
    );
  },
});
