import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import { EventHub, type EventHubOptions, type HubEvent } from "../../src/proxy/event_hub.ts";

/** One SSE frame: its fields by name (`comment` for a `:` line). */
type Frame = Record<string, string>;

/** Reads a hub stream frame by frame, whatever the chunks. */
class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  #frames: Frame[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next frame, or `undefined` once the stream has ended. */
  async next(): Promise<Frame | undefined> {
    while (this.#frames.length === 0) {
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += this.#decoder.decode(value, { stream: true });
      const blocks = this.#buffer.split("\n\n");
      this.#buffer = blocks.pop()!;
      this.#frames.push(...blocks.map(parseFrame));
    }
    return this.#frames.shift();
  }

  /** Every frame up to the end of the stream. */
  async rest(): Promise<Frame[]> {
    const frames = [];
    for (let frame = await this.next(); frame; frame = await this.next()) frames.push(frame);
    assertEquals(this.#buffer, "", "the stream ended inside a frame");
    return frames;
  }

  /** Frames until one with id `id` (included). */
  async until(id: number): Promise<Frame[]> {
    const frames = [];
    for (let frame = await this.next(); frame; frame = await this.next()) {
      frames.push(frame);
      if (frame.id === String(id) && frame.event !== "reset") return frames;
    }
    throw new Error(`The stream ended before event ${id}`);
  }
}

function parseFrame(block: string): Frame {
  const frame: Frame = {};
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    const name = colon === 0 ? "comment" : line.slice(0, colon);
    assert(!(name in frame), `field ${name} twice in ${JSON.stringify(block)}`);
    frame[name] = line.slice(colon + 1).replace(/^ /, "");
  }
  return frame;
}

const ids = (frames: Frame[]) =>
  frames.filter((f) => f.id && !f.event.match(/^(reset|overflow)$/)).map((f) => Number(f.id));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** `promise`, or a rejection after `ms`; its timer also keeps the event loop alive while the hub's is unref'd. */
async function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** For tests that run the heartbeat: fail if it is left running (Deno 2 no longer checks by default). */
const timers = { sanitizeOps: true };

function hubWith(events: number, options: EventHubOptions = {}): EventHub {
  const hub = new EventHub({ heartbeatMs: 0, ...options });
  for (let i = 0; i < events; i++) hub.publish({ event: "tick", data: { n: i } });
  return hub;
}

Deno.test("EventHub.subscribe sends retry first, then each event as id, event and one line of JSON", async () => {
  const hub = new EventHub({ firstId: 1_000, retryMs: 1_234, heartbeatMs: 0 });
  const reader = new SseReader(hub.subscribe({}));
  const published = [
    hub.publish({ event: "job", data: { jobId: "j1", note: "line 1\nline 2\r\n" }, jobId: "j1" }),
    hub.publish({ event: "ami", data: "a\nb" }),
    hub.publish({ event: "empty", data: undefined }),
  ];
  hub.close();
  assertEquals(published.map((e) => e.id), [1_000, 1_001, 1_002]);
  assertEquals(hub.lastId, 1_002);
  assertEquals(await reader.rest(), [
    { retry: "1234" },
    { id: "1000", event: "job", data: '{"jobId":"j1","note":"line 1\\nline 2\\r\\n"}' },
    { id: "1001", event: "ami", data: '"a\\nb"' },
    { id: "1002", event: "empty", data: "null" },
    { event: "shutdown", data: '{"reason":"server shutting down"}' },
  ]);
});

Deno.test("EventHub.subscribe writes the exact SSE bytes", async () => {
  const hub = new EventHub({ firstId: 7, heartbeatMs: 0 });
  const body = hub.subscribe({});
  hub.publish({ event: "job", data: { s: "x\ny" } });
  hub.close({ event: "bye", data: {} });
  assertEquals(
    await new Response(body).text(),
    'retry: 3000\n\nid: 7\nevent: job\ndata: {"s":"x\\ny"}\n\nevent: bye\ndata: {}\n\n',
  );
});

Deno.test("EventHub.publish refuses an event name with a line break", () => {
  const hub = new EventHub({ heartbeatMs: 0 });
  for (const event of ["a\nb", "a\r", "\r\nid: 1"]) {
    assertThrows(() => hub.publish({ event, data: 1 }), RangeError, "line break");
  }
  assertEquals(hub.lastId, 0);
});

Deno.test("EventHub refuses options that are not integers in range", () => {
  const bad: EventHubOptions[] = [
    { firstId: -1 },
    { firstId: 1.5 },
    { ringSize: 0 },
    { maxQueuedBytes: 0 },
    { heartbeatMs: -1 },
    { retryMs: NaN },
  ];
  for (const options of bad) {
    assertThrows(() => new EventHub(options), RangeError, Object.keys(options)[0]);
  }
});

