import { assertEquals, assertThrows } from "../_support/assert.ts";
import { backoffDelay, ReconnectBackoff } from "../../src/ami/backoff.ts";
import { ManualClock } from "../../src/pbx/clock.ts";

const bounds = { initialMs: 500, maxMs: 30_000 };

Deno.test("backoffDelay doubles per attempt up to the maximum", () => {
  const low = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelay(n, bounds, () => 0));
  assertEquals(low, [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  const high = [1, 2, 3, 7, 100].map((n) => backoffDelay(n, bounds, () => 0.999999));
  assertEquals(high, [500, 1000, 2000, 30000, 30000]);
});

Deno.test("backoffDelay jitters within [step/2, step)", () => {
  for (let i = 0; i < 100; i++) {
    const random = i / 100;
    const delay = backoffDelay(4, bounds, () => random);
    assertEquals(delay >= 2000 && delay <= 4000, true, `delay ${delay}`);
  }
});

const policy = { initialMs: 500, maxMs: 30_000, healthyMs: 30_000 };
const top = () => 0.999999; // the top of each jitter range: the exponential step itself

Deno.test("ReconnectBackoff keeps growing across logins that do not last healthyMs", () => {
  const clock = new ManualClock();
  const backoff = new ReconnectBackoff(policy, clock, top);
  const delays = [];
  for (let i = 0; i < 8; i++) {
    const { delayMs } = backoff.next();
    delays.push(delayMs);
    clock.advance(delayMs);
    backoff.connected();
    clock.advance(29_999); // dropped just short of healthy
  }
  assertEquals(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

Deno.test("ReconnectBackoff starts again from initialMs after a connection that stayed up healthyMs", () => {
  const clock = new ManualClock();
  const backoff = new ReconnectBackoff(policy, clock, top);
  for (let i = 0; i < 4; i++) backoff.next(); // failed attempts: no connection in between
  assertEquals(backoff.next(), { attempt: 5, delayMs: 8000 });
  backoff.connected();
  clock.advance(30_000);
  assertEquals(backoff.next(), { attempt: 1, delayMs: 500 });
  assertEquals(backoff.next(), { attempt: 2, delayMs: 1000 }, "a failed attempt is no connection");
});

Deno.test("ReconnectBackoff sleeps on its clock, and wake() ends the sleep and its timer", async () => {
  const clock = new ManualClock();
  const backoff = new ReconnectBackoff(policy, clock, top);
  let slept = false;
  const first = backoff.sleep(1_000);
  first.done.then(() => slept = true);
  clock.advance(999);
  await Promise.resolve();
  assertEquals([slept, clock.pending], [false, 1]);
  clock.advance(1);
  await first.done;
  const second = backoff.sleep(60_000);
  second.wake();
  await second.done;
  assertEquals(clock.pending, 0, "the timer was cancelled");
});

Deno.test("ReconnectBackoff refuses bounds that are not milliseconds", () => {
  for (const bad of [{ initialMs: -1 }, { maxMs: NaN }, { healthyMs: Infinity }]) {
    assertThrows(() => new ReconnectBackoff({ ...policy, ...bad }), RangeError, "milliseconds");
  }
});
