/**
 * One proxy process in front of two `astrix mock-ami` processes: a listen
 * on each; one mock-ami SIGKILLed (as a PBX that crashes): the other keeps
 * working, and /readyz says which one is down.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { denoArgs } from "../_support/cli.ts";
import { spawnProxy } from "../_support/fleet.ts";
import { eventually } from "../_support/wait.ts";
import { signToken } from "../../src/proxy/tokens.ts";

const SECRET = "astrix-pbx-killed-secret-0123456789abcdef";

/** `astrix mock-ami` as a process, on a free port: its port and its child (to kill). */
async function mockAmiProcess(): Promise<{ port: number; child: Deno.ChildProcess }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoArgs(["mock-ami", "--port", "0", "--user", "astrix:pbx-secret", "--calls", "3"]),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on [\d.]+:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error("mock-ami exited before listening");
    text += value;
  }
  // The rest of its output is drained so the pipe never fills.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return { port: Number(text.match(/listening on [\d.]+:(\d+)/)![1]), child };
}

Deno.test("one proxy, two mock-ami processes: one SIGKILLed, the other keeps working and /readyz says which is down", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-pbx-killed-" });
  Deno.writeTextFileSync(`${dir}/jwt.secret`, SECRET);
  Deno.writeTextFileSync(`${dir}/ami.secret`, "pbx-secret");
  const floor1 = await mockAmiProcess();
  const floor2 = await mockAmiProcess();
  const proxy = await spawnProxy(undefined, [
    "proxy",
    "--port",
    "0",
    "--ami",
    `floor1=127.0.0.1:${floor1.port}`,
    "--ami",
    `floor2=127.0.0.1:${floor2.port}`,
    "--ami-user",
    "astrix",
    "--ami-secret-file",
    `${dir}/ami.secret`,
    "--audit-db",
    `${dir}/audit.db`,
    "--jwt-secret-file",
    `${dir}/jwt.secret`,
  ]);
  try {
    const token = await signToken(new TextEncoder().encode(SECRET), {
      sub: "sup-201",
      role: "supervisor",
      ext: "201",
    });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${proxy.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    const readyz = () => call("GET", "/readyz");
    await eventually(async () => {
      const { body } = await readyz();
      return body.pbxs?.floor1?.ready && body.pbxs?.floor2?.ready || undefined;
    }, "both PBXs ready");
    const listen = async (pbx: string) => {
      const { body: list } = await call("GET", `/ami/channels?pbx=${pbx}`);
      const target = list.channels.find((c: { state: string; channel: string }) =>
        c.state === "Up" && !c.channel.startsWith("SIP/201-")
      );
      assert(target, `a call on ${pbx}`);
      const started = await call("POST", "/ami/originate/listen", {
        targetChannel: target.channel,
        pbx,
      });
      assertEquals(started.status, 202, JSON.stringify(started.body));
      return await eventually(async () => {
        const { body } = await call("GET", `/ami/jobs/${started.body.jobId}`);
        return body.job.status === "active" ? body.job : undefined;
      }, `the ${pbx} listen live`);
    };
    assertEquals((await listen("floor1")).pbx, "floor1");
    assertEquals((await listen("floor2")).pbx, "floor2");

    floor2.child.kill("SIGKILL");
    await floor2.child.status;
    const down = await eventually(async () => {
      const answer = await readyz();
      return answer.body.pbxs.floor2.ready === false ? answer : undefined;
    }, "floor2 seen down");
    assertEquals([down.status, down.body.pbxs.floor1.ready], [200, true]);
    assertMatch(down.body.pbxs.floor2.problem, /^not logged in to AMI/);
    assertEquals((await listen("floor1")).pbx, "floor1", "floor1 still served");
    const refused = await call("POST", "/ami/originate/listen", {
      targetChannel: "SIP/202-00000001",
      pbx: "floor2",
    });
    assertEquals([refused.status, refused.body.error.code], [503, "ami_unavailable"]);
  } finally {
    await proxy.stop();
    floor1.child.kill("SIGTERM");
    await floor1.child.status;
    try {
      floor2.child.kill("SIGKILL");
    } catch { /* already ended */ }
    await floor2.child.status;
    Deno.removeSync(dir, { recursive: true });
  }
});
