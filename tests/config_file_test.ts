/**
 * `--config` on a CLI shaped like astrix's (two subcommands, the hook main.ts
 * installs), in process: formats, sections, precedence, and the errors.
 */

import { Command, Option } from "commander";
import process from "node:process";
import { assert, assertEquals, assertMatch, assertRejects } from "./_support/assert.ts";
import { collect, parseCount, parseLifetime, parsePort, parseUserSpec } from "../src/config.ts";
import { applyConfigFile, ConfigFileError, configOption } from "../src/config_file/mod.ts";
import { readAmiTables } from "../commands/ami_config.ts";
import { parseAmiTargets } from "../commands/proxy.ts";

/** What a subcommand's action saw: its flags and where each came from. */
interface Seen {
  flags: Record<string, unknown>;
  sources: Record<string, string | undefined>;
  warnings: string[];
}

/** mock-ami and proxy with a few of their real options, and the config hook. */
function cli(seen: (s: Omit<Seen, "warnings">) => void): { program: Command; warnings: string[] } {
  const action = (flags: Record<string, unknown>, command: Command) =>
    seen({
      flags,
      sources: Object.fromEntries(
        Object.keys(flags).map((key) => [key, command.getOptionValueSource(key)]),
      ),
    });
  const mockAmi = new Command("mock-ami")
    .addOption(new Option("--port <port>").env("T_MOCK_PORT").default(5038).argParser(parsePort))
    .addOption(new Option("--calls <n>").env("T_MOCK_CALLS").default(2).argParser(parseCount))
    .addOption(new Option("--user <name:secret>").argParser(collect(parseUserSpec)))
    .addOption(new Option("--tech <tech>").choices(["SIP", "PJSIP"]).default("SIP"))
    .addOption(new Option("--refuse-logins").default(false))
    .action(action);
  const proxy = new Command("proxy")
    .addOption(new Option("--port <port>").default(8080).argParser(parsePort))
    .addOption(new Option("--ami <host:port>").env("T_PROXY_AMI").argParser(parseAmiTargets))
    .addOption(new Option("--ami-user <name>"))
    .addOption(new Option("--ami-secret-file <path>"))
    .addOption(new Option("--audit-db <file>").default("ami_audit.db"))
    .addOption(new Option("--jwt-secret <secret>"))
    .addOption(new Option("--jwt-secret-file <path>"))
    .addOption(new Option("--dev-token").default(false))
    .addOption(
      new Option("--max-token-lifetime <lifetime>").default(86_400, "24h").argParser(parseLifetime),
    )
    .action(action);
  const warnings: string[] = [];
  const program = new Command("astrix").exitOverride().addCommand(mockAmi).addCommand(proxy);
  for (const command of program.commands) {
    command.addOption(configOption()).exitOverride().configureOutput({ writeErr: () => {} });
  }
  program.hook("preAction", (_, command) => {
    warnings.push(...applyConfigFile(command, { tables: { ami: readAmiTables } }));
  });
  return { program, warnings };
}

/** Runs `astrix <args>` with `env` set, and returns what the action saw. */
async function parse(args: string[], env: Record<string, string> = {}): Promise<Seen> {
  let seen: Omit<Seen, "warnings"> | undefined;
  const { program, warnings } = cli((s) => seen = s);
  for (const [name, value] of Object.entries(env)) process.env[name] = value;
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    for (const name of Object.keys(env)) delete process.env[name];
  }
  assert(seen, "the action ran");
  return { ...seen, warnings };
}

/** Writes `text` to `name` in a new temporary folder, with `mode`; returns its path. */
async function configFile(name: string, text: string, mode = 0o600): Promise<string> {
  const path = `${await Deno.makeTempDir({ prefix: "astrix_config_" })}/${name}`;
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
  return path;
}

/** The message of the {@linkcode ConfigFileError} `astrix <args>` fails with. */
async function refusal(args: string[]): Promise<string> {
  return (await assertRejects(() => parse(args), ConfigFileError)).message;
}

