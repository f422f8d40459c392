/**
 * AmiJobTracker on event sequences as Asterisk sends them: by Uniqueid on
 * 12+, by name only where an event has no Uniqueid (Asterisk 11's
 * ChanSpyStart) and only on the link that saw the call; a listen whose
 * ChanSpy found nothing fails as "target channel gone".
 */

import { assertEquals, assertMatch } from "../_support/assert.ts";
import { AmiMessage } from "../../src/ami/mod.ts";
import { AmiJobTracker } from "../../src/proxy/backends/ami_jobs.ts";
import { type Job, JobStore } from "../../src/proxy/jobs.ts";

const event = (fields: Record<string, string>) => new AmiMessage(fields);

function setup() {
  const jobs = new JobStore({ now: () => Date.UTC(2026, 0, 1) });
  const hungUp: Job[] = [];
  const tracker = new AmiJobTracker(jobs.forPbx("default"), {
    hangUp: (job) => hungUp.push(job),
  });
  const listen = jobs.create({
    kind: "listen",
    owner: "sup",
    ownerRole: "supervisor",
    extension: "201",
    target: "SIP/202-00000001",
    mode: "listen",
  });
  jobs.transition(listen, "dialing", "calling");
  tracker.originating("a1", listen, "1700000000.2");
  return { jobs, tracker, listen, hungUp };
}

/** A playback to `extension` whose Originate has been sent. */
function dialingPlayback(jobs: JobStore, extension: string): Job {
  const playback = jobs.create({
    kind: "playback",
    owner: "qa",
    ownerRole: "qa",
    extension,
    target: `rec-${extension}`,
  });
  jobs.transition(playback, "dialing", "calling");
  return playback;
}

const answered = (channel: string, uniqueId: string) =>
  event({
    Event: "OriginateResponse",
    ActionID: "a1",
    Response: "Success",
    Channel: channel,
    Reason: "4",
    Uniqueid: uniqueId,
  });

Deno.test("AmiJobTracker on Asterisk 11 (ChannelId ignored): the job's Uniqueid comes from OriginateResponse", () => {
  const { jobs, tracker, listen } = setup();
  // 11: ChanSpyStart first (no Spyer Uniqueid), then the OriginateResponse names the call.
  tracker.handle(event({
    Event: "ChanSpyStart",
    SpyerChannel: "SIP/201-00000007",
    SpyeeChannel: "SIP/202-00000001",
  }));
  tracker.handle(answered("SIP/201-00000007", "1700000000.9"));
  assertEquals([listen.status, listen.uniqueId], ["active", "1700000000.9"]);
  // A Hangup of another call that has the same name does not end it; its own Hangup does.
  tracker.handle(event({ Event: "Hangup", Channel: "SIP/201-00000007", Uniqueid: "x.1" }));
  assertEquals(listen.status, "active");
  tracker.handle(event({ Event: "Hangup", Channel: "SIP/201-00000007", Uniqueid: "1700000000.9" }));
  assertEquals(listen.status, "ended");
  assertEquals(jobs.live(), []);
});

Deno.test("AmiJobTracker matches an event without Uniqueid by name only on the link that saw the call", () => {
  const { tracker, listen } = setup();
  tracker.handle(answered("SIP/201-00000007", "1700000000.9"));
  tracker.linkLost();
  // After a link loss the name may be a stranger's: a ChanSpyStart by name is not this job's.
  tracker.handle(event({ Event: "ChanSpyStart", SpyerChannel: "SIP/201-00000007" }));
  assertEquals(listen.status, "dialing");
});

Deno.test("AmiJobTracker: a listen answered whose ChanSpy found nothing fails, target channel gone", () => {
  const { tracker, listen } = setup();
  tracker.handle(answered("SIP/201-00000007", listen.id));
  tracker.handle(event({
    Event: "Hangup",
    Channel: "SIP/201-00000007",
    Uniqueid: listen.id,
    "Cause-txt": "Normal Clearing",
  }));
  assertEquals(listen.status, "failed");
  assertMatch(
    listen.timeline.at(-1)!.note,
    /^target channel gone: SIP\/202-00000001 was not there/,
  );
});

Deno.test("AmiJobTracker: the target hangs up while the listener rings: failed, and the ringing call is hung up", () => {
  const { tracker, listen, hungUp } = setup();
  tracker.handle(event({ Event: "Newchannel", Channel: "SIP/201-00000007", Uniqueid: listen.id }));
  tracker.handle(event({ Event: "Hangup", Channel: "SIP/202-00000001", Uniqueid: "1700000000.2" }));
  assertEquals(listen.status, "failed");
  assertMatch(listen.timeline.at(-1)!.note, /^target channel gone: SIP\/202-00000001 hung up/);
  assertEquals(hungUp, [listen]);
  // Its own call's Hangup later changes nothing.
  tracker.handle(event({ Event: "Hangup", Channel: "SIP/201-00000007", Uniqueid: listen.id }));
  assertEquals(listen.status, "failed");
});

Deno.test("AmiJobTracker.linkLost: a job whose call was never seen becomes unknown, one with a call is marked", () => {
  const { jobs, tracker, listen } = setup();
  const playback = dialingPlayback(jobs, "206");
  tracker.handle(
    event({ Event: "Newchannel", Channel: "SIP/206-00000008", Uniqueid: playback.id }),
  );
  tracker.linkLost();
  assertEquals([listen.status, playback.status], ["unknown", "dialing"]);
  assertMatch(playback.timeline.at(-1)!.note, /^AMI connection lost/);
});

