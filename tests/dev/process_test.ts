/**
 * `astrix dev` as a real process, started the ways developers start it: its
 * pid in dev.pid, SIGTERM to that pid, and the process that started it going
 * away without passing a signal on (a shell killed outright, or the parent
 * of a `deno task` in between, as when npm's pid is killed). Each time the
 * stack must exit and free its ports.
 */

import { existsSync } from "node:fs";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
/** The `dev` task's permissions. */
const PERMISSIONS = "--allow-net --allow-read --allow-write --allow-env --allow-sys --allow-run";
const FREE_PORTS = "--port 0 --ami-port 0 --recordings-port 0";

/** A stack started by `sh -c script` (DENO, MAIN and DATA set), read until its banner is complete. */
async function startDev(script: string) {
  const dir = `${Deno.makeTempDirSync({ prefix: "astrix-dev-process-" })}/data`;
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    cwd: ROOT,
    env: { DENO: Deno.execPath(), MAIN, DATA: dir },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Both pipes stay open until every process holding them (the stack too) has exited.
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let banner = "";
  while (!banner.includes("stops everything")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`astrix dev exited before its banner: ${await stderr}`);
    banner += value;
  }
  const stdoutClosed = (async () => {
    while (!(await reader.read()).done);
  })();
  const port = (pattern: RegExp) => Number(banner.match(pattern)![1]);
  const ports = [
    port(/proxy\s+http:\/\/127\.0\.0\.1:(\d+)/),
    port(/mock-ami\s+127\.0\.0\.1:(\d+)/),
    port(/mock-recordings\s+http:\/\/127\.0\.0\.1:(\d+)/),
  ];
  const stackPid = Number(Deno.readTextFileSync(`${dir}/dev.pid`));
  return {
    dir,
    child,
    banner,
    stackPid,
    /**
     * Waits for the stack to exit (killing it after 10 s) and checks it stopped cleanly:
     * `reason` on stderr, dev.pid removed, every port free.
     */
    async assertStopped(reason: string): Promise<void> {
      const timer = setTimeout(() => Deno.kill(stackPid, "SIGKILL"), 10_000);
      await stdoutClosed;
      clearTimeout(timer);
      assertMatch(await stderr, new RegExp(`astrix dev: ${reason}, stopping`));
      assertEquals(existsSync(`${dir}/dev.pid`), false, "dev.pid is removed");
      for (const port of ports) Deno.listen({ hostname: "127.0.0.1", port }).close();
    },
  };
}

/** `astrix dev` as the `dev` task runs it. */
const DEV = `"$DENO" run ${PERMISSIONS} "$MAIN" dev --data-dir "$DATA" ${FREE_PORTS}`;

Deno.test("astrix dev holds its own pid in dev.pid, and SIGTERM to it stops the stack and removes the file", async () => {
  const dev = await startDev(`exec ${DEV}`);
  assertEquals(dev.stackPid, dev.child.pid, "exec: the shell became the stack");
  assertMatch(dev.banner, new RegExp(`pid ${dev.stackPid} in ${dev.dir}/dev\\.pid`));
  assert(dev.banner.includes(`kill $(cat ${dev.dir}/dev.pid)`), dev.banner);
  Deno.kill(dev.stackPid, "SIGTERM");
  await dev.assertStopped("SIGTERM");
  assertEquals((await dev.child.status).code, 0);
});

Deno.test("astrix dev stops and frees its ports when the shell that started it is killed outright", async () => {
  const dev = await startDev(`${DEV} & wait`);
  assert(dev.stackPid !== dev.child.pid);
  dev.child.kill("SIGKILL"); // nothing is passed on: the stack is orphaned
  await dev.child.status;
  await dev.assertStopped(`parent process ${dev.child.pid} exited`);
});

Deno.test("astrix dev under deno task stops when the task's own parent is killed (npm's pid)", async () => {
  // sh stands for npm: killing it leaves `deno task` running, orphaned, with the stack under it.
  const dev = await startDev(`"$DENO" task dev --data-dir "$DATA" ${FREE_PORTS}; true`);
  dev.child.kill("SIGKILL");
  await dev.child.status;
  await dev.assertStopped(`ancestor process ${dev.child.pid} exited`);
});

Deno.test("astrix dev on a data folder whose stack runs exits 2 naming that stack's pid", async () => {
  const first = await startDev(`exec ${DEV}`);
  try {
    const second = await new Deno.Command("sh", {
      args: ["-c", DEV],
      env: { DENO: Deno.execPath(), MAIN, DATA: first.dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(second.stderr);
    assertEquals(second.code, 2, stderr);
    assertMatch(
      stderr,
      new RegExp(
        `^astrix dev: ${first.dir}/dev\\.pid says astrix dev already runs as pid ${first.stackPid}`,
      ),
    );
    assertEquals(Number(Deno.readTextFileSync(`${first.dir}/dev.pid`)), first.stackPid);
  } finally {
    Deno.kill(first.stackPid, "SIGTERM");
    await first.assertStopped("SIGTERM");
  }
});

Deno.test("astrix dev --asterisk 11 runs the PBX of an Issabel 4 box: its banner and /readyz say so", async () => {
  const dev = await startDev(`exec ${DEV} --asterisk 11`);
  try {
    assertMatch(dev.banner, /mock-ami\s+127\.0\.0\.1:\d+\s+\(Asterisk 11\.25\.3;/);
    const proxy = dev.banner.match(/proxy\s+(http:\/\/127\.0\.0\.1:\d+)/)![1];
    const readyz = await (await contractFetch(`${proxy}/readyz`)).json();
    assertEquals(readyz.pbx, { asterisk: 11, amiVersion: "1.3", exact: true });
  } finally {
    Deno.kill(dev.stackPid, "SIGTERM");
    await dev.assertStopped("SIGTERM");
  }
});
