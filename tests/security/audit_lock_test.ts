/**
 * Issue 11, item 7: another process holding the audit's write lock must
 * delay only the requests that wait for an audit row. While a listen waits
 * for the lock (up to the busy timeout, made short here), `/healthz` keeps
 * answering and an SSE subscriber keeps receiving the PBX's events; the
 * listen then answers 503 with nothing sent to the PBX, and one asked while
 * the lock is released goes through (202). Before the fix the audit was
 * written on the event loop, which the busy wait blocked: nothing answered
 * until the listen's 503.
 */

import * as ev from "../../src/pbx/events.ts";
import { assert, assertEquals } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { holdAuditLock } from "../_support/audit_lock.ts";
import { type Answer, assertErrorAnswer, CALLERS, startTestProxy } from "../_support/proxy.ts";
import { SseReader } from "../_support/sse.ts";

/** How long the proxy's audit worker waits for the lock. */
const BUSY_TIMEOUT_MS = 3_000;
/** Far above a loaded machine's answer, far below the busy wait that used to block everything. */
const GENEROUS_MS = 1_000;

Deno.test("audit write lock held by another process: /healthz and SSE keep answering while a listen waits for it; the listen answers 503 with nothing sent, and 202 once the lock is released", async () => {
  await using px = await startTestProxy({ config: { auditBusyTimeoutMs: BUSY_TIMEOUT_MS } });
  const target = await px.liveChannel();
  // Subscribed (and audited) before the lock is taken.
  const { response } = await px.open("GET", "/ami/events?event=DeviceStateChange", {
    role: "admin",
  });
  const events = new SseReader(response);
  const lock = await holdAuditLock(px.auditDb);
  let released = false;
  try {
    const sentBefore = px.actions.length;
    let listen: Answer | undefined;
    const waiting = px.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: target },
    }).then((answer) => listen = answer);

    let health = 0;
    let received = 0;
    let slowest = 0;
    while (listen === undefined) {
      const started = performance.now();
      const answer = await contractFetch(`${px.url}/healthz`);
      assertEquals([answer.status, await answer.json()], [200, { status: "ok" }]);
      slowest = Math.max(slowest, performance.now() - started);
      health++;
      const device = `Custom:lock-test-${received}`;
      px.mock.pbx.emit(ev.deviceStateChange(device, "INUSE"));
      await events.until((frame) => frame.data?.includes(device) ?? false);
      received++;
    }
    await waiting;
    assert(health >= 10, `/healthz answered ${health} times while the listen waited`);
    assert(received >= 10, `the SSE subscriber received ${received} events meanwhile`);
    assert(slowest < GENEROUS_MS, `the slowest /healthz took ${Math.round(slowest)} ms`);

    assertErrorAnswer(listen, 503, "audit_unavailable");
    assertEquals(px.actionsSince(sentBefore), []);
    assertEquals(px.auditOf(listen.requestId), []);

    // A listen asked while the lock is released waits for it and goes through, audited.
    const second = px.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: target },
    });
    await lock.release();
    released = true;
    const answer = await second;
    assertEquals(answer.status, 202, JSON.stringify(answer.body));
    assertEquals(answer.sent, ["Status", "Originate"]);
    assertEquals(
      px.auditOf(answer.requestId).map((row) => [row.outcome, row.status, row.userId]),
      [["attempt", null, CALLERS.supervisor.sub], ["ok", 202, CALLERS.supervisor.sub]],
    );
  } finally {
    if (!released) await lock.release();
    await events.cancel();
  }
});
