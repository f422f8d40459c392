/**
 * Issue 11, item 12: flooded with 300,001 events on a busy machine, a
 * consumer that only counted lost 34,694 of them, silently. Loss is now a
 * choice: a `backpressure` subscription stops the client reading the socket
 * while it is full (TCP slows the peer down) and loses nothing; a
 * `drop-oldest` one marks each gap in the stream with its count. Real TCP on
 * loopback, over both transports; pausing is shown by counting the client's
 * socket reads and the bytes the server got rid of, never by timing.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import type { AmiClient, AmiClientOptions } from "../../src/ami/client.ts";
import { EventSubscription, isEventGap } from "../../src/ami/event_stream.ts";
import type { AmiMessage } from "../../src/ami/message.ts";
import type { Transport } from "../../src/ami/transport.ts";
import { denoTransport } from "../../src/ami/transport_deno.ts";
import { nodeTransport } from "../../src/ami/transport_node.ts";
import { AmiBackend } from "../../src/proxy/backends/ami.ts";
import { JobStore } from "../../src/proxy/jobs.ts";
import { opsClient } from "../_support/ami_server.ts";
import { countingTransport, startFloodServer } from "../_support/flood_server.ts";
import { waitFor } from "../_support/wait.ts";
import { startTestProxy } from "../_support/proxy.ts";
import { SseReader } from "../_support/sse.ts";

const BURST = 300_000;
const BUFFER = 10_000;
/** More than the client's transport may hold unread on its side (node:net: 16 chunks of 64 KB). */
const HELD_BY_TCP = 2 * 1024 * 1024;

function floodClient(
  port: number,
  transport: Transport,
  options: Partial<AmiClientOptions> = {},
): AmiClient {
  return opsClient(port, { actionTimeoutMs: 60_000, transport, ...options });
}

