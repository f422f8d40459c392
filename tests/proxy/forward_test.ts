/**
 * Forward mode: the proxy in front of a small real HTTP upstream adapter.
 * Auth, roles and the audit stay in the proxy; the upstream gets the
 * caller's identity in headers and owns the calls.
 */

import { Hono } from "hono";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { serveHttp } from "../../src/http/serve.ts";
import { nullLogger } from "../../src/log.ts";
import { AuditReader } from "../../src/audit/mod.ts";
import { startProxy } from "../../src/proxy/proxy.ts";
import { signToken } from "../../src/proxy/tokens.ts";

const SECRET = new TextEncoder().encode("forward-secret-0123456789abcdef012345");

/** The upstream: records what it was asked, lets the test move its job along. */
function upstream() {
  const calls: {
    method: string;
    path: string;
    user: string | null;
    role: string | null;
    body: unknown;
  }[] = [];
  const jobs = new Map<string, { status: string }>();
  let healthy = true;
  let channels: unknown[] = [
    { channel: "SIP/202-00000001", state: "Up" },
    {
      channel: "SIP/203-00000002",
      state: "Ring",
      callerIdNum: "203",
      durationSeconds: 4,
      extra: 1,
    },
  ];
  const app = new Hono();
  app.use(async (c, next) => {
    const body = c.req.method === "POST" ? await c.req.json().catch(() => null) : null;
    calls.push({
      method: c.req.method,
      path: c.req.path,
      user: c.req.header("x-astrix-user") ?? null,
      role: c.req.header("x-astrix-role") ?? null,
      body,
    });
    await next();
  });
  app.get("/healthz", (c) => healthy ? c.json({ ok: true }) : c.json({ ok: false }, 503));
  app.get(
    "/ami/channels",
    (c) => c.json({ channels }),
  );
  app.post("/ami/originate/listen", (c) => {
    const id = `up-${jobs.size + 1}`;
    jobs.set(id, { status: "dialing" });
    return c.json({ jobId: id }, 202);
  });
  app.get("/ami/jobs/:id", (c) => {
    const job = jobs.get(c.req.param("id"));
    return job ? c.json({ job }) : c.json({ error: "no" }, 404);
  });
  app.post("/ami/jobs/:id/hangup", (c) => {
    jobs.get(c.req.param("id"))!.status = "ended";
    return c.json({ job: jobs.get(c.req.param("id")) });
  });
  return {
    app,
    calls,
    jobs,
    setHealthy: (value: boolean) => healthy = value,
    setChannels: (value: unknown[]) => channels = value,
  };
}

Deno.test("forward mode passes requests upstream with the caller's identity, follows the upstream job, audits locally", async () => {
  const up = upstream();
  const server = await serveHttp(up.app.fetch, { hostname: "127.0.0.1", port: 0 });
  const dir = Deno.makeTempDirSync({ prefix: "astrix-forward-" });
  const proxy = await startProxy({
    host: "127.0.0.1",
    port: 0,
    backend: { kind: "forward", url: new URL(server.url) },
    auditDb: `${dir}/audit.db`,
    auditKeyFile: `${dir}/audit.key`,
    auth: { kind: "hs256", secret: SECRET },
    logger: nullLogger,
  });
  try {
    const headers = {
      authorization: `Bearer ${await signToken(SECRET, {
        sub: "sup-9",
        role: "supervisor",
        ext: "201",
      })}`,
      "content-type": "application/json",
    };
    const get = (path: string) => contractFetch(`${proxy.url}${path}`, { headers });
    const post = (path: string, body: unknown = {}) =>
      contractFetch(`${proxy.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
    const poll = async (predicate: () => Promise<boolean>, what: string) => {
      const deadline = Date.now() + 5_000;
      while (!(await predicate())) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await poll(async () => (await contractFetch(`${proxy.url}/readyz`)).status === 200, "ready");

    const none = {
      pbx: "default",
      callerIdNum: null,
      callerIdName: null,
      connectedLineNum: null,
      application: null,
      durationSeconds: null,
      uniqueId: null,
      linkedId: null,
    };
    assertEquals((await (await get("/ami/channels")).json()).channels, [
      { channel: "SIP/202-00000001", state: "Up", ...none },
      {
        channel: "SIP/203-00000002",
        state: "Ring",
        ...none,
        callerIdNum: "203",
        durationSeconds: 4,
      },
    ]);
    up.setChannels([{ state: "Up" }]);
    const nameless = await get("/ami/channels");
    assertEquals([nameless.status, (await nameless.json()).error.code], [502, "upstream_error"]);
    up.setChannels([{ channel: "SIP/202-00000001", state: "Up" }]);
    const started = await post("/ami/originate/listen", { targetChannel: "SIP/202-00000001" });
    assertEquals(started.status, 202);
    const { jobId } = await started.json();
    const forwarded = up.calls.find((c) => c.path === "/ami/originate/listen")!;
    assertEquals(forwarded.user, "sup-9");
    assertEquals(forwarded.role, "supervisor");
    assertEquals(forwarded.body, {
      targetChannel: "SIP/202-00000001",
      listenerExtension: "201",
      mode: "listen",
    });

    up.jobs.get("up-1")!.status = "active";
    await poll(
      async () => (await (await get(`/ami/jobs/${jobId}`)).json()).job.status === "active",
      "active",
    );
    assertEquals((await post(`/ami/jobs/${jobId}/hangup`)).status, 200);
    await poll(
      async () => (await (await get(`/ami/jobs/${jobId}`)).json()).job.status === "ended",
      "ended",
    );
    assert(up.calls.some((c) => c.path === "/ami/jobs/up-1/hangup"));

    // The audit is the proxy's own.
    const reader = AuditReader.open(`${dir}/audit.db`);
    const rows = reader.query({ action: "listen" }, { order: "asc" }).rows;
    reader.close();
    assertEquals(rows.map((r) => [r.outcome, r.status]), [["attempt", null], ["ok", 202]]);

    // An upstream that stops answering: not ready, actions refused.
    up.setHealthy(false);
    await poll(
      async () => (await contractFetch(`${proxy.url}/readyz`)).status === 503,
      "not ready",
    );
    const refused = await post("/ami/originate/listen", { targetChannel: "SIP/202-00000001" });
    assertEquals(refused.status, 503);
    assertMatch((await refused.json()).error.code, /unavailable/);
  } finally {
    await proxy.close();
    await server.close();
  }
});
