import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import { DevAlreadyRunningError } from "../../src/dev/errors.ts";
import { claimPidFile } from "../../src/dev/pid_file.ts";

function pidPath(): string {
  return `${Deno.makeTempDirSync({ prefix: "astrix-pid-" })}/dev.pid`;
}

Deno.test("claimPidFile writes the pid and release removes the file", () => {
  const path = pidPath();
  const claim = claimPidFile(path, { pid: 4242, alive: () => true });
  assertEquals([Deno.readTextFileSync(path), claim.pid, claim.tookOver], [
    "4242\n",
    4242,
    undefined,
  ]);
  claim.release();
  assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
});

Deno.test("claimPidFile refuses a file naming another process that runs, and names it", () => {
  const path = pidPath();
  Deno.writeTextFileSync(path, "777\n");
  const error = assertThrows(
    () => claimPidFile(path, { pid: 4242, alive: (pid) => pid === 777 }),
    DevAlreadyRunningError,
  );
  assertEquals(error.pid, 777);
  assert(error.message.includes(`kill 777`) && error.message.includes(path), error.message);
  assertEquals(Deno.readTextFileSync(path), "777\n", "the running stack's file is left alone");
});

Deno.test("claimPidFile takes over a file whose process is gone, unknown, or that holds no pid", () => {
  for (
    const [content, alive, tookOver] of [
      ["777\n", false, 777],
      ["777\n", undefined, 777],
      ["not a pid", true, undefined],
    ] as const
  ) {
    const path = pidPath();
    Deno.writeTextFileSync(path, content);
    const claim = claimPidFile(path, { pid: 4242, alive: () => alive });
    assertEquals([Deno.readTextFileSync(path), claim.tookOver], ["4242\n", tookOver], content);
  }
});

Deno.test("claimPidFile's release leaves a file that names another process", () => {
  const path = pidPath();
  const claim = claimPidFile(path, { pid: 4242, alive: () => false });
  Deno.writeTextFileSync(path, "5151\n"); // another stack took it over meanwhile
  claim.release();
  assertEquals(Deno.readTextFileSync(path), "5151\n");
});
