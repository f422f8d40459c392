/**
 * `astrix openapi` from source, as a client app's CI runs it: it prints the
 * document the proxy serves, writes it to a file, and checks a file for
 * staleness with exit codes a pipeline can act on.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { openApiJson } from "../../src/proxy/api/openapi.ts";

Deno.test("astrix openapi prints the document the code generates", async () => {
  const { code, stdout } = await runCli(["openapi"]);
  assertEquals(code, 0);
  assertEquals(`${stdout.trimEnd()}\n`, openApiJson());
  assertEquals(JSON.parse(stdout).openapi, "3.1.1");
});

Deno.test("astrix openapi --out writes it; --check passes on it and fails on a stale copy", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/openapi.json`;
    assertEquals((await runCli(["openapi", "--out", file])).code, 0);
    assertEquals(await Deno.readTextFile(file), openApiJson());
    const fresh = await runCli(["openapi", "--check", file]);
    assertEquals(fresh.code, 0, fresh.stderr);
    assertMatch(fresh.stdout, /is up to date/);

    const document = JSON.parse(await Deno.readTextFile(file));
    delete document.paths["/healthz"];
    await Deno.writeTextFile(file, `${JSON.stringify(document, null, 2)}\n`);
    const stale = await runCli(["openapi", "--check", file]);
    assertEquals(stale.code, 1);
    assertMatch(stale.stderr, /run `deno task openapi`/);

    const missing = await runCli(["openapi", "--check", `${dir}/none.json`]);
    assertEquals(missing.code, 2);
    assertMatch(missing.stderr, /cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("astrix openapi refuses --out with --check", async () => {
  const { code, stderr } = await runCli(["openapi", "--out", "a.json", "--check", "b.json"]);
  assert(code !== 0);
  assertMatch(stderr, /cannot be used with/);
});
