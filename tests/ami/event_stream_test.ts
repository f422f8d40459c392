import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import {
  EVENT_GAP_NAME,
  EventGap,
  EventSubscription,
  isEventGap,
} from "../../src/ami/event_stream.ts";
import { AmiMessage } from "../../src/ami/message.ts";

const event = (n: number) => new AmiMessage({ Event: "Tick", N: n });

Deno.test("EventSubscription hands an event straight to a waiting reader", async () => {
  const subscription = new EventSubscription(() => {});
  const next = subscription.next();
  subscription.push(event(1));
  assertEquals((await next).value?.get("N"), "1");
  assertEquals(subscription.dropped, 0);
});

/** What a reader sees: `N` of each event, `gap:<lost>` for a gap marker. */
function seen(items: AmiMessage[]): string[] {
  return items.map((e) => isEventGap(e) ? `gap:${e.lost}` : e.get("N")!);
}

Deno.test("EventSubscription keeps the newest events when full, with a gap marker where the rest were", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 3 });
  for (let i = 0; i < 10; i++) subscription.push(event(i));
  assertEquals([subscription.pending, subscription.dropped], [3, 7]);
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await subscription.next()).value!);
  assertEquals(seen(got), ["gap:7", "7", "8", "9"]);
  const gap = got[0] as EventGap;
  assertEquals([gap.name, gap.get("Lost"), gap.kind], [EVENT_GAP_NAME, "7", "event"]);
});

Deno.test("EventSubscription marks each gap where it is: after what was read, merged until read", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 3 });
  for (let i = 0; i < 5; i++) subscription.push(event(i)); // 0, 1 lost
  const first = [(await subscription.next()).value!, (await subscription.next()).value!];
  assertEquals(seen(first), ["gap:2", "2"]);
  // 3 and 4 still buffered; 5..10 arrive: 3 to 7 are lost, in one gap before 8
  for (let i = 5; i <= 10; i++) subscription.push(event(i));
  assertEquals(seen(subscription.takeBuffered()), ["gap:5", "8", "9", "10"]);
  assertEquals(subscription.dropped, 7);
  subscription.push(event(11));
  assertEquals(seen(subscription.takeBuffered()), ["11"], "no gap once nothing more was lost");
});

Deno.test("EventSubscription delivers a gap past its filter, and a PBX event of that name is no gap", () => {
  const subscription = new EventSubscription(() => {}, {
    bufferSize: 2,
    filter: (e) => e.name === "Tick" || e.name === EVENT_GAP_NAME,
  });
  const forged = new AmiMessage({ Event: EVENT_GAP_NAME, Lost: 1000 });
  subscription.push(forged);
  for (let i = 0; i < 3; i++) subscription.push(event(i));
  subscription.push(new AmiMessage({ Event: "Other" })); // filtered out: not lost, not counted
  const items = subscription.takeBuffered();
  assertEquals(seen(items), ["gap:2", "1", "2"]);
  assert(!isEventGap(forged), "only the subscription makes gaps");
});

Deno.test("EventSubscription.takeBuffered hands over a burst at once, in order, across the ring's end", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 4 });
  for (let i = 0; i < 3; i++) subscription.push(event(i));
  assertEquals((await subscription.next()).value?.get("N"), "0");
  for (let i = 3; i < 6; i++) subscription.push(event(i)); // wraps around the ring; 1 is dropped
  assertEquals(seen(subscription.takeBuffered()), ["gap:1", "2", "3", "4", "5"]);
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

Deno.test("EventSubscription refuses an overflow mode it does not know", () => {
  const overflow = "drop-newest" as "drop-oldest";
  assertThrows(() => new EventSubscription(() => {}, { overflow }), RangeError, '"drop-newest"');
});

Deno.test("EventSubscription in backpressure mode keeps everything, is full at its size, drains at half", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 4, overflow: "backpressure" });
  assert(!subscription.full);
  for (let i = 0; i < 4; i++) subscription.push(event(i));
  assert(subscription.full, "full at bufferSize");
  // What one socket read carried past the limit is kept, in order, not dropped.
  for (let i = 4; i < 11; i++) subscription.push(event(i));
  assertEquals([subscription.pending, subscription.dropped], [11, 0]);
  let drained = false;
  const waiting = subscription.drained().then(() => drained = true);
  const read: AmiMessage[] = [];
  while (subscription.pending > 3) {
    read.push((await subscription.next()).value!);
    await Promise.resolve();
    assertEquals(drained, false, `still held back with ${subscription.pending} pending`);
  }
  read.push((await subscription.next()).value!); // 2 left: half of 4
  await waiting;
  assert(!subscription.full);
  read.push(...subscription.takeBuffered());
  assertEquals(seen(read), Array.from({ length: 11 }, (_, i) => String(i)));
});

Deno.test("EventSubscription in backpressure mode releases a waiting reader of the socket when it ends", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 1, overflow: "backpressure" });
  subscription.push(event(1));
  const waiting = subscription.drained();
  subscription.close();
  await waiting;
  assert(!subscription.full, "a closed subscription holds nothing back");
  await subscription.drained();
});

Deno.test("EventSubscription in backpressure mode grows across the ring's end, in order", async () => {
  const subscription = new EventSubscription(() => {}, { bufferSize: 4, overflow: "backpressure" });
  for (let i = 0; i < 4; i++) subscription.push(event(i));
  const first = [(await subscription.next()).value!, (await subscription.next()).value!];
  for (let i = 4; i < 9; i++) subscription.push(event(i)); // wraps, then grows past the limit
  assertEquals(seen([...first, ...subscription.takeBuffered()]), "012345678".split(""));
  assertEquals(subscription.dropped, 0);
});
