/**
 * Issue 11, item 9: a peer that ends every connection right after the login
 * (drops it, or sends a message the client must refuse) must not get a
 * login cycle every `initialMs`: the backoff only starts again from the
 * bottom after a connection that stayed healthy. Real TCP on loopback, time
 * on a manual clock: a minute of reconnects passes without waiting for it.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import type { AmiStateChange } from "../../src/ami/client.ts";
import { AmiMessageTooLargeError } from "../../src/ami/errors.ts";
import type { AmiServerSession } from "../../src/ami/server.ts";
import { ManualClock } from "../../src/pbx/clock.ts";
import { opsClient, startServer } from "../_support/ami_server.ts";
import { waitFor } from "../_support/wait.ts";

/** What a hostile server does to each session once the client has logged in. */
const ATTACKS: [string, (session: AmiServerSession) => void][] = [
  ["drops the connection", (session) => session.close()],
  [
    "sends an oversized message",
    (session) => session.send([["Event", "Flood"], ["Data", "x".repeat(8_192)]]),
  ],
];

/** Fake time the attack runs for: the issue saw 55 logins in 20 s of real time. */
const SPAN_MS = 60_000;
/** Logins a growing backoff allows in SPAN_MS (500, 1000, ... 30000 ms: 6); the bug makes 120. */
const MOST_LOGINS = 7;

for (const [attack, hurt] of ATTACKS) {
  Deno.test(`AmiClient backs off more and more from a server that ${attack} after every login`, async () => {
    const clock = new ManualClock();
    const test = await startServer();
    const ami = opsClient(test.port, {
      maxMessageBytes: 4_096,
      reconnect: { initialMs: 500, maxMs: 30_000, healthyMs: 30_000 },
      clock,
      random: () => 0.999999, // the top of each jitter range
    });
    const retries: AmiStateChange[] = [];
    let logins = 0;
    ami.onState((change) => {
      if (change.state === "reconnecting") retries.push(change);
      if (change.state !== "connected") return;
      logins++;
      for (const session of test.server.sessions) if (session.user) hurt(session);
    });
    try {
      await ami.connect();
      await waitFor(() => retries.length === 1, "the first reconnect to be scheduled");
      let elapsed = 0;
      // Stops early once past what a growing backoff allows: the bug would loop 120 times.
      while (logins <= MOST_LOGINS) {
        const delayMs = retries.at(-1)!.delayMs!;
        if (elapsed + delayMs > SPAN_MS) break;
        elapsed += delayMs;
        const scheduled = retries.length;
        clock.advance(delayMs); // the retry timer fires: a real TCP connect and login follow
        await waitFor(() => retries.length > scheduled, "the next reconnect to be scheduled");
      }
      assert(logins <= MOST_LOGINS, `${logins} logins in ${SPAN_MS / 1000} s of backoff`);
      const delays = retries.map((change) => change.delayMs);
      assertEquals(delays.slice(0, 7), [500, 1000, 2000, 4000, 8000, 16000, 30000]);
      assertEquals(retries.map((change) => change.attempt), delays.map((_, i) => i + 1));
      if (attack.includes("oversized")) {
        assert(retries.every((c) => c.error?.cause instanceof AmiMessageTooLargeError));
      }
    } finally {
      await ami.close();
      await test.close();
    }
    assertEquals(clock.pending, 0, "close() cancelled the retry timer");
  });
}
