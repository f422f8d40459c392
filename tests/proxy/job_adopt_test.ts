/**
 * JobStore.adopt, how a proxy takes in what another proxy of its fleet
 * wrote of a job: new jobs are added (with their owner and call indexes),
 * a known one moves only further on (a longer timeline), an end seen here
 * is never undone by a state that has not reached it, the object stays the
 * same, and each taken-in change is announced once, as from the fleet.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { type Job, type JobChangeOrigin, JobStore } from "../../src/proxy/jobs.ts";

function storeWithLog() {
  const changes: [string, string, JobChangeOrigin][] = [];
  const store = new JobStore({
    now: () => Date.UTC(2026, 10, 20, 9),
    onChange: (job, origin) => changes.push([job.id, job.status, origin]),
  });
  return { store, changes };
}

/** A job as proxy A wrote it: made in A's store, moved to `status` there. */
function fromProxyA(moves: [Job["status"], string][]): Job {
  const a = new JobStore({ now: () => Date.UTC(2026, 10, 20, 9) });
  const job = a.create({
    kind: "listen",
    owner: "sup-201",
    ownerRole: "supervisor",
    extension: "201",
    target: "SIP/202-0000000a",
    pbx: "floor1",
  });
  a.forPbx("floor1").setCall(job, { channel: "SIP/201-00000001", uniqueId: "1763.7" });
  for (const [status, note] of moves) {
    if (status === job.status) a.note(job, note);
    else a.transition(job, status, note);
  }
  return structuredClone(job);
}

Deno.test("adopt adds another proxy's job, found by owner and by its call's Uniqueid on its PBX", () => {
  const { store, changes } = storeWithLog();
  const job = fromProxyA([["dialing", "calling"], ["active", "listening"]]);
  assert(store.adopt(job));
  assertEquals(changes, [[job.id, "active", "fleet"]]);
  assertEquals(store.ownedBy("sup-201", 10).map((j) => j.id), [job.id]);
  assertEquals(store.forPbx("floor1").byUniqueId("1763.7")?.id, job.id);
  assertEquals(store.forPbx("floor2").byUniqueId("1763.7"), undefined);
});

Deno.test("adopt moves a known job only further on, keeps the object, and never undoes an end", () => {
  const { store, changes } = storeWithLog();
  const dialing = fromProxyA([["dialing", "calling"]]);
  store.adopt(dialing);
  const held = store.get(dialing.id)!;
  const active = fromProxyA([["dialing", "calling"], ["active", "listening"]]);
  active.id = dialing.id;
  assert(store.adopt(active));
  assertEquals([held.status, store.get(dialing.id) === held], ["active", true]);
  assert(!store.adopt(dialing), "an older state is behind");
  assert(!store.adopt(active), "the same state twice is one change");

  // Here the job ends (this proxy saw the Hangup); A, not there yet, writes two notes more.
  store.transition(held, "ended", "hung up");
  const behind = fromProxyA([
    ["dialing", "calling"],
    ["active", "listening"],
    ["active", "AMI connection lost"],
    ["active", "following again"],
  ]);
  behind.id = dialing.id;
  assert(!store.adopt(behind), "an end seen here stands");
  assertEquals(held.status, "ended");
  assertEquals(changes.map(([, status, origin]) => `${status} ${origin}`), [
    "dialing fleet",
    "active fleet",
    "ended local",
  ]);
});
