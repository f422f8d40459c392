/** Timers: the one owner of a component's timers, on a manual clock. */

import { assertEquals } from "../_support/assert.ts";
import { ManualClock, Timers } from "../../src/pbx/clock.ts";

Deno.test("Timers counts what waits: a callback that ran or was cancelled is no longer pending", () => {
  const clock = new ManualClock();
  const timers = new Timers(clock);
  const ran: string[] = [];
  timers.schedule(1_000, () => ran.push("first"));
  const cancel = timers.schedule(2_000, () => ran.push("cancelled"));
  timers.schedule(3_000, () => ran.push("third"));
  assertEquals([timers.pending, clock.pending], [3, 3]);
  clock.advance(1_000);
  cancel();
  cancel(); // twice is harmless
  assertEquals([timers.pending, clock.pending], [1, 1]);
  clock.advance(5_000);
  assertEquals(ran, ["first", "third"]);
  assertEquals([timers.pending, clock.pending], [0, 0]);
});

Deno.test("Timers stop cancels everything waiting and refuses what is scheduled afterwards", () => {
  const clock = new ManualClock();
  const timers = new Timers(clock);
  const ran: string[] = [];
  timers.schedule(1_000, () => ran.push("before stop"));
  timers.schedule(0, () => timers.schedule(10, () => ran.push("rescheduled")));
  timers.stop();
  const cancelLate = timers.schedule(0, () => ran.push("after stop"));
  assertEquals([timers.pending, clock.pending], [0, 0]);
  clock.advance(60_000);
  cancelLate();
  assertEquals(ran, []);
  assertEquals(timers.now(), clock.now(), "its time is the clock's");
});
