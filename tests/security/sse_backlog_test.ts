/**
 * Attack (issue 11, item 8): any stall ended every SSE subscriber. Overflow
 * fired when one flush batch was over 1 MiB, not when a subscriber was
 * behind: a 1.5 s SIGSTOP or a 4 s audit lock (events pile up, then flush at
 * once) ended all 20 healthy readers with `overflow` together. Now each
 * subscriber is judged by its own backlog: 20 real readers over real HTTP,
 * bursts over 1 MiB after a publisher stall, and only the one reader that
 * stopped reading is ended; the 19 others get every event.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { waitFor } from "../_support/wait.ts";
import { serveHttp } from "../../src/http/serve.ts";
import { EventHub } from "../../src/proxy/event_hub.ts";

/** What one reader saw: events in order, checked as they arrive (no copy of the stream kept). */
interface Seen {
  lastId: number;
  count: number;
  gaps: number;
  names: Set<string>;
}

/** Reads an SSE body to its end, frame by frame. */
async function readAll(body: ReadableStream<Uint8Array>, seen: Seen): Promise<void> {
  const decoder = new TextDecoder();
  let carry = "";
  for await (const chunk of body) {
    const blocks = (carry + decoder.decode(chunk, { stream: true })).split("\n\n");
    carry = blocks.pop()!;
    for (const block of blocks) {
      const name = block.match(/^event: (.*)$/m)?.[1];
      if (name) seen.names.add(name);
      const id = Number(block.match(/^id: (\d+)$/m)?.[1]);
      if (name !== "tick") continue;
      if (seen.lastId !== 0 && id !== seen.lastId + 1) seen.gaps++;
      seen.lastId = id;
      seen.count++;
    }
  }
}

const newSeen = (): Seen => ({ lastId: 0, count: 0, gaps: 0, names: new Set() });

Deno.test("SSE: after a publisher stall, bursts over 1 MiB reach 19 healthy readers whole and end only the one that stopped reading", async () => {
  let clock = 0;
  const hub = new EventHub({ heartbeatMs: 0, now: () => clock }); // 1 MiB queue, 5 s behind
  const server = await serveHttp(
    () =>
      new Response(hub.subscribe(), {
        headers: { "content-type": "text/event-stream" },
      }),
    { hostname: "127.0.0.1", port: 0 },
  );
  try {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${server.url}/events`)),
    );
    await waitFor(() => hub.subscriberCount === 20, "20 subscribers");
    const [paused, ...healthy] = responses;
    const seen = healthy.map(newSeen);
    const reading = healthy.map((response, i) => readAll(response.body!, seen[i]));
    const caughtUp = (what: string) =>
      waitFor(
        () => {
          if (hub.subscriberCount < 19) {
            throw new Error(`healthy readers were ended: ${hub.subscriberCount} subscribers left`);
          }
          return seen.every((s) => s.lastId === hub.lastId);
        },
        `the 19 healthy readers to receive ${what}`,
        30_000,
      );
    const padding = "x".repeat(1_000);
    const burst = () => {
      // Published in one tick: one flush of about 1.1 MiB, over the 1 MiB a subscriber may queue.
      for (let i = 0; i < 1_100; i++) hub.publish({ event: "tick", data: { padding } });
    };

    // The publisher stalls for 4 s (a stopped process, a held lock), then flushes at once.
    clock += 4_000;
    burst();
    await caughtUp("the burst after the stall");
    assertEquals(hub.subscriberCount, 20, "nobody ended by the size of a burst");

    // More bursts, until the paused reader's kernel buffers and queue are full.
    for (let round = 0; hub.behindCount === 0; round++) {
      assert(round < 20, "the paused reader never fell behind");
      burst();
      await caughtUp(`burst ${round + 1}`);
    }
    assertEquals(hub.subscriberCount, 20, "behind is not yet ended");
    // It stays behind while time passes and events keep coming: now it is ended, alone.
    for (let round = 0; hub.subscriberCount === 20; round++) {
      assert(round < 10, "the paused reader was never ended");
      clock += 1_000;
      hub.publish({ event: "tick", data: { round } });
      await caughtUp(`event ${hub.lastId}`);
    }
    assertEquals(hub.subscriberCount, 19);
    hub.publish({ event: "tick", data: { last: true } });
    await caughtUp("the last event");
    hub.close();
    await Promise.all(reading);

    for (const s of seen) {
      assertEquals({ count: s.count, gaps: s.gaps, lastId: s.lastId }, {
        count: hub.lastId,
        gaps: 0,
        lastId: hub.lastId,
      });
      assertEquals([...s.names].sort(), ["shutdown", "tick"]);
    }
    const stalled = newSeen();
    await readAll(paused.body!, stalled);
    assertEquals([...stalled.names].sort(), ["overflow", "tick"]);
    assertEquals(stalled.gaps, 0, "what it got has no hole: it can resume with Last-Event-ID");
    assert(stalled.lastId < hub.lastId);
  } finally {
    hub.close();
    await server.close();
  }
});
