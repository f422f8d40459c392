import { assertEquals } from "./_support/assert.ts";
import { waitFor } from "./_support/wait.ts";
import { type ProcessProbe, systemProbe, untilParentExits } from "../src/shutdown.ts";

/** A process tree as a parent watch sees it: 10 → 20 → 30 (our parent) → us. */
function fakeTree() {
  const parents = new Map([[30, 20], [20, 10], [10, 1]]);
  const running = new Set([1, 10, 20, 30]);
  let ours = 30;
  let looks = 0;
  const probe: ProcessProbe = {
    parent: () => {
      looks++;
      return ours;
    },
    parentOf: (pid) => parents.get(pid),
    alive: (pid) => running.has(pid),
  };
  return {
    probe,
    get looks() {
      return looks;
    },
    /** `pid` exits; its children are adopted by init. */
    exit(pid: number) {
      running.delete(pid);
      if (ours === pid) ours = 1;
    },
  };
}

Deno.test("untilParentExits resolves when the parent exits and this process is adopted", async () => {
  const tree = fakeTree();
  const watch = untilParentExits({ probe: tree.probe, intervalMs: 1 });
  tree.exit(30);
  assertEquals(await watch, "parent process 30 exited");
});

Deno.test("untilParentExits resolves when a process above the parent exits (a task runner's parent)", async () => {
  const tree = fakeTree();
  const watch = untilParentExits({ probe: tree.probe, intervalMs: 1 });
  tree.exit(10);
  assertEquals(await watch, "ancestor process 10 exited");
});

Deno.test("untilParentExits watches only the parent when the others cannot be asked about", async () => {
  const tree = fakeTree();
  const blind: ProcessProbe = { ...tree.probe, alive: () => undefined };
  const stop = new AbortController();
  let settled = false;
  untilParentExits({ probe: blind, intervalMs: 1, signal: stop.signal }).then(() => settled = true);
  tree.exit(20);
  const before = tree.looks;
  await waitFor(() => tree.looks >= before + 5, "five more looks");
  assertEquals(settled, false, "an ancestor it cannot see is not taken for gone");
  stop.abort();
});

Deno.test("systemProbe sees this process's parent running and a pid that is not", () => {
  assertEquals(systemProbe.alive(systemProbe.parent()), true);
  assertEquals(systemProbe.alive(2 ** 22 + 12_345), false); // above Linux's pid_max
  assertEquals(systemProbe.parentOf(Deno.pid), systemProbe.parent());
});