Deno.test("EventHub.publish removes secret-named properties at any depth and leaves the caller's object alone", async () => {
  const hub = new EventHub({ heartbeatMs: 0 });
  const reader = new SseReader(hub.subscribe({}));
  const data = {
    Event: "FullyBooted",
    Secret: "s",
    KEY: "k",
    keyed: "kept",
    nested: {
      password: 1,
      Token: 2,
      list: [{ Authorization: "Bearer x", MD5: "m", kept: true }, "key"],
    },
  };
  const before = structuredClone(data);
  const expected = {
    Event: "FullyBooted",
    keyed: "kept",
    nested: { list: [{ kept: true }, "key"] },
  };
  assertEquals(hub.publish({ event: "ami", data }).data, expected);
  assertEquals(data, before);
  await reader.next();
  assertEquals(JSON.parse((await reader.next())!.data), expected);
  hub.close();
});

Deno.test("EventHub.subscribe replays exactly the events after any Last-Event-ID still in the ring, then goes live", async () => {
  // 22 events 100..121 in a ring of 8: 114..121 are kept, so 113..121 can resume.
  for (let lastEventId = 113; lastEventId <= 121; lastEventId++) {
    const hub = hubWith(20, { firstId: 100, ringSize: 8 });
    await macrotask(); // the first 20 are delivered; 120 and 121 are still pending below
    hub.publish({ event: "tick", data: {} });
    hub.publish({ event: "tick", data: {} });
    const reader = new SseReader(hub.subscribe({ lastEventId: String(lastEventId) }));
    hub.publish({ event: "tick", data: {} });
    hub.publish({ event: "tick", data: {} });
    const frames = await reader.until(123);
    hub.publish({ event: "tick", data: {} });
    frames.push(...await reader.until(124));
    hub.close();
    frames.push(...await reader.rest());
    assertEquals(frames[0], { retry: "3000" });
    assertEquals(ids(frames), range(lastEventId + 1, 124), `Last-Event-ID ${lastEventId}`);
    assert(frames.every((f) => f.event !== "reset"));
  }
});

Deno.test("EventHub.subscribe sends a reset then live events for a Last-Event-ID too old, too new or not a number", async () => {
  const cases: [string, string][] = [
    ["112", "older"],
    ["0", "older"],
    ["122", "newer"],
    ["1739000000000000", "newer"],
    ["abc", "not an event id"],
    ["", "not an event id"],
    ["-1", "not an event id"],
    ["1.5", "not an event id"],
  ];
  for (const [lastEventId, reason] of cases) {
    const hub = hubWith(22, { firstId: 100, ringSize: 8 });
    const reader = new SseReader(hub.subscribe({ lastEventId }));
    hub.publish({ event: "tick", data: {} });
    hub.close();
    const [retry, reset, ...rest] = await reader.rest();
    assertEquals(retry, { retry: "3000" });
    assertEquals([reset.id, reset.event], ["121", "reset"], `Last-Event-ID "${lastEventId}"`);
    const data = JSON.parse(reset.data);
    assertEquals(data.lastId, 121);
    assert(data.reason.includes(reason), `"${data.reason}" for "${lastEventId}"`);
    assertEquals(ids(rest), [122]);
  }
});

Deno.test("EventHub.subscribe without Last-Event-ID sends live events only and no reset", async () => {
  for (const lastEventId of [null, undefined]) {
    const hub = hubWith(5);
    const reader = new SseReader(hub.subscribe({ lastEventId }));
    hub.publish({ event: "tick", data: {} });
    hub.close();
    const frames = await reader.rest();
    assertEquals(frames.map((f) => f.event ?? "retry"), ["retry", "tick", "shutdown"]);
    assertEquals(ids(frames), [6]);
  }
});

Deno.test("EventHub.subscribe applies the filter to replayed and live events, not to control events", async () => {
  const hub = new EventHub({ heartbeatMs: 0 });
  const publish = (jobId: string) => hub.publish({ event: "job", data: { jobId }, jobId });
  for (const jobId of ["a", "b", "a", "b"]) publish(jobId);
  const own = (e: HubEvent) => e.jobId === "a";
  const resumed = new SseReader(hub.subscribe({ lastEventId: "1", filter: own }));
  const reset = new SseReader(hub.subscribe({ lastEventId: "x", filter: () => false }));
  for (const jobId of ["b", "a"]) publish(jobId);
  hub.close();
  const frames = await resumed.rest();
  assertEquals(ids(frames), [3, 6]);
  assertEquals(frames.at(-1)!.event, "shutdown");
  assertEquals((await reset.rest()).map((f) => f.event ?? "retry"), ["retry", "reset", "shutdown"]);
});