/** A link whose Status knows only the `live` calls (Uniqueid → state and application). */
function statusLink(live: Map<string, { state: string; application: string }>) {
  const asked: string[] = [];
  return {
    asked,
    collect(action: [string, string][]) {
      const uniqueId = action.find(([key]) => key === "Channel")![1];
      asked.push(uniqueId);
      const call = live.get(uniqueId);
      if (!call) {
        return Promise.resolve({
          response: event({ Response: "Error", Message: "No such channel" }),
          events: [],
        });
      }
      return Promise.resolve({
        response: event({ Response: "Success", EventList: "start" }),
        events: [event({
          Event: "Status",
          Uniqueid: uniqueId,
          ChannelStateDesc: call.state,
          Application: call.application,
        })],
      });
    },
    send: () => Promise.reject(new Error("not used")),
  };
}

Deno.test("AmiJobTracker.eventsLost: a job whose call is gone ends, one whose playback was answered is active, one ringing stays, one not yet seen waits", async () => {
  const { jobs, tracker, listen } = setup();
  tracker.handle(answered("SIP/201-00000007", "1700000000.9"));
  tracker.handle(event({
    Event: "ChanSpyStart",
    SpyerChannel: "SIP/201-00000007",
    SpyerUniqueid: "1700000000.9",
  }));
  assertEquals(listen.status, "active");
  const ringing = dialingPlayback(jobs, "206");
  tracker.handle(
    event({ Event: "Newchannel", Channel: "SIP/206-00000008", Uniqueid: ringing.id }),
  );
  const playing = dialingPlayback(jobs, "208");
  tracker.handle(
    event({ Event: "Newchannel", Channel: "SIP/208-00000009", Uniqueid: playing.id }),
  );
  const waiting = dialingPlayback(jobs, "207");

  // Lost: the listen's Hangup, and the answer of the playback to 208.
  const link = statusLink(
    new Map([
      [ringing.id, { state: "Ringing", application: "AppDial" }],
      [playing.id, { state: "Up", application: "ControlPlayback" }],
    ]),
  );
  // deno-lint-ignore no-explicit-any
  await tracker.eventsLost(link as any, 40);
  assertEquals(
    [listen.status, ringing.status, playing.status, waiting.status],
    ["ended", "dialing", "active", "dialing"],
  );
  assertMatch(listen.timeline.at(-1)!.note, /ended among 40 AMI events the proxy lost/);
  assertMatch(playing.timeline.at(-1)!.note, /found up \(ControlPlayback\)/);
  assertEquals(
    link.asked,
    ["1700000000.9", ringing.id, playing.id],
    "one Status per job with a known call",
  );
});

Deno.test("AmiJobTracker.eventsLost leaves alone a job its own events ended during the lookup", async () => {
  const { tracker, listen } = setup();
  tracker.handle(answered("SIP/201-00000007", "1700000000.9"));
  const link = statusLink(new Map());
  const collect = link.collect;
  link.collect = (action) => {
    // The Hangup arrives while the Status is on its way.
    tracker.handle(
      event({ Event: "Hangup", Channel: "SIP/201-00000007", Uniqueid: "1700000000.9" }),
    );
    return collect(action);
  };
  // deno-lint-ignore no-explicit-any
  await tracker.eventsLost(link as any, 3);
  assertEquals(listen.status, "failed", "as its Hangup said: the listener hung up before ChanSpy");
  assertEquals(listen.timeline.filter((t) => t.note.includes("events the proxy lost")), []);
});

Deno.test("AmiJobTracker of one PBX never moves another PBX's job, whatever the Uniqueids and names", () => {
  const jobs = new JobStore({ now: () => Date.UTC(2026, 0, 1) });
  const trackers = Object.fromEntries(["floor1", "floor2"].map((pbx) => [
    pbx,
    new AmiJobTracker(jobs.forPbx(pbx), { hangUp: () => {} }),
  ]));
  const listens = Object.fromEntries(["floor1", "floor2"].map((pbx) => {
    const job = jobs.create({
      kind: "listen",
      pbx,
      owner: "sup",
      ownerRole: "supervisor",
      extension: "201",
      target: "SIP/202-00000001",
      mode: "listen",
    });
    jobs.transition(job, "dialing", "calling");
    trackers[pbx].originating("a1", job);
    // Both PBXs number their calls alike: the same channel and Uniqueid on each.
    trackers[pbx].handle(answered("SIP/201-00000007", "1700000000.9"));
    return [pbx, job];
  }));
  assertEquals(listens.floor1.uniqueId, listens.floor2.uniqueId);
  // floor2's events: its own job goes on and ends; floor1's is untouched.
  trackers.floor2.handle(event({
    Event: "ChanSpyStart",
    SpyerChannel: "SIP/201-00000007",
    SpyerUniqueid: "1700000000.9",
    SpyeeChannel: "SIP/202-00000001",
  }));
  trackers.floor2.handle(
    event({ Event: "Hangup", Channel: "SIP/201-00000007", Uniqueid: "1700000000.9" }),
  );
  assertEquals([listens.floor1.status, listens.floor2.status], ["dialing", "ended"]);
  // A floor1 call not seen yet: a floor2 channel whose Uniqueid is that job's id is not it.
  const queued = jobs.create({
    kind: "playback",
    pbx: "floor1",
    owner: "qa",
    ownerRole: "qa",
    extension: "206",
    target: "rec-1",
  });
  trackers.floor2.handle(
    event({ Event: "Newchannel", Channel: "SIP/206-00000001", Uniqueid: queued.id }),
  );
  assertEquals(queued.channel, null);
  trackers.floor1.handle(
    event({ Event: "Newchannel", Channel: "SIP/206-00000001", Uniqueid: queued.id }),
  );
  assertEquals(queued.channel, "SIP/206-00000001");
  assertEquals(jobs.forPbx("floor1").live(), [listens.floor1, queued]);
  assertEquals(jobs.forPbx("floor2").byUniqueId("1700000000.9"), undefined);
});
