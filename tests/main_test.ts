import { assertEquals, assertMatch } from "./_support/assert.ts";
import pkg from "../package.json" with { type: "json" };

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Runs the real CLI from source, as `deno run main.ts ...`. */
async function astrix(...args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("astrix --version prints the package version", async () => {
  const { code, stdout } = await astrix("--version");
  assertEquals([code, stdout.trim()], [0, pkg.version]);
});

Deno.test("astrix --help explains the tool", async () => {
  const { code, stdout } = await astrix("--help");
  assertEquals(code, 0);
  assertMatch(stdout, /Usage: astrix/);
  assertMatch(stdout, /Manager Interface \(AMI\)/);
});

Deno.test("astrix with an unknown option exits 2 with a hint", async () => {
  const { code, stderr } = await astrix("--no-such-flag");
  assertEquals(code, 2);
  assertMatch(stderr, /unknown option '--no-such-flag'/);
  assertMatch(stderr, /--help/);
});
