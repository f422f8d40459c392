/**
 * `astrix test-client` and `astrix mock-ami` as two real processes, the way a
 * new user runs them in two terminals.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli, startCli } from "../_support/cli.ts";

Deno.test("test-client passes all seven steps against mock-ami, with no other flags", async () => {
  const mock = await startCli(["mock-ami", "--port", "0"]);
  try {
    assertMatch(mock.firstLine, /^mock-ami listening on 127\.0\.0\.1:\d+ \(AMI\)/);
    for (const template of ["SIP/{ext}", "PJSIP/{ext}", "Local/{ext}@from-internal"]) {
      const { code, stdout } = await runCli([
        "test-client",
        "--port",
        String(mock.port),
        "--dial-template",
        template,
      ]);
      assertEquals(code, 0, stdout);
      assertEquals(stdout.match(/✓/g)?.length, 7 + 2, stdout); // 7 steps; step 5 shows ✓ twice
      assertMatch(stdout, /7\/7 steps passed/);
      assertMatch(stdout, /ChanSpyStart/);
    }
  } finally {
    const { code, stderr } = await mock.stop();
    assertEquals(code, 0, stderr);
  }
});

Deno.test("test-client --json reports every step", async () => {
  const mock = await startCli(["mock-ami", "--port", "0", "--tech", "PJSIP"]);
  try {
    const { code, stdout } = await runCli([
      "test-client",
      "--port",
      String(mock.port),
      "--dial-template",
      "PJSIP/{ext}",
      "--json",
    ]);
    assertEquals(code, 0, stdout);
    const report = JSON.parse(stdout);
    assertEquals(report.passed, 7);
    assertEquals(report.steps.map((s: { name: string }) => s.name).length, 7);
    assert(report.steps.every((s: { ok: boolean }) => s.ok));
  } finally {
    await mock.stop();
  }
});

Deno.test("test-client with a wrong secret says the login was refused and how to fix it", async () => {
  const mock = await startCli(["mock-ami", "--port", "0"]);
  try {
    const { code, stdout } = await runCli(["test-client", "--port", String(mock.port)], {
      ASTRIX_AMI_SECRET: "wrong",
    });
    assertEquals(code, 1);
    assertMatch(stdout, /✗ 1 connect and login .*Authentication failed/);
    assertMatch(stdout, /manager\.conf/);
    assertMatch(stdout, /manager reload/);
  } finally {
    await mock.stop();
  }
});

Deno.test("test-client with nothing listening prints the troubleshooting hint", async () => {
  const mock = await startCli(["mock-ami", "--port", "0"]);
  const { port } = mock;
  await mock.stop(); // nothing listens on that port any more
  const { code, stdout } = await runCli(["test-client", "--port", String(port)]);
  assertEquals(code, 1);
  assertMatch(stdout, /AMI could not be reached/);
  assertMatch(stdout, /manager show settings/);
  assertMatch(stdout, /firewall/);
});

Deno.test("test-client --real refuses to guess an address or secret", async () => {
  const { code, stderr } = await runCli(["test-client", "--real", "--host", "127.0.0.1"]);
  assertEquals(code, 2);
  assertMatch(stderr, /--user \(or ASTRIX_AMI_USER\), --secret \(or ASTRIX_AMI_SECRET\)/);
});

Deno.test("mock-ami on a port in use names the port and the flag", async () => {
  const first = await startCli(["mock-ami", "--port", "0"]);
  try {
    const { code, stderr } = await runCli(["mock-ami", "--port", String(first.port)]);
    assertEquals(code, 1);
    assertMatch(stderr, new RegExp(`port ${first.port} .*already in use.*--port`));
  } finally {
    await first.stop();
  }
});

Deno.test("mock-ami refuses bad flag values with a usage error", async () => {
  for (
    const args of [["--port", "70000"], ["--extensions", "210-201"], ["--tech", "IAX2"], [
      "--user",
      "nosecret",
    ]]
  ) {
    const { code, stderr } = await runCli(["mock-ami", ...args]);
    assertEquals(code, 2, stderr);
    assertMatch(stderr, /error: option/);
  }
});
