/**
 * The console's list of the user's jobs, fed what a proxy sends: the jobs
 * and job events come from the proxy's own JobStore on a fake clock, the
 * events as the stream's `job` event carries them (`jobEventData`) through
 * the EventHub's JSON.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { EventHub } from "../../src/proxy/event_hub.ts";
import { jobEventData } from "../../src/proxy/stream_data.ts";
import { isFinal, type Job as ProxyJob, JOB_STATUSES, JobStore } from "../../src/proxy/jobs.ts";
import type { Job, JobEvent } from "../../console/api.ts";
import { FINAL_STATES, JobList } from "../../console/jobs.ts";

/** A proxy's jobs on a fake clock: `answer()` is a job as the API answers it, `events` what the stream sent. */
function proxyJobs() {
  let now = Date.parse("2026-07-15T12:00:00.000Z");
  const hub = new EventHub();
  const events: JobEvent[] = [];
  const store = new JobStore({
    now: () => now,
    onChange: (job) => {
      events.push(hub.publish({ event: "job", data: jobEventData(job) }).data as JobEvent);
    },
  });
  return {
    store,
    events,
    tick: (ms = 1000) => now += ms,
    create: (target = "PJSIP/202-00000001") =>
      store.create({
        kind: "listen",
        owner: "sup",
        ownerRole: "supervisor",
        extension: "201",
        target,
        mode: "listen",
      }),
    answer: (job: ProxyJob): Job => JSON.parse(JSON.stringify(job)),
  };
}

Deno.test("FINAL_STATES are the proxy's final job states", () => {
  for (const status of JOB_STATUSES) {
    assertEquals(FINAL_STATES.has(status), isFinal(status), status);
  }
});

Deno.test("JobList.put adds a job, replaces it with a newer copy and ignores an older one", () => {
  const proxy = proxyJobs();
  const job = proxy.create();
  const list = new JobList();
  const queued = proxy.answer(job);
  list.put(queued);
  assertEquals([list.list(), list.version], [[queued], 1]);
  proxy.tick();
  proxy.store.transition(job, "dialing", "calling 201");
  list.put(proxy.answer(job));
  assertEquals([list.list()[0].status, list.version], ["dialing", 2]);
  list.put(queued);
  assertEquals([list.list()[0].status, list.version], ["dialing", 2]);
});

Deno.test("JobList.apply follows the stream's events to a final state", () => {
  const proxy = proxyJobs();
  const job = proxy.create();
  const list = new JobList();
  list.put(proxy.answer(job));
  const steps = [["dialing", "calling 201"], ["active", "ChanSpyStart"], ["ended", "hung up"]];
  for (const [status, note] of steps) {
    proxy.tick();
    assert(proxy.store.transition(job, status as ProxyJob["status"], note));
    const version = list.version;
    assertEquals(list.apply(proxy.events.at(-1)!), true);
    assertEquals([list.list()[0].status, list.version], [status, version + 1]);
  }
  const [held] = list.list();
  assertEquals(held, proxy.answer(job), "the list holds what the API would answer");
  assert(FINAL_STATES.has(held.status) && held.endedAt === held.updatedAt);
});

Deno.test("JobList.apply adds a timeline entry the job already has only once", () => {
  const proxy = proxyJobs();
  const job = proxy.create();
  proxy.tick();
  proxy.store.transition(job, "dialing", "calling 201");
  const list = new JobList();
  list.put(proxy.answer(job));
  // The answer already holds the step this event tells of (the answer and the event raced).
  assertEquals(list.apply(proxy.events.at(-1)!), true);
  assertEquals(list.list()[0].timeline, proxy.answer(job).timeline);
  proxy.store.note(job, "ringing");
  list.apply(proxy.events.at(-1)!);
  assertEquals(list.list()[0].timeline.map((entry) => entry.note), [
    "accepted",
    "calling 201",
    "ringing",
  ]);
});

Deno.test("JobList.apply ignores events of jobs it does not hold", () => {
  const proxy = proxyJobs();
  const ours = proxy.create();
  proxy.create("PJSIP/203-00000002");
  const list = new JobList();
  list.put(proxy.answer(ours));
  assertEquals(list.apply(proxy.events[1]), false);
  assertEquals([list.list().map((job) => job.id), list.version], [[ours.id], 1]);
});

Deno.test("JobList.apply does not let a late event undo a newer state", () => {
  const proxy = proxyJobs();
  const job = proxy.create();
  const list = new JobList();
  list.put(proxy.answer(job));
  proxy.tick();
  proxy.store.transition(job, "active", "ChanSpyStart");
  const late = proxy.events.at(-1)!;
  proxy.tick();
  proxy.store.transition(job, "ended", "hung up");
  // The answer to "Hang up" arrives before the stream's older "active" event.
  list.put(proxy.answer(job));
  const version = list.version;
  assertEquals(list.apply(late), false);
  assertEquals([list.list()[0], list.version], [proxy.answer(job), version]);
});

Deno.test("JobList.list puts the newest job first, whatever the order they came in", () => {
  const proxy = proxyJobs();
  const jobs = ["a", "b", "c"].map((target) => {
    proxy.tick();
    return proxy.answer(proxy.create(target));
  });
  const list = new JobList();
  for (const i of [1, 2, 0]) list.put(jobs[i]);
  assertEquals(list.list().map((job) => job.target), ["c", "b", "a"]);
});
