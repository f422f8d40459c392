/**
 * The simulated PBX's lifetime: stop() leaves nothing scheduled, whatever was
 * running (a playback, ChanSpy, Wait(), ringing phones, churn), and nothing
 * can be scheduled after it. Time is a manual clock that counts its timers.
 */

import { assertEquals } from "../_support/assert.ts";
import { waitFor } from "../_support/wait.ts";
import { startTraffic } from "../../src/pbx/calls.ts";
import { ManualClock } from "../../src/pbx/clock.ts";
import { callCenterDialplan, captureDialplan, mergeDialplans } from "../../src/pbx/dialplan.ts";
import type { PbxEvent } from "../../src/pbx/events.ts";
import { originate, type OriginateRequest } from "../../src/pbx/originate.ts";
import { Pbx } from "../../src/pbx/pbx.ts";
import { eventLayoutOf } from "../../src/pbx/event_layouts.ts";
import { asteriskProfile } from "../../src/ami/profiles.ts";

const EXTENSIONS = ["201", "202", "203", "204", "205"];

function simulatedPbx(clock: ManualClock, events: PbxEvent[]): Pbx {
  const profile = asteriskProfile(22);
  return new Pbx({
    clock,
    profile,
    events: eventLayoutOf(profile),
    tech: "SIP",
    extensions: EXTENSIONS,
    dialplan: mergeDialplans(captureDialplan(), callCenterDialplan(EXTENSIONS, "SIP")),
    soundDuration: () => 60_000,
    emit: (event) => events.push(event),
  });
}

/** Rings `channel`, which runs `application(data)` once it answers. */
function originateApp(pbx: Pbx, channel: string, application: string, data: string) {
  const request: OriginateRequest = { channel, target: { application, data }, timeoutMs: 30_000 };
  return originate(pbx, request);
}

Deno.test("Pbx stop cancels the timers of a playback, ChanSpy, Wait, ringing phones and churn", async () => {
  const clock = new ManualClock();
  const events: PbxEvent[] = [];
  const pbx = simulatedPbx(clock, events);
  startTraffic(pbx, { calls: 2, churn: 2, seed: 5 });
  clock.advance(1_000); // churn has placed calls; their phones ring or talk
  const playing = originateApp(pbx, "SIP/201", "ControlPlayback", "recordings/call-1,3000");
  const waiting = originateApp(pbx, "SIP/202", "Wait", "3600");
  const looking = originateApp(pbx, "SIP/203", "ChanSpy", "SIP/209"); // no such phone: it retries
  clock.advance(300); // the phones answer
  const played = await playing;
  await Promise.all([waiting, looking]);
  if (!played.ok) throw new Error("the playback's Originate failed");
  const spying = originateApp(pbx, "SIP/204", "ChanSpy", `${played.channel.name},qESu`);
  clock.advance(300);
  await spying;
  await waitFor(
    () => pbx.playbacks.size === 1 && pbx.spies.size === 1,
    "the playback and the spy to run",
  );
  pbx.stop();
  assertEquals(clock.pending, 0, "nothing is left scheduled");
  const emitted = events.length;
  clock.advance(3_600_000);
  assertEquals(events.length, emitted, "an hour later nothing has happened");
  assertEquals(pbx.playbacks.size, 1, "the playback froze where it was");
});

Deno.test("Pbx stop refuses timers asked for afterwards: a late Originate rings forever", async () => {
  const clock = new ManualClock();
  const pbx = simulatedPbx(clock, []);
  pbx.stop();
  const late = originateApp(pbx, "SIP/201", "ControlPlayback", "recordings/call-1,3000");
  assertEquals(clock.pending, 0);
  clock.advance(60_000);
  const outcome = await Promise.race([late, Promise.resolve("still ringing")]);
  assertEquals(outcome, "still ringing");
});
