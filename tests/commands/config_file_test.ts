/** `--config` through the real `astrix` CLI: a server started from a file, and its errors. */

import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { runCli, startCli } from "../_support/cli.ts";
import type { CliContext } from "../../commands/context.ts";
import { buildCli } from "../../main.ts";

/** Writes `text` to `name` in a new temporary folder, with `mode`; returns its path. */
async function configFile(name: string, text: string, mode = 0o600): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "astrix_config_" })}/${name}`;
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
  return path;
}

/** Thrown by a test's hook to stop a subcommand before its action runs. */
class Stop extends Error {}

/** The options `astrix <args>` would run its subcommand with, through main.ts's hook; not run. */
async function optionsOf(args: string[]): Promise<Record<string, unknown>> {
  let options: Record<string, unknown> = {};
  const cli = buildCli({ err: () => {} } as unknown as CliContext).hook(
    "preAction",
    (_, command) => {
      options = command.opts();
      throw new Stop();
    },
  );
  await assertRejects(() => cli.parseAsync(args, { from: "user" }), Stop);
  return options;
}

Deno.test("the fleet example in docs/operations.md configures the proxy and audit-query", async () => {
  const docs = await Deno.readTextFile(new URL("../../docs/operations.md", import.meta.url));
  const toml = docs.match(/```toml\n(# \/etc\/astrix\/astrix\.toml[^]*?)```/);
  assert(toml, "the example is in docs/operations.md");
  const path = await configFile("astrix.toml", toml[1]);
  const proxy = await optionsOf(["proxy", "--config", path]);
  assertEquals(proxy.auditDb, "postgres://astrix@db.example.internal/astrix");
  assertEquals(proxy.auditKeyFile, "/etc/astrix/audit.key");
  assertEquals([proxy.port, proxy.logFormat, proxy.maxTokenLifetime], [8080, "json", 8 * 3600]);
  assertEquals(proxy.ami, [
    { name: "floor1", host: "10.1.0.5", port: 5038 },
    {
      name: "floor2",
      host: "10.2.0.5",
      port: 5038,
      user: "astrix2",
      secretFile: "/etc/astrix/floor2.secret",
      md5: true,
    },
  ]);
  const audit = await optionsOf(["audit-query", "--config", path]);
  assertEquals([audit.db, audit.keyFile], [proxy.auditDb, "/etc/astrix/audit.key"]);
});

Deno.test("astrix mock-ami --config runs with the file's options, under the env and the flags", async () => {
  const path = await configFile(
    "fleet.toml",
    `port = 0
[mock-ami]
extensions = "300-302"
calls = 3
tech = "PJSIP"
asterisk = 18
[proxy]
audit-db = "postgres://astrix@db.example.internal/astrix"
`,
  );
  const mock = await startCli(["mock-ami", "--config", path, "--asterisk", "20"], {
    ASTRIX_MOCK_AMI_CALLS: "1",
  });
  try {
    assert(mock.port > 0, mock.firstLine); // port 0 from the file: a free port
    assertMatch(mock.firstLine, /3 PJSIP phones 300-302/); // the file
    assertMatch(mock.firstLine, / 1 live calls/); // the env over the file
    assertMatch(mock.firstLine, /Asterisk 20\./); // the flag over the file
  } finally {
    assertEquals((await mock.stop()).code, 0);
  }
});

Deno.test("astrix <command> --config with a bad value exits 2, naming the file and the key", async () => {
  const path = await configFile("fleet.toml", "[mock-ami]\nport = 70000\n");
  const { code, stderr } = await runCli(["mock-ami", "--config", path]);
  assertEquals(code, 2, stderr);
  assertMatch(
    stderr,
    new RegExp(`^astrix mock-ami: ${path}: mock-ami\\.port: "70000" is not a port number`),
  );
  assertMatch(stderr, /run astrix mock-ami --help for usage/);
  const typo = await configFile("fleet.toml", "[mock-recordings]\ncuont = 3\n");
  const bad = await runCli(["mock-recordings"], { ASTRIX_CONFIG: typo });
  assertEquals(bad.code, 2, bad.stderr);
  assertMatch(bad.stderr, /\[mock-recordings\] has no key "cuont" \(did you mean "count"\?\)/);
});

Deno.test("astrix token --config warns when the file holds a secret others may read, never printing it", async () => {
  const secret = "config-file-secret-0123456789abcdef";
  const path = await configFile("astrix.toml", `[token]\nsecret = "${secret}"\n`, 0o644);
  const { code, stdout, stderr } = await runCli([
    "token",
    "--config",
    path,
    "--user",
    "u1",
    "--role",
    "qa",
  ]);
  assertEquals(code, 0, stderr);
  assertMatch(stdout, /^eyJ/);
  assertMatch(
    stderr,
    /^astrix token: warning: .* holds a secret \(token\.secret\) and is readable/,
  );
  assert(!stderr.includes(secret), stderr);
});

Deno.test("every subcommand's --help offers --config and ASTRIX_CONFIG", () => {
  for (const command of buildCli({} as CliContext).commands) {
    const help = command.helpInformation().replace(/\s+/g, " ");
    assertMatch(help, /--config <file>/, command.name());
    assertMatch(help, /env ASTRIX_CONFIG/, command.name());
  }
});

Deno.test("astrix proxy: the seed's AMI_PROXY_PORT, an environment variable, wins over the config file", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-config-seed-env-" });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const filePort = (taken.addr as Deno.NetAddr).port; // in use: the file's port would fail
  try {
    const path = await configFile(
      "seed.toml",
      `[proxy]\nport = ${filePort}\ndev-token = true\naudit-db = "${dir}/audit.db"\n`,
    );
    const proxy = await startCli(["proxy", "--config", path], { AMI_PROXY_PORT: "0" });
    try {
      assert(proxy.port > 0 && proxy.port !== filePort, proxy.firstLine);
    } finally {
      assertEquals((await proxy.stop()).code, 0);
    }
  } finally {
    taken.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