const FLEET_TOML = `
port = 0                  # shared: every subcommand with --port

[mock-ami]
calls = 5
tech = "PJSIP"
user = ["app:s3cret", "qa:other"]
refuse-logins = true

[proxy]
port = 9080               # the section wins over the top level
audit-db = "postgres://astrix@db.example.internal/astrix"
dev-token = true
max-token-lifetime = "8h"
`;

Deno.test("applyConfigFile takes a TOML file's shared keys and its subcommand's section", async () => {
  const path = await configFile("astrix.toml", FLEET_TOML);
  const mock = await parse(["mock-ami", "--config", path]);
  assertEquals(mock.flags.port, 0);
  assertEquals(mock.flags.calls, 5);
  assertEquals(mock.flags.tech, "PJSIP");
  assertEquals((mock.flags.user as { username: string }[]).map((u) => u.username), ["app", "qa"]);
  assertEquals(mock.flags.refuseLogins, true);
  assertEquals(mock.sources.calls, "config");
  const proxy = await parse(["proxy", "--config", path]);
  assertEquals(proxy.flags.port, 9080);
  assertEquals(proxy.flags.auditDb, "postgres://astrix@db.example.internal/astrix");
  assertEquals(proxy.flags.devToken, true);
  assertEquals(proxy.flags.maxTokenLifetime, 8 * 3600);
});

Deno.test("applyConfigFile takes the same from a JSON file", async () => {
  const path = await configFile(
    "astrix.json",
    JSON.stringify({
      port: 0,
      "mock-ami": { calls: 5, tech: "PJSIP", "refuse-logins": true },
      proxy: { "max-token-lifetime": 3600, ami: { floor1: { address: "10.1.0.5:5038" } } },
    }),
  );
  const mock = await parse(["mock-ami", "--config", path]);
  assertEquals([mock.flags.port, mock.flags.calls, mock.flags.tech], [0, 5, "PJSIP"]);
  assertEquals(mock.flags.refuseLogins, true);
  const proxy = await parse(["proxy", "--config", path]);
  assertEquals(proxy.flags.maxTokenLifetime, 3600);
  assertEquals(proxy.flags.ami, [{ name: "floor1", host: "10.1.0.5", port: 5038 }]);
});

Deno.test("applyConfigFile: command line > environment > config file > default", async () => {
  const path = await configFile("astrix.toml", "[mock-ami]\ncalls = 3\n");
  const cases: [string, string[], Record<string, string>, number, string][] = [
    ["default", ["mock-ami"], {}, 2, "default"],
    ["config file over default", ["mock-ami", "--config", path], {}, 3, "config"],
    ["environment over config", ["mock-ami", "--config", path], { T_MOCK_CALLS: "1" }, 1, "env"],
    [
      "flag over environment",
      ["mock-ami", "--config", path, "--calls", "4"],
      { T_MOCK_CALLS: "1" },
      4,
      "cli",
    ],
  ];
  for (const [name, args, env, calls, source] of cases) {
    const seen = await parse(args, env);
    assertEquals([seen.flags.calls, seen.sources.calls], [calls, source], name);
  }
});

Deno.test("applyConfigFile reads the file ASTRIX_CONFIG names", async () => {
  const path = await configFile("astrix.toml", "[mock-ami]\ncalls = 3\n");
  const seen = await parse(["mock-ami"], { ASTRIX_CONFIG: path });
  assertEquals([seen.flags.calls, seen.sources.calls], [3, "config"]);
});

Deno.test("applyConfigFile refuses an unknown key, naming the file, the key, the closest and the valid ones", async () => {
  const path = await configFile("astrix.toml", "[mock-ami]\nprot = 1\n");
  const message = await refusal(["mock-ami", "--config", path]);
  assertMatch(message, new RegExp(`^${path}: \\[mock-ami\\] has no key "prot"`));
  assertMatch(message, /\(did you mean "port"\?\)/);
  assertMatch(message, /valid keys: calls, port, refuse-logins, tech, user$/);
});

