/** `astrix proxy` as a real process: startup facts, refused configurations, graceful stop. */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { runCli, startCli } from "../_support/cli.ts";
import { SseReader } from "../_support/sse.ts";

function auditArgs(): string[] {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-proxy-cli-" });
  return ["--audit-db", `${dir}/audit.db`];
}

Deno.test("astrix proxy refuses configurations that would be unsafe or cannot work, with exit 2 and the reason", async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--jwt-secret", "short"], {}, /at least 32/],
    [[], {}, /Tokens need a key/],
    [
      ["--dev-token", "--ami", "127.0.0.1:5038", "--ami-user", "u", "--ami-secret", "s"],
      {},
      /simulated PBX only/,
    ],
    [["--ami", "127.0.0.1:5038", "--jwt-secret", "x".repeat(40)], {}, /--ami needs --ami-user/],
    [
      ["--ami", "127.0.0.1:5038", "--ami-user", "u", "--jwt-secret", "x".repeat(40)],
      {},
      /needs the AMI secret/,
    ],
    [
      ["--ami", "127.0.0.1:5038", "--forward", "http://127.0.0.1:1"],
      {},
      /either --ami or --forward/,
    ],
    [["--ami", "not a host"], {}, /is not HOST:PORT/],
    [["--dial-template", "SIP/${EXTEN}"], {}, /is not a dial template/],
    [["--jwt-secret-file", "/nonexistent/secret"], {}, /cannot read \/nonexistent\/secret/],
    [
      ["--dev-token", "--audit-db", "/nonexistent/dir/audit.db"],
      {},
      /\/nonexistent\/dir\/audit\.db/,
    ],
    // The flag the user typed, not mock-recordings' --dir.
    [
      ["--dev-token", "--recordings", "/nonexistent/recordings"],
      {},
      /^astrix proxy: --recordings "\/nonexistent\/recordings" is not a readable directory[^\n]*give a folder or an http/,
    ],
  ];
  for (const [args, env, message] of cases) {
    const { code, stderr } = await runCli(["proxy", "--port", "0", ...auditArgs(), ...args], env);
    assertEquals(code, 2, args.join(" "));
    assertMatch(stderr, /^astrix proxy: /);
    assertMatch(stderr, message);
  }
});

Deno.test("astrix proxy prints one line per fact, honours AMI_PROXY_PORT, and stops on SIGTERM closing event streams", async () => {
  const proxy = await startCli(
    ["proxy", "--dev-token", "--log-format", "json", ...auditArgs()],
    { AMI_PROXY_PORT: "0" }, // the seed's variable: any free port instead of 8080
  );
  let stopped: Awaited<ReturnType<typeof proxy.stop>> | undefined;
  try {
    assertMatch(proxy.firstLine, /^astrix proxy listening on http:\/\/127\.0\.0\.1:\d+$/);
    assert(proxy.port !== 8080 && proxy.port > 0);
    const url = `http://127.0.0.1:${proxy.port}`;
    const deadline = Date.now() + 10_000;
    while ((await contractFetch(`${url}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error("the proxy never became ready");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const events = new SseReader(
      await contractFetch(`${url}/ami/events`, {
        headers: { authorization: "Bearer test-token-for-local-dev" },
      }),
    );
    assertEquals((await events.next())?.retry, "3000");
    stopped = await proxy.stop();
    const final = await events.until((frame) => frame.event === "shutdown");
    assertMatch(final.data!, /shutting down/);
    await events.cancel();
  } finally {
    stopped ??= await proxy.stop();
  }
  assertEquals(stopped.code, 0, stopped.stderr);
  const facts = stopped.stdout.trim().split("\n");
  assertMatch(facts[0], /^backend: simulate/);
  assertMatch(facts[1], /^audit: .*audit\.db/);
  assertMatch(facts[2], /^auth: HS256.*, lifetime at most 24 h$/);
  assertMatch(facts[3], /^recordings: 20 synthetic/);
  assertMatch(facts[4], /^console: http:\/\/127\.0\.0\.1:\d+\/ \(API docs at \/docs\)$/);
  assertMatch(facts[5], /^WARNING: the development token/);
  // JSON request logs on stderr, one per line, nothing secret in them.
  const logs = stopped.stderr.split("\n").filter((line) => line.startsWith("{"));
  assert(logs.some((line) => JSON.parse(line).msg === "request"));
  assert(!stopped.stderr.includes("test-token-for-local-dev"));
});
