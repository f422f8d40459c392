/**
 * A PostgreSQL password in `--audit-db` / `--db` never reaches a log line,
 * a banner or an error message: the proxy's startup banner and logs, and
 * audit-query's and audit-migrate's errors, show the URL with `***`.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { spawnProxy } from "../_support/fleet.ts";
import { testDatabase } from "../_support/postgres.ts";
import { unusedPort } from "../_support/wait.ts";

const PASSWORD = "pw-ShouldNeverBeSeen-4711";

Deno.test("a PostgreSQL password in the audit's URL is masked in the proxy's banner and logs, and in errors", async () => {
  await using pg = await testDatabase();
  const url = new URL(pg.url);
  url.password = PASSWORD; // trust auth on loopback: accepted, and must still never be shown
  const dir = Deno.makeTempDirSync({ prefix: "astrix-pg-secret-" });
  Deno.writeTextFileSync(`${dir}/jwt.secret`, "astrix-pg-secret-test-0123456789abcdef-jwt");
  const proxy = await spawnProxy(undefined, [
    "proxy",
    "--port",
    "0",
    "--dev-token",
    "--audit-db",
    url.href,
    "--audit-key-file",
    `${dir}/audit.key`,
  ]);
  const token = "test-token-for-local-dev";
  const answer = await fetch(`${proxy.url}/ami/jobs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await answer.body?.cancel();
  assertEquals(answer.status, 200);
  await proxy.stop();
  assert(!proxy.stderr().includes(PASSWORD), "not in the proxy's logs");
  assertMatch(proxy.stdout(), /audit: postgres:\/\/astrix:\*\*\*@127\.0\.0\.1:\d+\/astrix_test/);
  assert(!proxy.stdout().includes(PASSWORD), "not in its banner");

  const banner = await runCli([
    "proxy",
    "--port",
    String(unusedPort()),
    "--audit-db",
    url.href.replace(/\/[^/]*$/, "/no_such_database"),
    "--audit-key-file",
    `${dir}/audit.key`,
    "--dev-token",
  ]);
  assertEquals(banner.code, 2, banner.stderr);
  assertMatch(banner.stderr, /postgres:\/\/astrix:\*\*\*@127\.0\.0\.1/);
  assert(!(banner.stdout + banner.stderr).includes(PASSWORD), "not in the refusal");

  const closed = `postgres://astrix:${PASSWORD}@127.0.0.1:${unusedPort()}/astrix`;
  for (
    const args of [
      ["audit-query", "--db", closed],
      ["audit-migrate", "--from", `${dir}/none.db`, "--to", closed],
    ]
  ) {
    const result = await runCli(args);
    assertEquals(result.code, 2, `${args[0]}: ${result.stderr}`);
    assert(!(result.stdout + result.stderr).includes(PASSWORD), `${args[0]}: masked`);
  }
  const query = await runCli(["audit-query", "--db", closed]);
  assertMatch(query.stderr, /Cannot reach the audit database postgres:\/\/astrix:\*\*\*@/);
  Deno.removeSync(dir, { recursive: true });
});
