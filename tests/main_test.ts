import { assert, assertEquals, assertMatch } from "./_support/assert.ts";
import { runCli } from "./_support/cli.ts";
import pkg from "../package.json" with { type: "json" };
import type { CliContext } from "../commands/context.ts";
import { buildCli } from "../main.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** The subcommands, as main.ts builds them (their actions never run here). */
const COMMANDS = buildCli({} as CliContext).commands.map((c) => c.name());

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
  assertMatch(stderr, /^astrix: unknown option '--no-such-flag'/);
  assertMatch(stderr, /run astrix --help/);
});

Deno.test("astrix <command> --help fits 80 columns, one bracket of facts per option", async () => {
  for (const command of ["", ...COMMANDS]) {
    const { code, stdout } = await astrix(...(command ? [command] : []), "--help");
    assertEquals(code, 0, command);
    for (const line of stdout.split("\n")) {
      assert(line.length <= 80, `astrix ${command} --help: ${line.length} columns: ${line}`);
    }
    assert(!/\(default: false\)|\) \(/.test(stdout), `astrix ${command} --help:\n${stdout}`);
  }
});

Deno.test("astrix <command> with a bad flag value exits 2, its error line prefixed with the command", async () => {
  for (
    const [args, message] of [
      [["mock-ami", "--port", "70000"], /is not a port number/],
      [["dev", "--churn", "fast"], /is not a number/],
      [["token", "--user", "u1"], /required option '--role <role>'/],
      [["proxy", "--no-such-flag"], /unknown option '--no-such-flag'/],
    ] as const
  ) {
    const { code, stderr } = await astrix(...args);
    assertEquals(code, 2, args.join(" "));
    assertMatch(stderr, new RegExp(`^astrix ${args[0]}: `), args.join(" "));
    assertMatch(stderr, message);
    assertMatch(stderr, new RegExp(`\\(run astrix ${args[0]} --help for usage\\)`));
  }
});

Deno.test("every server subcommand on a port in use exits 2, naming the port and --port", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((taken.addr as Deno.NetAddr).port);
  const dir = Deno.makeTempDirSync({ prefix: "astrix-port-in-use-" });
  try {
    for (
      const args of [
        ["proxy", "--dev-token", "--audit-db", `${dir}/audit.db`, "--port", port],
        ["mock-ami", "--port", port],
        ["mock-recordings", "--port", port],
        [
          "dev",
          "--data-dir",
          `${dir}/dev`,
          "--ami-port",
          "0",
          "--recordings-port",
          "0",
          "--port",
          port,
        ],
      ]
    ) {
      const { code, stdout, stderr } = await runCli(args);
      assertEquals(code, 2, `${args[0]}: ${stderr}`);
      assertEquals(stdout, "", args[0]);
      assertMatch(stderr, new RegExp(`^astrix ${args[0]}: .*${port}.*in use.*--port`), args[0]);
    }
  } finally {
    taken.close();
  }
});
