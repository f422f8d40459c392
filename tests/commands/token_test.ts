import { assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { Authenticator } from "../../src/proxy/auth.ts";

const SECRET = "token-cli-secret-0123456789abcdef0123";

Deno.test("astrix token signs a token the proxy's verifier accepts, with the lifetime asked for", async () => {
  const { code, stdout, stderr } = await runCli(
    ["token", "--user", "u17", "--role", "supervisor", "--ext", "201", "--ttl", "15m"],
    { ASTRIX_JWT_SECRET: SECRET },
  );
  assertEquals(code, 0, stderr);
  const token = stdout.trim();
  const auth = Authenticator.hs256(new TextEncoder().encode(SECRET));
  assertEquals(await auth.verify(`Bearer ${token}`), {
    userId: "u17",
    role: "supervisor",
    ext: "201",
  });
  const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  assertEquals(payload.exp - payload.iat, 900);
  assertEquals([payload.iss, payload.aud], ["astrix", "astrix"]);
});

Deno.test("astrix token refuses a missing or short secret, a bad extension and a lifetime over the proxy's", async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], {}, /give the proxy's secret/],
    [["--user", ""], { ASTRIX_JWT_SECRET: SECRET }, /say who the token is for/],
    [[], { ASTRIX_JWT_SECRET: "short" }, /at least 32/],
    [["--ext", "201,qB"], { ASTRIX_JWT_SECRET: SECRET }, /is not an extension/],
    [["--ttl", "forever"], { ASTRIX_JWT_SECRET: SECRET }, /is not a lifetime/],
    [["--ttl", "2d"], { ASTRIX_JWT_SECRET: SECRET }, /longer than the proxy accepts/],
    [
      ["--ttl", "2d"],
      { ASTRIX_JWT_SECRET: SECRET, ASTRIX_MAX_TOKEN_LIFETIME: "36h" },
      /\(--max-token-lifetime, 129600 s\)/,
    ],
  ];
  for (const [args, env, message] of cases) {
    const { code, stderr } = await runCli(["token", "--user", "u1", "--role", "qa", ...args], env);
    assertEquals(code, 2, args.join(" "));
    assertMatch(stderr, /^astrix token: /);
    assertMatch(stderr, message);
  }
});

Deno.test("astrix token --pbx limits the token to those PBXs, and refuses a name the proxy would", async () => {
  const { code, stdout, stderr } = await runCli(
    ["token", "--user", "sup3", "--role", "supervisor", "--ext", "301", "--pbx", "floor1,floor3"],
    { ASTRIX_JWT_SECRET: SECRET },
  );
  assertEquals(code, 0, stderr);
  const auth = Authenticator.hs256(new TextEncoder().encode(SECRET));
  const principal = await auth.verify(`Bearer ${stdout.trim()}`);
  assertEquals(principal.pbx, ["floor1", "floor3"]);
  const bad = await runCli(
    ["token", "--user", "sup3", "--role", "supervisor", "--pbx", "Floor 1"],
    { ASTRIX_JWT_SECRET: SECRET },
  );
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /^astrix token: .*pbx/);
});
