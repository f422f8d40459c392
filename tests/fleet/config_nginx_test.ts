/**
 * What docs/operations.md shows ops, end to end: two proxies started from
 * one config file, in front of two PBXs (mock-amis), with one PostgreSQL
 * audit, behind Debian's nginx. Through nginx: channels of both PBXs, a
 * listen on each, each hung up through whichever proxy nginx picks, the
 * event stream, a console session good on both proxies and ended on both by
 * one logout; one proxy killed and nginx's next requests served by the
 * other; the audit verifies.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { spawnProxy } from "../_support/fleet.ts";
import { startNginx } from "../_support/nginx.ts";
import { testDatabase } from "../_support/postgres.ts";
import { eventually } from "../_support/wait.ts";
import { runCli } from "../_support/cli.ts";
import { SseReader } from "../_support/sse.ts";
import { createMockAmi } from "../../src/pbx/mock_ami.ts";
import { signToken } from "../../src/proxy/tokens.ts";

const JWT_SECRET = "astrix-config-fleet-secret-0123456789abcdef";

Deno.test("two proxies from one config file, two PBXs, one PostgreSQL audit, behind nginx", async () => {
  await using pg = await testDatabase();
  const dir = Deno.makeTempDirSync({ prefix: "astrix-config-fleet-" });
  Deno.writeTextFileSync(`${dir}/jwt.secret`, JWT_SECRET);
  Deno.writeTextFileSync(`${dir}/ami.secret`, "floor1-secret");
  Deno.writeTextFileSync(`${dir}/floor2.secret`, "floor2-secret");
  const floor1 = createMockAmi({
    users: [{ username: "astrix", secret: "floor1-secret", read: ["all"], write: ["all"] }],
    calls: 3,
  });
  const floor2 = createMockAmi({
    users: [{ username: "astrix2", secret: "floor2-secret", read: ["all"], write: ["all"] }],
    calls: 3,
  });
  const [p1, p2] = [
    await floor1.listen({ hostname: "127.0.0.1", port: 0 }),
    await floor2.listen({ hostname: "127.0.0.1", port: 0 }),
  ];
  // The shape of docs/operations.md's file: loopback addresses, port 0 for the test.
  const config = `${dir}/astrix.toml`;
  Deno.writeTextFileSync(
    config,
    `log-format = "json"

[proxy]
host = "127.0.0.1"
port = 0
audit-db = "${pg.url}"
audit-key-file = "${dir}/audit.key"
jwt-secret-file = "${dir}/jwt.secret"
ami-user = "astrix"
ami-secret-file = "${dir}/ami.secret"
fleet-dead-after = 2000

[proxy.ami.floor1]
address = "127.0.0.1:${p1.port}"

[proxy.ami.floor2]
address = "127.0.0.1:${p2.port}"
user = "astrix2"
secret-file = "${dir}/floor2.secret"

[audit-query]
db = "${pg.url}"
key-file = "${dir}/audit.key"
`,
  );
  const proxies = [];
  try {
    for (let i = 0; i < 2; i++) {
      proxies.push(await spawnProxy(undefined, ["proxy", "--config", config]));
    }
    await using nginx = await startNginx(proxies.map((p) => p.url));
    const token = await signToken(new TextEncoder().encode(JWT_SECRET), {
      sub: "sup-201",
      role: "supervisor",
      ext: "201",
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${nginx.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    await eventually(async () => {
      const ready = await fetch(`${nginx.url}/readyz`);
      const body = await ready.json();
      return ready.status === 200 && body.pbxs?.floor1?.ready && body.pbxs?.floor2?.ready ||
        undefined;
    }, "both PBXs ready through nginx");

    // A console session made through one proxy works on both (nginx takes turns), and a
    // logout through one ends it on both.
    const login = await fetch(`${nginx.url}/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: nginx.url },
      body: JSON.stringify({ token }),
    });
    assertEquals(login.status, 200, await login.clone().text());
    const cookie = /^(astrix_session=[^;]*);/.exec(login.headers.get("set-cookie") ?? "")![1];
    const { session } = await login.json();
    const asBrowser = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${nginx.url}${path}`, { method, headers: { cookie, ...headers } });
    for (let i = 0; i < 4; i++) {
      const answer = await asBrowser("GET", "/console/session");
      assertEquals(answer.status, 200, `session read ${i}, through either proxy`);
      await answer.body?.cancel();
    }
    const logout = await asBrowser("POST", "/console/logout", {
      "x-astrix-csrf": session.csrfToken,
      origin: nginx.url,
    });
    assertEquals(logout.status, 204);
    for (let i = 0; i < 2; i++) {
      const answer = await asBrowser("GET", "/console/session");
      assertEquals(answer.status, 401, `ended on both proxies (${i})`);
      await answer.body?.cancel();
    }

    const stream = await fetch(`${nginx.url}/ami/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(stream.status, 200);
    const channels = await call("GET", "/ami/channels");
    assertEquals(channels.status, 200);
    const jobs: string[] = [];
    for (const pbx of ["floor1", "floor2"]) {
      const target = channels.body.channels.find((
        c: { pbx: string; state: string; channel: string },
      ) => c.pbx === pbx && c.state === "Up" && !c.channel.startsWith("SIP/201-"));
      assert(target, `a call on ${pbx}`);
      const started = await call("POST", "/ami/originate/listen", {
        targetChannel: target.channel,
        pbx,
      });
      assertEquals(started.status, 202, JSON.stringify(started.body));
      jobs.push(started.body.jobId);
    }
    for (const [i, id] of jobs.entries()) {
      const job = await eventually(async () => {
        const { body } = await call("GET", `/ami/jobs/${id}`);
        return body.job?.status === "active" ? body.job : undefined;
      }, `listen ${i} live, read through either proxy`);
      assertEquals(job.pbx, ["floor1", "floor2"][i]);
    }

    // The stream, through nginx from one proxy, carries both listens, whichever proxy started them.
    const events = new SseReader(stream);
    for (const id of jobs) {
      await events.until((f) => f.event === "job" && JSON.parse(f.data!).id === id, 10_000);
    }
    await events.cancel();

    await proxies[0].kill(); // nginx sends the next requests to the other
    for (const id of jobs) {
      const hungUp = await call("POST", `/ami/jobs/${id}/hangup`);
      assertEquals(hungUp.status, 200, JSON.stringify(hungUp.body));
      await eventually(async () => {
        const { body } = await call("GET", `/ami/jobs/${id}`);
        return body.job?.status === "ended" || undefined;
      }, "ended");
    }
  } finally {
    for (const proxy of proxies) await proxy.stop();
    await floor1.close();
    await floor2.close();
  }
  const verify = await runCli(["audit-query", "--config", config, "--verify"]);
  assertEquals(verify.code, 0, verify.stderr);
  assertMatch(verify.stdout, /chain OK/);
  const listens = await runCli([
    "audit-query",
    "--config",
    config,
    "--action",
    "listen",
    "--format",
    "json",
    "--limit",
    "100",
  ]);
  const rows = JSON.parse(listens.stdout);
  assertEquals(
    new Set(rows.map((r: { detail: { pbx?: string } }) => r.detail?.pbx)),
    new Set(["floor1", "floor2"]),
    "audit rows name each PBX",
  );
  Deno.removeSync(dir, { recursive: true });
});
