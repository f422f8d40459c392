/**
 * `astrix test-client` and `astrix mock-ami` as two real processes, the way a
 * new user runs them in two terminals.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli, startCli } from "../_support/cli.ts";
import { channelsOnPbx, hangUpOnPbx, startMockAmiWithUsers } from "../_support/mock_ami_users.ts";
import { eventually } from "../_support/wait.ts";

/** The capture's accounts (ops, limited), and one that may hang up but not list channels. */
const USERS = `
[ops]
secret = opspass
read = all
write = all

[limited]
secret = limitedpass
read = call
write = originate

[nolist]
secret = nolistpass
read = call
write = originate,call
`;
const OPS = { username: "ops", secret: "opspass" };

/**
 * Runs test-client as `username` (secret `<username>pass`) against a fresh
 * mock-ami with USERS and no calls of its own, hands the outcome to `check`,
 * then stops the mock.
 */
async function asUser(
  username: string,
  options: { args?: string[]; mockArgs?: string[] },
  check: (result: { code: number; stdout: string }, port: number) => Promise<void>,
) {
  const mock = await startMockAmiWithUsers(USERS, ["--calls", "0", ...options.mockArgs ?? []]);
  try {
    const result = await runCli(
      ["test-client", "--port", String(mock.port), "--user", username, ...options.args ?? []],
      { ASTRIX_AMI_SECRET: `${username}pass` },
    );
    assertEquals(result.code, 1, result.stdout);
    await check(result, mock.port);
  } finally {
    await mock.stop();
  }
}

/** Resolves once mock-ami has no channel up (as its full user sees). */
function noChannelLeft(port: number) {
  return eventually(
    async () => (await channelsOnPbx(port, OPS)).length === 0 || undefined,
    "no channel left on mock-ami",
  );
}

/** The channel step 4 reports it originated. */
function playbackChannel(stdout: string): string {
  const channel = stdout.match(/✓ 4 .* (SIP\/201-[0-9a-f]{8}) answered/)?.[1];
  assert(channel, stdout);
  return channel;
}

Deno.test("test-client passes all seven steps against mock-ami, with no other flags", async () => {
  const mock = await startCli(["mock-ami", "--port", "0"]);
  try {
    assertMatch(
      mock.firstLine,
      /^mock-ami listening on 127\.0\.0\.1:\d+ \(AMI, Asterisk 22\.10\.1\)/,
    );
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
      assertMatch(stdout, /✓ 1 .*Asterisk 22 \(AMI 11\.0\.0\), logged in as /, "whom it talks to");
      assertMatch(stdout, /ChanSpyStart/);
    }
  } finally {
    const { code, stderr } = await mock.stop();
    assertEquals(code, 0, stderr);
  }
});

Deno.test("test-client passes 7/7 against mock-ami --asterisk 11, 13, 16, 18, 20 and 22, naming the version first", async () => {
  const amiVersions = {
    11: "1.3",
    13: "2.10.6",
    16: "5.0.5",
    18: "7.0.3",
    20: "9.0.0",
    22: "11.0.0",
  };
  for (const [asterisk, ami] of Object.entries(amiVersions)) {
    const mock = await startCli(["mock-ami", "--port", "0", "--asterisk", asterisk]);
    try {
      const { code, stdout } = await runCli(["test-client", "--port", String(mock.port)]);
      assertEquals(code, 0, stdout);
      assertMatch(stdout, /7\/7 steps passed/);
      const first = new RegExp(
        `✓ 1 .*Asterisk ${asterisk} \\(AMI ${ami.replaceAll(".", "\\.")}\\)`,
      );
      assertMatch(stdout, first, "whom it talks to");
      if (asterisk === "11") {
        // What 11 can do, checked: the action is not there; stopping is hanging up.
        assertMatch(
          stdout,
          /✓ 5 .*Asterisk 11 has no ControlPlayback action \(it answered "Invalid\/unknown command"\)/,
        );
      } else {
        assertMatch(stdout, /✓ 5 .*pause ✓, pause again to resume ✓/);
      }
    } finally {
      const { code, stderr } = await mock.stop();
      assertEquals(code, 0, stderr);
    }
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
    assertEquals(code, 2, "a configuration error");
    assertMatch(
      stderr,
      new RegExp(`^astrix mock-ami: Port ${first.port} .*already in use.*--port`),
    );
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
    assertMatch(stderr, /^astrix mock-ami: option/);
  }
});