Deno.test(
  "EventHub sends heartbeats to every subscriber, whatever its filter",
  timers,
  async () => {
    const hub = new EventHub({ heartbeatMs: 20 });
    const readers = [
      new SseReader(hub.subscribe({})),
      new SseReader(hub.subscribe({ filter: () => false })),
    ];
    for (const reader of readers) {
      assertEquals(await reader.next(), { retry: "3000" });
      assertEquals(await within(reader.next(), "a heartbeat"), { comment: "heartbeat" });
    }
    hub.close();
  },
);

Deno.test("EventHub delivers events published in one tick as one chunk, the same bytes for every subscriber", async () => {
  const hub = new EventHub({ heartbeatMs: 0 });
  const streams = [hub.subscribe({}), hub.subscribe({})];
  for (let i = 0; i < 100; i++) hub.publish({ event: "tick", data: { i } });
  await macrotask();
  const readers = streams.map((stream) => stream.getReader());
  const chunks = [];
  for (const reader of readers) {
    const text = async () => new TextDecoder().decode((await reader.read()).value);
    assertEquals(await text(), "retry: 3000\n\n");
    chunks.push((await reader.read()).value!);
  }
  hub.close();
  for (const reader of readers) {
    const final = new TextDecoder().decode((await reader.read()).value);
    assert(final.startsWith("event: shutdown\n"), "the final event is the next chunk");
    assert((await reader.read()).done);
  }
  assert(chunks[0] === chunks[1], "the batch is serialized once");
  const frames = new TextDecoder().decode(chunks[0]).split("\n\n").filter(Boolean).map(parseFrame);
  assertEquals(ids(frames), range(1, 100));
});

Deno.test("EventHub ends a subscriber whose queue stays full for overflowAfterMs with an overflow, and keeps serving the others", async () => {
  let now = 0;
  const hub = new EventHub({
    heartbeatMs: 0,
    maxQueuedBytes: 64 * 1024,
    overflowAfterMs: 1_000,
    now: () => now,
  });
  const stalled = hub.subscribe({});
  const reader = new SseReader(hub.subscribe({}));
  const counts = [];
  const received = [];
  const padding = "x".repeat(1_000);
  for (let burst = 0; burst < 20; burst++) {
    for (let i = 0; i < 10; i++) hub.publish({ event: "tick", data: { padding } });
    received.push(...await reader.until(hub.lastId));
    counts.push(hub.subscriberCount);
    now += 100; // the stalled one has been behind since about burst 6: ended 1 s later
  }
  hub.close();
  received.push(...await reader.rest());
  assertEquals(ids(received), range(1, 200));
  assertEquals(received.at(-1)!.event, "shutdown");
  assertEquals(counts.slice(0, 15), Array(15).fill(2), "behind, not ended before 1 s");
  assertEquals(counts.at(-1), 1);
  const frames = await new SseReader(stalled).rest();
  const overflow = frames.at(-1)!;
  assertEquals(overflow.event, "overflow");
  const data = JSON.parse(overflow.data);
  assertEquals(data, {
    reason: "the client did not keep up; reconnect with Last-Event-ID",
    lastId: Number(overflow.id),
  });
  // What went into its stream, and no more: a reconnect with lastId misses nothing.
  assertEquals(ids(frames), range(1, data.lastId));
  assert(data.lastId >= 60 && data.lastId < 75, `overflowed after ${data.lastId} events`);
});

Deno.test("EventHub sends a burst bigger than a subscriber's queue in chunks as it reads, and ends nobody", async () => {
  let now = 0;
  const hub = new EventHub({ heartbeatMs: 0, maxQueuedBytes: 64 * 1024, now: () => now });
  const streams = [hub.subscribe({}), hub.subscribe({ filter: (e) => e.id % 2 === 0 })];
  const padding = "x".repeat(1_000);
  for (let i = 0; i < 3_000; i++) hub.publish({ event: "tick", data: { padding } }); // ~3 MiB
  await macrotask();
  now += 60_000; // a publisher stall: the clock jumped, then everything flushed at once
  hub.publish({ event: "tick", data: {} });
  assertEquals(hub.subscriberCount, 2, "judged by their own backlog, not by the burst");
  const sizes: number[] = [];
  const texts = await Promise.all(streams.map(async (stream) => {
    const decoder = new TextDecoder();
    const parts: string[] = [];
    const reader = stream.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      sizes.push(chunk.value.byteLength);
      // Chunks hold whole frames: the last event is in one of them.
      parts.push(decoder.decode(chunk.value));
      if (parts.at(-1)!.includes(`id: ${hub.lastId}\n`)) hub.close();
    }
    return parts.join("");
  }));
  const frames = texts.map((text) => text.split("\n\n").filter(Boolean).map(parseFrame));
  assertEquals(ids(frames[0]), range(1, 3_001));
  assertEquals(ids(frames[1]), range(1, 3_001).filter((id) => id % 2 === 0));
  for (const f of frames) assertEquals(f.at(-1)!.event, "shutdown");
  assert(
    Math.max(...sizes) <= 64 * 1024 + 1_100,
    `chunks of at most 64 KiB: ${Math.max(...sizes)}`,
  );
});

