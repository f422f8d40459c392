/**
 * mock-ami against `30-sip-call-chanspy`, the capture of a real chan_sip
 * call (SIPp phones on loopback, see tests/fixtures/ami-versions/README.md),
 * on 11.25.3 and 18.26.4: the phones are driven through the Pbx API
 * at the captured moments (202 registers, 203 calls 202, 202 answers) while
 * the AMI session is replayed; the answers must have the captured shapes
 * (tests/_support/mock_replay.ts).
 */

import { type Capture, CAPTURE_SETS, listCaptures, readTimeline } from "../_support/transcripts.ts";
import {
  assertSameShapes,
  DEFAULT_RULES,
  type PbxStep,
  replayAgainstMock,
  type ShapeRules,
} from "../_support/mock_replay.ts";
import { placeCall } from "../../src/pbx/calls.ts";
import { registerPhone } from "../../src/pbx/sip.ts";

const SCENARIO = "30-sip-call-chanspy";

/**
 * Left out of the comparison: RTCPSent, RTP's timing noise (sent every few
 * seconds while media flows; the mock carries no RTP).
 */
const IGNORED_EVENTS = new Set(["RTCPSent"]);

/**
 * Channel variables whose values are ids, times or counters: chan_sip's
 * dialog ids, Dial's durations, and the RTP statistics of a real call.
 */
const VARYING_VARIABLES = [
  "SIPCALLID",
  "BRIDGEPVTCALLID",
  "ANSWEREDTIME",
  "ANSWEREDTIME_MS",
  "DIALEDTIME",
  "DIALEDTIME_MS",
  "RINGTIME",
  "RINGTIME_MS",
  "RTPAUDIOQOS",
  "RTPAUDIOQOSJITTER",
  "RTPAUDIOQOSLOSS",
  "RTPAUDIOQOSRTT",
  "RTPAUDIOQOSMES",
];

const RULES: ShapeRules = {
  varyingVariables: new Set([...DEFAULT_RULES.varyingVariables, ...VARYING_VARIABLES]),
  ignoredEvents: IGNORED_EVENTS,
};

/** When the capture first received something matching `pattern`, in seconds. */
function firstSeen(capture: Capture, pattern: RegExp): number {
  const entry = readTimeline(capture).find((e) => e.dir === "recv" && pattern.test(e.data ?? ""));
  if (!entry) throw new Error(`${capture.scenario}: nothing matches ${pattern}`);
  return entry.t;
}

/** The phones' part of the capture: 202 registers, 203 calls 202, which answers. */
function phoneSteps(capture: Capture): PbxStep[] {
  const registered = firstSeen(capture, /PeerStatus: Registered/);
  const called = firstSeen(capture, /AccountID: sip:203@|Channel: SIP\/203-/);
  const answered = firstSeen(capture, /Channel: SIP\/202-\w+\r\nChannelState: 6/);
  return [
    { t: registered, act: (pbx) => registerPhone(pbx, { ext: "202", address: "127.0.0.1:5062" }) },
    {
      t: called,
      act: (pbx) =>
        placeCall(pbx, {
          from: "203",
          to: "202",
          callerName: "Caller 203",
          ringMs: Math.round((answered - called) * 1000),
        }),
    },
  ];
}

for (const set of CAPTURE_SETS) {
  const captures = listCaptures(set.root).filter((c) => c.scenario === SCENARIO);
  if (captures.length === 0) continue;
  Deno.test({
    name:
      `mock-ami --asterisk ${set.asterisk} answers a real SIP call (${SCENARIO}) in the shape Asterisk ${set.release} did`,
    fn: async () => {
      const replayed = await replayAgainstMock(set.asterisk, captures, {
        steps: phoneSteps(captures[0]),
      });
      for (const r of replayed) assertSameShapes(r, RULES);
    },
  });
}