/** Reads `count` items, yielding to the event loop every 1,000 so that the socket is read meanwhile. */
async function readSlowly(events: EventSubscription, count: number): Promise<AmiMessage[]> {
  const items: AmiMessage[] = [];
  for await (const item of events) {
    items.push(item);
    if (items.length === count) break;
    if (items.length % 1_000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return items;
}

/** The `N` of every Tick in `items` is its position: nothing lost, nothing out of order. */
function assertComplete(items: AmiMessage[], count: number): void {
  assertEquals(items.length, count);
  const misplaced = items.findIndex((e, i) => isEventGap(e) || e.get("N") !== String(i));
  assertEquals(misplaced, -1, `item ${misplaced} is ${items[misplaced]?.name} ${misplaced}`);
}

for (const [name, inner] of [["Deno", denoTransport], ["node:net", nodeTransport]] as const) {
  Deno.test(`AmiClient backpressure over ${name} sockets stops reading while full and loses none of ${BURST} events`, async () => {
    await using server = startFloodServer(BURST);
    const transport = countingTransport(inner);
    const ami = floodClient(server.port, transport);
    const events = ami.events({ bufferSize: BUFFER, overflow: "backpressure" });
    try {
      await ami.connect();
      await waitFor(() => events.full, "the subscription to fill up");
      const readsWhenFull = transport.reads;
      // The server keeps writing until TCP's buffers are full: bytes it got rid of, unread.
      await waitFor(
        () => server.written - transport.bytes >= HELD_BY_TCP,
        "TCP to hold the server's writes back",
      );
      assertEquals(transport.reads, readsWhenFull, "no socket read while the subscription is full");
      assert(server.written < server.total, "the server is held back, not done");
      assert(events.pending < 2 * BUFFER, `bounded: ${events.pending} pending`);

      const items = await readSlowly(events, BURST);
      assertComplete(items, BURST);
      assertEquals(events.dropped, 0);
      assert(transport.reads > readsWhenFull, "reading resumed once drained");
      assertEquals(server.written, server.total);
    } finally {
      await ami.close();
    }
  });
}

Deno.test("AmiClient drop-oldest marks where a burst lost events, with their count", async () => {
  const burst = 50_000;
  await using server = startFloodServer(burst);
  const ami = floodClient(server.port, denoTransport);
  const events = ami.events({ bufferSize: BUFFER, filter: (e) => e.name === "Tick" });
  try {
    await ami.connect();
    await ami.send({ Action: "Ping" }); // answered after the whole burst: it has all arrived
    assertEquals([events.pending, events.dropped], [BUFFER, burst - BUFFER]);
    const items = events.takeBuffered();
    const gap = items[0];
    assert(isEventGap(gap), `a gap marker where the events were lost, got ${gap.name}`);
    assertEquals(gap.lost, burst - BUFFER);
    const kept = items.slice(1).map((e) => Number(e.get("N")));
    assertEquals(kept, Array.from({ length: BUFFER }, (_, i) => burst - BUFFER + i));
    assertEquals(items.filter(isEventGap).length, 1, "one gap, not one per event");
  } finally {
    await ami.close();
  }
});

Deno.test("AmiBackend reports where its event subscription dropped events, with their count", async () => {
  const burst = 2_000; // about 60 KB: in one or two socket reads, far more than a 10-event buffer
  await using server = startFloodServer(burst);
  const client = floodClient(server.port, denoTransport, { reconnect: { initialMs: 5 } });
  const stream: string[] = [];
  const backend = new AmiBackend({
    client,
    jobs: new JobStore(),
    eventBufferSize: 10,
    onEvent: (event) => event.name === "Tick" && stream.push(event.get("N")!),
    onEventsLost: (lost) => stream.push(`lost ${lost}`),
  });
  try {
    backend.start();
    await waitFor(() => client.state === "connected", "the backend to log in");
    await client.send({ Action: "Ping" });
    await waitFor(() => stream.at(-1) === String(burst - 1), "the last event to be pumped");
    const lost = stream.filter((item) => item.startsWith("lost "));
    assert(lost.length > 0, "the burst overflowed the buffer");
    const lostTotal = lost.reduce((sum, item) => sum + Number(item.slice(5)), 0);
    assertEquals(lostTotal + stream.length - lost.length, burst, "every event seen or counted");
    // Each gap sits where its events were: the numbers after it jump by exactly that many.
    let expected = 0;
    for (const item of stream) {
      if (item.startsWith("lost ")) expected += Number(item.slice(5));
      else assertEquals(item, String(expected++));
    }
  } finally {
    await backend.close();
  }
});

Deno.test("the proxy's lost events are a `gap` in every SSE stream, qa's own-jobs stream too, and counted in /metrics", async () => {
  await using px = await startTestProxy({ config: { amiEventBufferSize: 10, heartbeatMs: 0 } });
  const streams = await Promise.all(["qa", "admin"].map(async (role) => {
    const { response } = await px.open("GET", "/ami/events", { role: role as "qa" | "admin" });
    const reader = new SseReader(response);
    assertEquals((await reader.next())?.retry, "3000");
    return reader;
  }));
  try {
    // One synchronous burst reaches the proxy in a few socket reads: far more than 10 events.
    for (let n = 0; n < 3_000; n++) {
      px.mock.server.broadcast({ Event: "UserEvent", UserEvent: "Tick", N: String(n) });
    }
    for (const reader of streams) {
      const gap = await reader.until((frame) => frame.event === "gap");
      const data = JSON.parse(gap.data!);
      assertEquals(data.source, "ami");
      assert(data.lost > 0, `a count of lost events, got ${gap.data}`);
    }
    const metrics = await px.request("GET", "/metrics");
    const lost = Number(
      /^astrix_ami_events_lost_total\{pbx="default"\} (\d+)$/m.exec(metrics.body)?.[1],
    );
    assert(lost > 0, "astrix_ami_events_lost_total counts them");
  } finally {
    await Promise.all(streams.map((reader) => reader.cancel()));
  }
});
