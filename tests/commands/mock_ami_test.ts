/** `astrix mock-ami` as a real process: it stops promptly whatever the simulated PBX is doing. */

import { assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli, startCli } from "../_support/cli.ts";
import { eventually } from "../_support/wait.ts";
import { AmiClient } from "../../src/ami/client.ts";
import * as actions from "../../src/ami/actions.ts";

/** Resolves with `promise`'s value, or with `late` if it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "late"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), ms));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("astrix mock-ami exits 0 within 2 s of SIGTERM while a playback, a ChanSpy and churn run", async () => {
  const mock = await startCli(["mock-ami", "--port", "0", "--churn", "5"]);
  const ami = new AmiClient({
    host: "127.0.0.1",
    port: mock.port,
    username: "astrix",
    secret: "astrix",
    events: "off",
    keepaliveMs: 0,
    reconnect: false,
  });
  let stopping: ReturnType<typeof mock.stop> | undefined;
  try {
    await ami.connect();
    const running = async (application: string) => {
      const { events } = await ami.collect(actions.coreShowChannels());
      return events.find((e) => e.get("Application") === application)?.get("Channel");
    };
    // An unknown file plays for 60 s, far beyond the bound below.
    await ami.send(actions.originatePlayback({ channel: "SIP/201", file: "recordings/call-1" }));
    const playing = await eventually(() => running("ControlPlayback"), "the playback to start");
    await ami.send(
      actions.originateListen({
        listenerChannel: "SIP/202",
        targetChannel: playing,
        mode: "listen",
      }),
    );
    await eventually(() => running("ChanSpy"), "the spy to start");
    stopping = mock.stop(); // SIGTERM to the child's pid
    const stopped = await within(stopping, 2_000);
    if (stopped === "late") {
      await stopping; // not left running when the assertion fails
      throw new Error("mock-ami was still running 2 s after SIGTERM");
    }
    assertEquals(stopped.code, 0, stopped.stderr);
    assertMatch(stopped.stderr, /mock-ami: SIGTERM, stopping/);
  } finally {
    await ami.close();
    if (!stopping) await mock.stop();
  }
});

Deno.test("astrix mock-ami with a --users-file it cannot read exits 2 naming the file and its form", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/bad.conf`, "not a manager.conf\n");
    for (
      const [file, reason] of [[`${dir}/missing.conf`, /no such file/], [
        `${dir}/bad.conf`,
        /bad\.conf:1: expected/,
      ]] as const
    ) {
      const { code, stderr } = await runCli(["mock-ami", "--port", "0", "--users-file", file]);
      assertEquals(code, 2, stderr);
      assertMatch(stderr, new RegExp(`^astrix mock-ami: --users-file "${file}" cannot be read: `));
      assertMatch(stderr, reason);
      assertMatch(stderr, /\[name\] sections with secret, read and write/);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
