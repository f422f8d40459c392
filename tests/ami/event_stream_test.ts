import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import { EventSubscription } from "../../src/ami/event_stream.ts";
import { AmiMessage } from "../../src/ami/message.ts";

const event = (n: number) => new AmiMessage({ Event: "Tick", N: n });

Deno.test("EventSubscription hands an event straight to a waiting reader", async () => {
  const subscription = new EventSubscription(() => {});
  const next = subscription.next();
  subscription.push(event(1));
  assertEquals((await next).value?.get("N"), "1");
  assertEquals(subscription.dropped, 0);
});

Deno.test("EventSubscription keeps the newest events when full and counts the rest", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 3 });
  for (let i = 0; i < 10; i++) subscription.push(event(i));
  assertEquals([subscription.pending, subscription.dropped], [3, 7]);
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await subscription.next()).value!.get("N"));
  assertEquals(got, ["7", "8", "9"]);
});

Deno.test("EventSubscription.takeBuffered hands over a burst at once, in order, across the ring's end", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 4 });
  for (let i = 0; i < 3; i++) subscription.push(event(i));
  assertEquals((await subscription.next()).value?.get("N"), "0");
  for (let i = 3; i < 6; i++) subscription.push(event(i)); // wraps around the ring; 1 is dropped
  assertEquals(subscription.takeBuffered().map((e) => e.get("N")), ["2", "3", "4", "5"]);
  assertEquals(subscription.dropped, 1);
  assertEquals([subscription.pending, subscription.takeBuffered().length], [0, 0]);
  subscription.push(event(6));
  assertEquals((await subscription.next()).value?.get("N"), "6");
});

Deno.test("EventSubscription.end lets buffered events drain, close discards them", async () => {
  const removed: EventSubscription[] = [];
  const ended = new EventSubscription((s) => removed.push(s));
  ended.push(event(1));
  ended.end();
  ended.push(event(2));
  assertEquals((await ended.next()).value?.get("N"), "1");
  assert((await ended.next()).done);
  assertEquals(removed.length, 0);

  const closed = new EventSubscription((s) => removed.push(s));
  closed.push(event(1));
  const waiting = new EventSubscription((s) => removed.push(s));
  const pending = waiting.next();
  closed.close();
  waiting.close();
  assert((await closed.next()).done);
  assert((await pending).done);
  assertEquals(removed, [closed, waiting]);
});

Deno.test("EventSubscription refuses a buffer size that is not a positive integer", () => {
  for (const bufferSize of [0, -1, 1.5, NaN]) {
    assertThrows(() => new EventSubscription(() => {}, { bufferSize }), RangeError, "bufferSize");
  }
});
