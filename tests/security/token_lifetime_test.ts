/**
 * Attacks (issue 11, item 11): a token issued an hour in the future, one
 * whose `exp` is 1e300, and a 100 KB token. The first two were accepted;
 * now they answer 401 `token_issued_in_future` / `token_lifetime_too_long`
 * (lifetimes over `--max-token-lifetime`, 24 h by default). Oversized
 * headers got a bare 400 from the HTTP layer; now the proxy's JSON error,
 * 431 `headers_too_large` (within what the runtime lets through: see
 * src/http/serve.ts).
 */

import { SignJWT } from "jose";
import { resolve } from "node:path";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { runCli } from "../_support/cli.ts";
import { assertErrorAnswer, startTestProxy, TEST_SECRET } from "../_support/proxy.ts";
import { createLogger } from "../../src/log.ts";

const HOUR = 3_600;

/** A token with exactly these times (`iat: null`: none). */
async function timed(iat: number | null, exp: number): Promise<string> {
  const jwt = new SignJWT({ sub: "sup-201", role: "supervisor", ext: "201" })
    .setProtectedHeader({ alg: "HS256" }).setIssuer("astrix").setAudience("astrix")
    .setExpirationTime(exp);
  if (iat !== null) jwt.setIssuedAt(iat);
  return await jwt.sign(TEST_SECRET);
}

Deno.test("a token issued in the future or living longer than --max-token-lifetime gets 401 with its code", async () => {
  await using px = await startTestProxy();
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, number | null, number, string][] = [
    ["iat an hour ahead", now + HOUR, now + 2 * HOUR, "token_issued_in_future"],
    ["exp of 1e300", now, 1e300, "token_lifetime_too_long"],
    ["25 h from iat", now - 60, now - 60 + 25 * HOUR, "token_lifetime_too_long"],
    ["no iat, 25 h left", null, now + 25 * HOUR, "token_lifetime_too_long"],
  ];
  for (const [name, iat, exp, code] of cases) {
    const answer = await px.request("GET", "/ami/channels", { token: await timed(iat, exp) });
    assertErrorAnswer(answer, 401, code);
    assertEquals(answer.sent, [], name);
    assertEquals(px.auditOf(answer.requestId), [], name);
  }
  // Inside the limits: 24 h exactly, and an iat within the 30 s of clock skew.
  for (const [iat, exp] of [[now, now + 24 * HOUR], [now + 20, now + HOUR], [null, now + HOUR]]) {
    const answer = await px.request("GET", "/ami/channels", { token: await timed(iat, exp!) });
    assertEquals(answer.status, 200, JSON.stringify(answer.body));
  }
});

Deno.test("the proxy's --max-token-lifetime is the limit tokens are held to", async () => {
  await using px = await startTestProxy({ config: { maxTokenLifetimeSeconds: HOUR } });
  const now = Math.floor(Date.now() / 1000);
  const long = await px.request("GET", "/ami/channels", {
    token: await timed(now, now + 2 * HOUR),
  });
  assertErrorAnswer(long, 401, "token_lifetime_too_long");
  assertMatch(long.body.error.message, /valid for 2 h .*at most 1 h \(--max-token-lifetime\)/);
  const ok = await px.request("GET", "/ami/channels", { token: await timed(now, now + HOUR) });
  assertEquals(ok.status, 200);
});

const BINARY = Deno.env.get("ASTRIX_BINARY");

Deno.test({
  name: "a 100 KB token gets the proxy's JSON error, 431 headers_too_large, from the binary",
  // Deno's own HTTP layer answers heads over ~64 KiB with a bare 400 before any handler runs
  // (no option changes that); the bun-compiled binary lets up to 256 KiB reach the check.
  ignore: !BINARY,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "astrix-431-" });
    const child = new Deno.Command(resolve(BINARY!), {
      args: ["proxy", "--dev-token", "--port", "0", "--audit-db", `${dir}/audit.db`],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let text = "";
      while (!/listening on (\S+)/.test(text)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`the proxy exited: ${text}`);
        text += value;
      }
      const url = text.match(/listening on (\S+)/)![1];
      const response = await contractFetch(`${url}/ami/channels`, {
        headers: { authorization: `Bearer ${"e".repeat(100_000)}` },
      });
      assertEquals(response.status, 431);
      const body = await response.json();
      assertEquals(body.error.code, "headers_too_large");
      assertEquals(response.headers.get("x-request-id"), body.error.requestId);
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await lines.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("oversized headers within what the runtime lets through get JSON 431, nothing sent, logged and counted", async () => {
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "debug", write: (l) => lines.push(l) });
  await using px = await startTestProxy({ config: { logger } });
  for (const size of [17_000, 40_000, 60_000]) {
    const answer = await px.request("GET", "/ami/channels", {
      token: `${px.tokens.supervisor}${"e".repeat(size)}`,
    });
    assertEquals(answer.status, 431, `${size}: ${JSON.stringify(answer.body)}`);
    assertEquals(answer.body.error.code, "headers_too_large");
    assertMatch(answer.body.error.message, /at most 16384 are accepted/);
    assertEquals(answer.headers.get("x-request-id"), answer.body.error.requestId);
    assertEquals(answer.body.error.requestId, answer.requestId, "the caller's own request id");
    assertEquals(answer.sent, []);
    const logged = lines.map((line) => JSON.parse(line)).find((l) =>
      l.requestId === answer.requestId
    );
    assertEquals(
      [logged?.msg, logged?.status],
      ["request", 431],
      "one request line, as for any answer",
    );
    assert(!lines.some((line) => line.includes("eeeeeeeeee")), "the oversized token is not logged");
  }
  const metrics = await px.request("GET", "/metrics");
  assertMatch(metrics.body, /^astrix_http_requests_total\{[^}]*status="431"[^}]*\} 3$/m);
  // Many small headers add up the same way.
  const headers: Record<string, string> = {};
  for (let i = 0; i < 80; i++) headers[`x-filler-${i}`] = "f".repeat(250);
  const many = await px.request("GET", "/ami/channels", { role: "supervisor", headers });
  assertEquals(many.status, 431);
  const normal = await px.request("GET", "/ami/channels", { role: "supervisor" });
  assertEquals(normal.status, 200);
});

Deno.test("astrix token refuses a --ttl over 24 h unless told the proxy accepts it", async () => {
  const env = { ASTRIX_JWT_SECRET: "token-cli-secret-0123456789abcdef0123" };
  const refused = await runCli(["token", "--user", "u1", "--role", "qa", "--ttl", "25h"], env);
  assertEquals(refused.code, 2, refused.stderr);
  assertEquals(refused.stdout, "");
  assertMatch(refused.stderr, /--ttl of 90000 s is longer than the proxy accepts/);
  const told = await runCli(
    ["token", "--user", "u1", "--role", "qa", "--ttl", "7d", "--max-token-lifetime", "7d"],
    env,
  );
  assertEquals(told.code, 0, told.stderr);
  const payload = JSON.parse(atob(
    told.stdout.trim().split(".")[1].replace(/-/g, "+")
      .replace(/_/g, "/"),
  ));
  assert(payload.exp - payload.iat === 7 * 86_400);
});
