/**
 * Event ids in a fleet: each proxy run numbers its events from its own
 * block, handed out by the database, so a stream resumed on another proxy
 * with the first one's Last-Event-ID is told to reset (and reload), never
 * replayed from an id that means another event there; on the proxy that
 * issued it, the same id resumes.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { type FleetProxy, startFleet } from "../_support/fleet.ts";
import { SseReader } from "../_support/sse.ts";

async function stream(proxy: FleetProxy, token: string, lastEventId?: string) {
  const response = await fetch(`${proxy.url}/ami/events`, {
    headers: {
      authorization: `Bearer ${token}`,
      ...(lastEventId === undefined ? {} : { "last-event-id": lastEventId }),
    },
  });
  assertEquals(response.status, 200);
  return new SseReader(response);
}

Deno.test("a Last-Event-ID from one proxy resets a stream on another, and resumes on its own", async () => {
  await using fleet = await startFleet(2);
  const [a, b] = fleet.proxies;
  const token = await fleet.token("supervisor", "sup-201", "201");
  const onA = await stream(a, token);
  const onBLive = await stream(b, token);
  const channels = await (await fetch(`${a.url}/ami/channels`, {
    headers: { authorization: `Bearer ${token}` },
  })).json();
  const target = channels.channels.find((c: { state: string; channel: string }) =>
    c.state === "Up" && !c.channel.startsWith("SIP/201-")
  );
  const started = await fetch(`${a.url}/ami/originate/listen`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ targetChannel: target.channel }),
  });
  assertEquals(started.status, 202);
  const { jobId } = await started.json();
  const seen = await onA.until((f) => f.event === "job" && JSON.parse(f.data!).id === jobId);
  await onA.cancel();
  assert(seen.id, "events are numbered");
  const seenOnB = await onBLive.until((f) => f.event === "job" && JSON.parse(f.data!).id === jobId);
  await onBLive.cancel();
  // Each run's ids come from its own block of 10^10, handed out by the database.
  const block = (id: string) => Math.floor(Number(id) / 10_000_000_000);
  assert(block(seen.id) !== block(seenOnB.id!), `${seen.id} and ${seenOnB.id} share a block`);

  const onB = await stream(b, token, seen.id);
  const first = await onB.until((f) => f.event !== undefined);
  await onB.cancel();
  assertEquals(first.event, "reset", "B does not replay from A's numbering");
  assertMatch(JSON.parse(first.data!).reason, /Last-Event-ID is (older|newer)/);

  const again = await stream(a, token, String(Number(seen.id) - 1));
  const replayed = await again.until((f) => f.event !== undefined);
  await again.cancel();
  assertEquals([replayed.event, replayed.id], ["job", seen.id], "A resumes from its own id");
});
