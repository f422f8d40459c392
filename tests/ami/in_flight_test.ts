import { assert, assertEquals, assertRejects } from "../_support/assert.ts";
import { ActionIds } from "../../src/ami/action_ids.ts";
import { AmiDisconnectedError, AmiTimeoutError } from "../../src/ami/errors.ts";
import type { ReconnectClock } from "../../src/ami/backoff.ts";
import { InFlight } from "../../src/ami/in_flight.ts";
import { AmiMessage } from "../../src/ami/message.ts";

const response = (id: string) => new AmiMessage({ Response: "Success", ActionID: id });
const ping = { collect: false, timeoutMs: 60_000 };

/** A clock that moves only when told to; its timers run in `advance`, in due order. */
class FakeClock implements ReconnectClock {
  time = 0;
  readonly #timers = new Map<number, { due: number; callback: () => void }>();
  #next = 1;

  get pending(): number {
    return this.#timers.size;
  }

  now(): number {
    return this.time;
  }

  schedule(ms: number, callback: () => void): () => void {
    const handle = this.#next++;
    this.#timers.set(handle, { due: this.time + ms, callback });
    return () => this.#timers.delete(handle);
  }

  /** Moves time on by `ms`, running each timer that falls due (and the microtasks it queues). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    while (true) {
      const [handle, timer] = [...this.#timers].sort((a, b) => a[1].due - b[1].due)[0] ?? [];
      if (timer === undefined || timer.due > end) break;
      this.#timers.delete(handle!);
      this.time = timer.due;
      timer.callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets every queued microtask (and those they queue) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("InFlight settles answers in any order and times out only what got none", async () => {
  const clock = new FakeClock();
  const inFlight = new InFlight({ clock });
  const a = inFlight.wait("a", "Ping", { collect: false, timeoutMs: 40 });
  const b = inFlight.wait("b", "Ping", { collect: false, timeoutMs: 40 });
  const slow = inFlight.wait("c", "Originate", { collect: false, timeoutMs: 5_000 });
  inFlight.onResponse(response("b"));
  assertEquals(((await b) as AmiMessage).actionId, "b");
  let timedOut = false;
  a.catch(() => timedOut = true);
  await clock.advance(39);
  assertEquals(timedOut, false, "not before its deadline");
  await clock.advance(1);
  const error = await assertRejects(a, AmiTimeoutError, '"Ping" timed out after 40 ms');
  assertEquals(error.timeoutMs, 40);
  inFlight.onResponse(response("c"));
  assertEquals(((await slow) as AmiMessage).actionId, "c");
  inFlight.onResponse(response("a")); // too late
  assertEquals(inFlight.unmatched, 1);
  await settle();
  assertEquals(clock.pending, 0, "no timer left once nothing is in flight");
});

Deno.test("InFlight times out each action at its own deadline, with one timer per timeout value", async () => {
  const clock = new FakeClock();
  const inFlight = new InFlight({ clock });
  const rejected: string[] = [];
  const send = (id: string) =>
    inFlight.wait(id, id, { collect: false, timeoutMs: 1_000 }).catch(() => rejected.push(id));
  send("t0");
  await clock.advance(300);
  send("t300");
  await clock.advance(300);
  send("t600");
  assertEquals(clock.pending, 1);
  await clock.advance(400); // t = 1000
  assertEquals(rejected, ["t0"]);
  await clock.advance(299);
  assertEquals(rejected, ["t0"]);
  await clock.advance(1); // t = 1300
  assertEquals(rejected, ["t0", "t300"]);
  await clock.advance(300);
  assertEquals(rejected, ["t0", "t300", "t600"]);
  assertEquals(clock.pending, 0);
  assertEquals(inFlight.size, 0);
});

Deno.test("InFlight arms one timer for 10,000 actions answered batch after batch", async () => {
  const clock = new FakeClock();
  const ids = new ActionIds();
  const inFlight = new InFlight({ ids, clock });
  const total = 10_000;
  let sent = 0;
  let answered = 0;
  const queued: string[] = [];
  const send = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      const id = ids.next();
      queued.push(id);
      await inFlight.wait(id, "Ping", { ...ping, serial: ids.lastSerial });
      answered++;
    }
  };
  const callers = Array.from({ length: 100 }, send);
  while (answered < total) {
    // One chunk read: every answer at once; the callers send the next batch in the same tick.
    for (const id of queued.splice(0)) inFlight.onResponse(response(id));
    await Promise.resolve();
    await settle();
  }
  await Promise.all(callers);
  assertEquals(inFlight.timersArmed, 1, "timers armed for 10,000 actions");
  assertEquals(clock.pending, 0, "stopped once nothing is in flight");
  assertEquals(inFlight.unmatched, 0);
});

Deno.test("InFlight finds its own ActionIDs by serial and refuses look-alikes", async () => {
  const ids = new ActionIds();
  const inFlight = new InFlight({ ids });
  const id = ids.next();
  const answer = inFlight.wait(id, "Ping", { ...ping, serial: ids.lastSerial });
  const serial = id.slice(0, id.indexOf("-"));
  const lookAlike = `${serial}-${id.endsWith("AAAAAAAAAAA") ? "B" : "A"}${"A".repeat(10)}`;
  assertEquals(ids.serialOf(lookAlike), ids.serialOf(id), "the same serial");
  assertEquals(inFlight.has(lookAlike), false);
  inFlight.onResponse(response(lookAlike));
  assertEquals(inFlight.unmatched, 1, "a look-alike answers nothing");
  // A caller's own ActionID of the same shape lives beside it, found as a string.
  const theirs = inFlight.wait(lookAlike, "Ping", ping);
  assert(inFlight.has(id) && inFlight.has(lookAlike));
  inFlight.onResponse(response(id));
  inFlight.onResponse(response(lookAlike));
  assertEquals(((await answer) as AmiMessage).actionId, id);
  assertEquals(((await theirs) as AmiMessage).actionId, lookAlike);
  assertEquals(inFlight.size, 0);
});

Deno.test("InFlight keeps thousands of answered actions from piling up and rejects the rest at once", async () => {
  const inFlight = new InFlight();
  const answered = Array.from({ length: 5_000 }, (_, i) => inFlight.wait(`x${i}`, "Ping", ping));
  for (let i = 0; i < 5_000; i++) inFlight.onResponse(response(`x${i}`));
  assertEquals((await Promise.all(answered)).length, 5_000);
  const pending = inFlight.wait("last", "Ping", ping);
  inFlight.rejectAll(() => new AmiDisconnectedError("gone"));
  await assertRejects(pending, AmiDisconnectedError, "gone");
  assertEquals(inFlight.has("last"), false);
  // No timer is left behind: the test's op sanitizer would fail otherwise.
});

Deno.test("InFlight collects a list: items by ActionID, then the Complete event", async () => {
  const inFlight = new InFlight();
  const list = inFlight.wait("l", "CoreShowChannels", { collect: true, timeoutMs: 1_000 });
  const other = new AmiMessage({ Event: "Newstate", Channel: "SIP/1-0" });
  assertEquals(inFlight.onEvent(other), false, "ordinary events pass through");
  inFlight.onResponse(new AmiMessage({ Response: "Success", ActionID: "l", EventList: "start" }));
  assertEquals(
    inFlight.onEvent(new AmiMessage({ Event: "CoreShowChannel", ActionID: "l", Channel: "a" })),
    true,
  );
  assertEquals(
    inFlight.onEvent(
      new AmiMessage({ Event: "CoreShowChannelsComplete", ActionID: "l", EventList: "Complete" }),
    ),
    true,
  );
  const result = await list as { events: AmiMessage[]; complete?: AmiMessage };
  assertEquals(result.events.map((e) => e.get("Channel")), ["a"]);
  assertEquals(result.complete?.name, "CoreShowChannelsComplete");
});