Deno.test("test-client as a read=call/write=originate user names the class each refused action needs", async () => {
  await asUser("limited", {}, async ({ stdout }, port) => {
    await hangUpOnPbx(port, OPS, [playbackChannel(stdout)]);
    assertMatch(stdout, /✗ 2 active channels .*CoreShowChannels answered Error: Permission denied/);
    assertMatch(
      stdout,
      /✗ 3 originate listen \(ChanSpy\) .*skipped: no channel list \(CoreShowChannels: Permission denied\)/,
    );
    assertMatch(
      stdout,
      /CoreShowChannels: add "reporting" \(or "system"\) to write= of user limited in manager\.conf/,
    );
    assertMatch(stdout, /ControlPlayback: add "call" to write= of user limited in manager\.conf/);
    assertMatch(
      stdout,
      /Hangup: add "call" \(or "system"\) to write= of user limited in manager\.conf/,
    );
    assertMatch(stdout, /manager reload/);
  });
});

Deno.test("test-client names each channel it could not hang up and exits non-zero", async () => {
  await asUser("limited", {}, async ({ stdout }, port) => {
    const channel = playbackChannel(stdout);
    assert(
      stdout.includes(`✗ could not hang up ${channel}: Hangup answered Error: Permission denied`),
      stdout,
    );
    assert(stdout.includes(`asterisk -rx 'channel request hangup ${channel}'`), stdout);
    // The report is true: the channel is still up on the PBX.
    assertEquals(await channelsOnPbx(port, OPS), [channel]);
    await hangUpOnPbx(port, OPS, [channel]);
  });
});

Deno.test("test-client --json carries the refused actions, skip reasons, hints and leftover channels", async () => {
  await asUser("limited", { args: ["--json"] }, async ({ stdout }, port) => {
    const [channel] = await channelsOnPbx(port, OPS);
    await hangUpOnPbx(port, OPS, [channel]);
    const report = JSON.parse(stdout);
    assertEquals(report.steps[1].denied, "CoreShowChannels");
    assertEquals(
      report.steps[2].detail,
      "skipped: no channel list (CoreShowChannels: Permission denied)",
    );
    assertEquals(report.steps[4].denied, "ControlPlayback");
    assertEquals(report.leftover, [{
      channel,
      reason: "Hangup answered Error: Permission denied",
      denied: "Hangup",
    }]);
    assert(
      report.hints.some((h: string) =>
        h.includes(
          'CoreShowChannels: add "reporting" (or "system") to write= of user limited in manager.conf',
        )
      ),
      stdout,
    );
    assert(report.hints.some((h: string) => h.includes(`channel request hangup ${channel}`)));
  });
});

Deno.test("test-client as a user who may hang up but not list channels hangs up its playback", async () => {
  await asUser("nolist", {}, async ({ stdout }, port) => {
    playbackChannel(stdout);
    assertMatch(stdout, /✓ 6 hangup /);
    assertMatch(stdout, /skipped: no channel list \(CoreShowChannels: Permission denied\)/);
    assertMatch(stdout, /add "reporting" \(or "system"\) to write= of user nolist/);
    assert(!stdout.includes("could not hang up"), stdout);
    await noChannelLeft(port);
  });
});

Deno.test("test-client hangs up a call it originated that still rings when its step times out", async () => {
  // The phone rings for 30 s (the Originate's Timeout), far past test-client's 1 s limit.
  const options = { args: ["--timeout", "1000"], mockArgs: ["--answer-delay", "60000"] };
  await asUser("nolist", options, async ({ stdout }, port) => {
    assertMatch(stdout, /✗ 4 originate playback .*no OriginateResponse within 1000 ms/);
    assertMatch(stdout, /✗ 5 pause and resume .*skipped: no playback channel/);
    assert(!stdout.includes("could not hang up"), stdout);
    await noChannelLeft(port);
  });
});
