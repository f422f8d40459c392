import { assertEquals, assertRejects } from "../_support/assert.ts";
import { AmiDisconnectedError, AmiTimeoutError } from "../../src/ami/errors.ts";
import { InFlight } from "../../src/ami/in_flight.ts";
import { AmiMessage } from "../../src/ami/message.ts";

const response = (id: string) => new AmiMessage({ Response: "Success", ActionID: id });

Deno.test("InFlight settles answers in any order and times out only what got none", async () => {
  const inFlight = new InFlight();
  const a = inFlight.wait("a", "Ping", { collect: false, timeoutMs: 40 });
  const b = inFlight.wait("b", "Ping", { collect: false, timeoutMs: 40 });
  const slow = inFlight.wait("c", "Originate", { collect: false, timeoutMs: 5_000 });
  inFlight.onResponse(response("b"));
  assertEquals(((await b) as AmiMessage).actionId, "b");
  const error = await assertRejects(a, AmiTimeoutError, '"Ping" timed out after 40 ms');
  assertEquals(error.timeoutMs, 40);
  inFlight.onResponse(response("c"));
  assertEquals(((await slow) as AmiMessage).actionId, "c");
  inFlight.onResponse(response("a")); // too late
  assertEquals(inFlight.unmatched, 1);
});

Deno.test("InFlight keeps thousands of answered actions from piling up and rejects the rest at once", async () => {
  const inFlight = new InFlight();
  const answered = Array.from(
    { length: 5_000 },
    (_, i) => inFlight.wait(`x${i}`, "Ping", { collect: false, timeoutMs: 60_000 }),
  );
  for (let i = 0; i < 5_000; i++) inFlight.onResponse(response(`x${i}`));
  assertEquals((await Promise.all(answered)).length, 5_000);
  const pending = inFlight.wait("last", "Ping", { collect: false, timeoutMs: 60_000 });
  inFlight.rejectAll(() => new AmiDisconnectedError("gone"));
  await assertRejects(pending, AmiDisconnectedError, "gone");
  assertEquals(inFlight.has("last"), false);
  // No timer is left behind: the test's op sanitizer would fail otherwise.
});

Deno.test("InFlight collects a list: items by ActionID, then the Complete event", async () => {
  const inFlight = new InFlight();
  const list = inFlight.wait("l", "CoreShowChannels", { collect: true, timeoutMs: 1_000 });
  const other = new AmiMessage({ Event: "Newstate", Channel: "SIP/1-0" });
  assertEquals(inFlight.onEvent(other), false, "ordinary events pass through");
  inFlight.onResponse(new AmiMessage({ Response: "Success", ActionID: "l", EventList: "start" }));
  assertEquals(
    inFlight.onEvent(new AmiMessage({ Event: "CoreShowChannel", ActionID: "l", Channel: "a" })),
    true,
  );
  assertEquals(
    inFlight.onEvent(
      new AmiMessage({ Event: "CoreShowChannelsComplete", ActionID: "l", EventList: "Complete" }),
    ),
    true,
  );
  const result = await list as { events: AmiMessage[]; complete?: AmiMessage };
  assertEquals(result.events.map((e) => e.get("Channel")), ["a"]);
  assertEquals(result.complete?.name, "CoreShowChannelsComplete");
});
