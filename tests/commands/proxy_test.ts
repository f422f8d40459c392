/**
 * `astrix proxy` as a real process: startup facts, refused configurations, graceful stop; and
 * the parsing of `--ami` (one PBX, or several named ones).
 */

import { InvalidArgumentError } from "commander";
import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { runCli, startCli } from "../_support/cli.ts";
import { SseReader } from "../_support/sse.ts";
import {
  amiLogins,
  type AmiTargetFlag,
  parseAmiTargets,
  type SharedAmiLogin,
} from "../../commands/proxy.ts";
import { createMockAmi } from "../../src/pbx/mock_ami.ts";
import { ProxyConfigError } from "../../src/proxy/errors.ts";

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

Deno.test("parseAmiTargets reads [NAME=]HOST:PORT, several comma-separated, added to the earlier flags", () => {
  assertEquals(parseAmiTargets("127.0.0.1:5038"), [
    { name: "default", host: "127.0.0.1", port: 5038 },
  ]);
  const first = parseAmiTargets("floor1=10.1.0.5:5038, floor2=10.2.0.5");
  assertEquals(first, [
    { name: "floor1", host: "10.1.0.5", port: 5038 },
    { name: "floor2", host: "10.2.0.5", port: 5038 },
  ]);
  assertEquals(parseAmiTargets("lab=[::1]:6038", first).map((t) => [t.name, t.host, t.port]), [
    ["floor1", "10.1.0.5", 5038],
    ["floor2", "10.2.0.5", 5038],
    ["lab", "::1", 6038],
  ]);
  for (const bad of ["floor1=not a host", "floor1=h:99999", ",", ""]) {
    assertThrows(() => parseAmiTargets(bad), InvalidArgumentError);
  }
});

Deno.test("amiLogins gives each PBX its own login, else the proxy-wide one, and refuses bad or repeated names", () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-ami-logins-" });
  try {
    Deno.writeTextFileSync(`${dir}/shared`, "shared-secret\n");
    Deno.writeTextFileSync(`${dir}/lab`, "lab-secret\n");
    const shared = { user: "astrix", secretFile: `${dir}/shared`, md5: true };
    assertEquals(
      amiLogins([
        { name: "floor1", host: "10.1.0.5", port: 5038 },
        { name: "floor2", host: "10.2.0.5", port: 5038, user: "b2", secret: "s2", md5: false },
        { name: "lab", host: "::1", port: 6038, secretFile: `${dir}/lab` },
      ], shared),
      [
        {
          name: "floor1",
          host: "10.1.0.5",
          port: 5038,
          username: "astrix",
          secret: "shared-secret",
          md5: true,
        },
        { name: "floor2", host: "10.2.0.5", port: 5038, username: "b2", secret: "s2", md5: false },
        {
          name: "lab",
          host: "::1",
          port: 6038,
          username: "astrix",
          secret: "lab-secret",
          md5: true,
        },
      ],
    );
    const at = (name: string) => ({ name, host: "h", port: 1 });
    const cases: [AmiTargetFlag[], SharedAmiLogin, string][] = [
      [[at("Floor1")], shared, 'the PBX name "Floor1" is not 1 to 32 of a-z'],
      [[at("x".repeat(33))], shared, "is not 1 to 32"],
      [[at("a"), at("b"), at("a")], shared, '--ami names the PBX "a" twice'],
      [[at("default"), at("default")], shared, 'names the PBX "default" twice'],
      [[at("default")], { secret: "s" }, "--ami needs --ami-user (or ASTRIX_AMI_USER)"],
      [[at("a"), { ...at("b"), user: "u" }], { secret: "s" }, 'ASTRIX_AMI_USER) for the PBX "a"'],
      [[{ ...at("a"), user: "u" }], {}, 'needs the AMI secret for the PBX "a"'],
      [
        [{ ...at("a"), secretFile: `${dir}/none` }],
        shared,
        'the secret file of the PBX "a": cannot read',
      ],
    ];
    for (const [targets, login, message] of cases) {
      assertThrows(() => amiLogins(targets, login), ProxyConfigError, message);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("astrix proxy refuses PBX names it cannot use, from flags and from ASTRIX_AMI, with exit 2", async () => {
  const login = ["--ami-user", "u", "--ami-secret", "s", "--jwt-secret", "x".repeat(40)];
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--ami", "Floor1=127.0.0.1:5038"], {}, /the PBX name "Floor1" is not 1 to 32 of a-z/],
    [
      ["--ami", "a=127.0.0.1:5038", "--ami", "a=127.0.0.1:5039"],
      {},
      /names the PBX "a" twice/,
    ],
    [["--ami", "127.0.0.1:5038", "--ami", "127.0.0.1:5039"], {}, /names the PBX "default" twice/],
    [[], { ASTRIX_AMI: "f1=127.0.0.1:5038,f1=127.0.0.1:5039" }, /names the PBX "f1" twice/],
    [["--ami", "floor1=nowhere:0"], {}, /is not HOST:PORT/],
  ];
  for (const [args, env, message] of cases) {
    const { code, stderr } = await runCli(
      ["proxy", "--port", "0", ...auditArgs(), ...login, ...args],
      env,
    );
    assertEquals(code, 2, `${args.join(" ")} ${JSON.stringify(env)}: ${stderr}`);
    assertMatch(stderr, /^astrix proxy: /);
    assertMatch(stderr, message);
  }
});

Deno.test("astrix proxy --ami NAME=HOST:PORT repeated logs in to each PBX with the shared user and says so", async () => {
  const secret = crypto.randomUUID();
  const mocks = [1, 2].map(() =>
    createMockAmi({ users: [{ username: "astrix", secret, read: ["all"], write: ["all"] }] })
  );
  try {
    const ports = await Promise.all(
      mocks.map(async (mock) => (await mock.listen({ hostname: "127.0.0.1", port: 0 })).port),
    );
    const proxy = await startCli([
      "proxy",
      "--port",
      "0",
      ...auditArgs(),
      "--jwt-secret",
      "x".repeat(40),
      "--ami-user",
      "astrix",
      "--ami",
      `floor1=127.0.0.1:${ports[0]}`,
      "--ami",
      `floor2=127.0.0.1:${ports[1]}`,
    ], { ASTRIX_AMI_SECRET: secret });
    let stopped: Awaited<ReturnType<typeof proxy.stop>> | undefined;
    try {
      const url = `http://127.0.0.1:${proxy.port}`;
      const deadline = Date.now() + 10_000;
      for (;;) {
        const response = await contractFetch(`${url}/readyz`);
        const body = await response.json();
        if (body.pbxs?.floor1?.ready && body.pbxs?.floor2?.ready) break;
        if (Date.now() > deadline) throw new Error(`never ready: ${JSON.stringify(body)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      stopped = await proxy.stop();
    }
    assertEquals(stopped.code, 0, stopped.stderr);
    const facts = stopped.stdout.trim().split("\n");
    assertEquals(facts.slice(0, 2), [
      `backend: AMI floor1 127.0.0.1:${ports[0]} as astrix`,
      `backend: AMI floor2 127.0.0.1:${ports[1]} as astrix`,
    ]);
    assert(!stopped.stderr.includes(secret), "the AMI secret is never logged");
  } finally {
    await Promise.all(mocks.map((mock) => mock.close()));
  }
});
