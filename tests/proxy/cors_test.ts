import { assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { nullLogger } from "../../src/log.ts";
import { startProxy } from "../../src/proxy/proxy.ts";

const SECRET = new TextEncoder().encode("cors-secret-0123456789abcdef0123456789");

async function proxyWith(corsOrigins?: string[]) {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-cors-" });
  return await startProxy({
    host: "127.0.0.1",
    port: 0,
    backend: { kind: "simulate" },
    auditDb: `${dir}/audit.db`,
    auditKeyFile: `${dir}/audit.key`,
    auth: { kind: "hs256", secret: SECRET },
    logger: nullLogger,
    corsOrigins,
  });
}

Deno.test("proxy answers a browser's preflight only for the origins it is given, before auth", async () => {
  const proxy = await proxyWith(["http://app.example"]);
  try {
    const preflight = await contractFetch(`${proxy.url}/ami/events`, {
      method: "OPTIONS",
      headers: {
        origin: "http://app.example",
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization, last-event-id",
      },
    });
    await preflight.body?.cancel();
    assertEquals(preflight.status, 204);
    assertEquals(preflight.headers.get("access-control-allow-origin"), "http://app.example");
    assertMatch(preflight.headers.get("access-control-allow-headers")!, /Authorization/);
    assertMatch(preflight.headers.get("access-control-allow-headers")!, /Last-Event-ID/);
    const other = await contractFetch(`${proxy.url}/healthz`, {
      headers: { origin: "http://evil.example" },
    });
    await other.body?.cancel();
    assertEquals(other.headers.get("access-control-allow-origin"), null);
  } finally {
    await proxy.close();
  }
});

Deno.test("proxy sends no CORS headers unless told to", async () => {
  const proxy = await proxyWith();
  try {
    const response = await contractFetch(`${proxy.url}/healthz`, {
      headers: { origin: "http://app.example" },
    });
    await response.body?.cancel();
    assertEquals(response.headers.get("access-control-allow-origin"), null);
  } finally {
    await proxy.close();
  }
});