Deno.test("applyConfigFile points a camelCase key at its flag name", async () => {
  const path = await configFile("astrix.toml", '[proxy]\nauditDb = "x.db"\n');
  assertMatch(
    await refusal(["proxy", "--config", path]),
    /"auditDb" \(did you mean "audit-db"\?\)/,
  );
});

Deno.test("applyConfigFile refuses unknown top-level keys and typos in another subcommand's section", async () => {
  const top = await configFile("astrix.toml", "calsl = 1\n");
  const message = await refusal(["proxy", "--config", top]);
  assertMatch(message, /the top level has no key "calsl" \(did you mean "calls"\?\)/);
  assertMatch(message, /a section per subcommand \(\[mock-ami\], \[proxy\]\)/);
  const other = await configFile("astrix.toml", "[mock-ami]\ncals = 1\n");
  assertMatch(await refusal(["proxy", "--config", other]), /\[mock-ami\] has no key "cals"/);
  const notTable = await configFile("astrix.toml", 'proxy = "x"\n');
  assertMatch(await refusal(["proxy", "--config", notTable]), /proxy must be a section/);
});

Deno.test("applyConfigFile refuses a value of the wrong type, naming the key", async () => {
  const cases: [string, RegExp][] = [
    ['[mock-ami]\ncalls = "3"', /mock-ami\.calls must be a number, not a string$/],
    ['[mock-ami]\nrefuse-logins = "yes"', /mock-ami\.refuse-logins must be true or false/],
    ["[mock-ami]\nuser = true", /mock-ami\.user must be a string, not true or false$/],
    ["[mock-ami]\nport = [1, 2]", /mock-ami\.port takes one value, not a list/],
    ["[proxy]\naudit-db = { a = 1 }", /proxy\.audit-db must be a string, not a table/],
    ["[proxy]\naudit-db = 1979-05-27", /proxy\.audit-db must be a string, not a date/],
  ];
  for (const [toml, expected] of cases) {
    const path = await configFile("astrix.toml", toml);
    const command = toml.includes("[proxy]") ? "proxy" : "mock-ami";
    assertMatch(await refusal([command, "--config", path]), expected, toml);
  }
});

Deno.test("applyConfigFile checks a value with the flag's own parser", async () => {
  const port = await configFile("astrix.toml", "[mock-ami]\nport = 70000\n");
  assertEquals(
    await refusal(["mock-ami", "--config", port]),
    `${port}: mock-ami.port: "70000" is not a port number (0 to 65535).`,
  );
  const tech = await configFile("astrix.toml", '[mock-ami]\ntech = "IAX"\n');
  assertMatch(await refusal(["mock-ami", "--config", tech]), /mock-ami\.tech: .*Allowed choices/);
  // Checked even when the command line gives the flag: the file is wrong either way.
  assertMatch(await refusal(["mock-ami", "--config", port, "--port", "1"]), /70000/);
});

Deno.test("applyConfigFile says where a file is not TOML or JSON without quoting it", async () => {
  const toml = await configFile("astrix.toml", '[proxy]\njwt-secret = "hunter2-hunter2\n');
  const broken = await refusal(["proxy", "--config", toml]);
  assertMatch(broken, new RegExp(`^${toml}:2:\\d+: not valid TOML`));
  assert(!broken.includes("hunter2"), broken);
  const json = await configFile("astrix.json", '{"proxy": {"jwt-secret": "hunter2-hunter2" x}}');
  const brokenJson = await refusal(["proxy", "--config", json]);
  assertMatch(brokenJson, /not valid JSON/);
  assert(!brokenJson.includes("hunter2"), brokenJson);
});