Deno.test("EventHub ends a subscriber at once when its waiting events pass maxBacklogBytes", async () => {
  const hub = new EventHub({
    heartbeatMs: 0,
    maxQueuedBytes: 16 * 1024,
    maxBacklogBytes: 100 * 1024,
    now: () => 0,
  });
  const stalled = hub.subscribe({});
  const padding = "x".repeat(1_000);
  for (let i = 0; i < 100; i++) hub.publish({ event: "tick", data: { padding } });
  await macrotask();
  assertEquals(hub.subscriberCount, 1, "behind by ~84 KiB: still within the backlog");
  for (let i = 0; i < 30; i++) hub.publish({ event: "tick", data: { padding } });
  await macrotask();
  assertEquals(hub.subscriberCount, 0);
  const frames = await new SseReader(stalled).rest();
  assertEquals(frames.at(-1)!.event, "overflow");
  assertEquals(ids(frames), range(1, Number(frames.at(-1)!.id)));
});

Deno.test("EventHub.close delivers what a slow subscriber has not taken yet, then the final event", async () => {
  const hub = new EventHub({ heartbeatMs: 0, maxQueuedBytes: 4 * 1024, now: () => 0 });
  const slow = hub.subscribe({});
  const padding = "x".repeat(1_000);
  for (let i = 0; i < 50; i++) hub.publish({ event: "tick", data: { padding } });
  hub.close();
  const frames = await new SseReader(slow).rest();
  assertEquals(ids(frames), range(1, 50));
  assertEquals(frames.at(-1)!.event, "shutdown");
});

Deno.test(
  "EventHub removes a subscriber whose stream is cancelled or whose signal aborts",
  timers,
  async () => {
    const hub = new EventHub(); // the default heartbeat: a timer left running would fail this test
    const cancelled = hub.subscribe({});
    const controller = new AbortController();
    const aborted = new SseReader(hub.subscribe({ signal: controller.signal }));
    assertEquals(hub.subscriberCount, 2);
    await cancelled.cancel();
    assertEquals(hub.subscriberCount, 1);
    controller.abort();
    assertEquals(hub.subscriberCount, 0);
    assertEquals(await aborted.rest(), [{ retry: "3000" }]);
    const late = hub.subscribe({ signal: controller.signal });
    assertEquals(hub.subscriberCount, 0);
    assertEquals(await new SseReader(late).rest(), []);
    hub.publish({ event: "tick", data: {} });
    await macrotask();
  },
);

Deno.test("EventHub delivers each of 200 events exactly once to each of 1,000 subscribers", async () => {
  const hub = new EventHub({ heartbeatMs: 0 });
  const readers = Array.from({ length: 1_000 }, () => new SseReader(hub.subscribe({})));
  for (let i = 0; i < 100; i++) hub.publish({ event: "tick", data: { i } });
  await macrotask();
  for (let i = 100; i < 200; i++) hub.publish({ event: "tick", data: { i } });
  hub.close();
  const all = await Promise.all(readers.map((reader) => reader.rest()));
  const expected = range(1, 200);
  for (const frames of all) {
    assertEquals(ids(frames), expected);
    assertEquals(frames.at(-1)!.event, "shutdown");
  }
  assertEquals(hub.subscriberCount, 0);
});

Deno.test(
  "EventHub.close sends the final event to every subscriber and to any later one, and stops the heartbeat",
  timers,
  async () => {
    const hub = new EventHub({ heartbeatMs: 20 });
    const readers = [
      new SseReader(hub.subscribe({})),
      new SseReader(hub.subscribe({ filter: () => false })),
    ];
    hub.publish({ event: "tick", data: {} });
    hub.close({ event: "bye", data: { reason: "restart", Secret: "s" } });
    hub.close();
    assertEquals(hub.subscriberCount, 0);
    const bye = { event: "bye", data: '{"reason":"restart"}' };
    assertEquals(await readers[0].rest(), [
      { retry: "3000" },
      { id: "1", event: "tick", data: "{}" },
      bye,
    ]);
    assertEquals(await readers[1].rest(), [{ retry: "3000" }, bye]);
    const late = new SseReader(hub.subscribe({ lastEventId: "1" }));
    assertEquals(await late.rest(), [{ retry: "3000" }, bye]);
    assertEquals(hub.subscriberCount, 0);
  },
);
