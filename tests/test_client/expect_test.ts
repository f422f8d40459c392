import { assertRejects } from "../_support/assert.ts";
import { EventSubscription } from "../../src/ami/event_stream.ts";
import { AmiMessage } from "../../src/ami/message.ts";
import { nextEvent, StepFailed } from "../../src/test_client/expect.ts";

Deno.test("nextEvent that times out says how many events were lost while it waited", async () => {
  const events = new EventSubscription(() => {}, { bufferSize: 2 });
  for (let n = 0; n < 5; n++) events.push(new AmiMessage({ Event: "Newstate", N: n }));
  await assertRejects(
    nextEvent(events, (e) => e.name === "Hangup", { timeoutMs: 10, what: "no Hangup" }),
    StepFailed,
    "no Hangup within 10 ms (3 events were lost meanwhile",
  );
});