Deno.test("applyConfigFile refuses a file it cannot read or whose format it cannot tell", async () => {
  assertMatch(
    await refusal(["proxy", "--config", "/nonexistent/astrix.toml"]),
    /--config \/nonexistent\/astrix\.toml cannot be read: no such file/,
  );
  const yaml = await configFile("astrix.yaml", "port: 1\n");
  assertMatch(await refusal(["proxy", "--config", yaml]), /name the file \*\.toml or \*\.json/);
  const nothing = await configFile("astrix.json", '{"proxy": {"port": null}}');
  assertMatch(
    await refusal(["proxy", "--config", nothing]),
    /proxy\.port must be a number, not null/,
  );
  const list = await configFile("astrix.json", "[1]");
  assertMatch(await refusal(["proxy", "--config", list]), /holds one object/);
});

Deno.test("applyConfigFile warns when a file others may read holds a secret, naming the key only", async () => {
  const toml = '[proxy]\njwt-secret = "hunter2-hunter2-hunter2-hunter2-x"\ndev-token = true\n';
  const open = await parse(["proxy", "--config", await configFile("astrix.toml", toml, 0o644)]);
  assertEquals(open.warnings.length, 1);
  assertMatch(open.warnings[0], /holds a secret \(proxy\.jwt-secret\) and is readable by group/);
  assertMatch(
    open.warnings[0],
    /mode 0644\): chmod 600 .*or name a file instead \(jwt-secret-file\)/,
  );
  assert(!open.warnings[0].includes("hunter2"), open.warnings[0]);
  const closed = await parse(["proxy", "--config", await configFile("astrix.toml", toml, 0o600)]);
  assertEquals(closed.warnings, []);
  const files = await configFile("astrix.toml", '[proxy]\njwt-secret-file = "/etc/j"\n', 0o644);
  assertEquals((await parse(["proxy", "--config", files])).warnings, []);
});

Deno.test("applyConfigFile turns [proxy.ami.<name>] tables into the ami option's targets", async () => {
  const path = await configFile(
    "astrix.toml",
    `[proxy]
ami-user = "astrix"
ami-secret-file = "/etc/astrix/ami.secret"
[proxy.ami.floor1]
address = "10.1.0.5:5038"
[proxy.ami.floor2]
address = "[fd00::5]:6038"
user = "astrix2"
secret-file = "/etc/astrix/floor2.secret"
md5 = true
`,
  );
  const seen = await parse(["proxy", "--config", path]);
  assertEquals(seen.flags.ami, [
    { name: "floor1", host: "10.1.0.5", port: 5038 },
    {
      name: "floor2",
      host: "fd00::5",
      port: 6038,
      user: "astrix2",
      secretFile: "/etc/astrix/floor2.secret",
      md5: true,
    },
  ]);
  assertEquals(seen.sources.ami, "config");
  assertEquals(seen.flags.amiUser, "astrix");
  // --ami or ASTRIX_AMI wins over the file's PBXs.
  const flag = await parse(["proxy", "--config", path, "--ami", "lab=127.0.0.1:6000"]);
  assertEquals([flag.flags.ami, flag.sources.ami], [[
    { name: "lab", host: "127.0.0.1", port: 6000 },
  ], "cli"]);
  const env = await parse(["proxy", "--config", path], { T_PROXY_AMI: "lab=127.0.0.1:7000" });
  assertEquals([env.flags.ami, env.sources.ami], [[
    { name: "lab", host: "127.0.0.1", port: 7000 },
  ], "env"]);
});

Deno.test("applyConfigFile gives a string or a list of strings to the flag's own parser", async () => {
  const one = await configFile("astrix.toml", '[proxy]\nami = "10.1.0.5:5038"\n');
  assertEquals((await parse(["proxy", "--config", one])).flags.ami, [
    { name: "default", host: "10.1.0.5", port: 5038 },
  ]);
  const list = await configFile(
    "astrix.toml",
    '[proxy]\nami = ["floor1=10.1.0.5:5038", "floor2=10.2.0.5:5038"]\n',
  );
  assertEquals((await parse(["proxy", "--config", list])).flags.ami, [
    { name: "floor1", host: "10.1.0.5", port: 5038 },
    { name: "floor2", host: "10.2.0.5", port: 5038 },
  ]);
});
