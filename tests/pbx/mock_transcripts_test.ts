/**
 * mock-ami against every captured Asterisk session of every release (22 in
 * tests/fixtures/ami; 11, 13, 16, 18 in tests/fixtures/ami-versions), each
 * against `mock-ami --asterisk <major>`: the same actions, sent at
 * the captured moments (the PBX runs on a manual clock moved to each send's
 * time), must give answers of the same shape (tests/_support/mock_replay.ts).
 */

import { assertSameShapes, replayAgainstMock } from "../_support/mock_replay.ts";
import { CAPTURE_SETS, listCaptures } from "../_support/transcripts.ts";

/** Scenarios whose calls come from real SIP phones, not from the AMI session. */
const SIP_PHONES = new Set(["30-sip-call-chanspy"]);

/** Channels the capture's machine had up before the session began (set up by another connection). */
const SETUP: Record<string, string[][]> = {
  "11-coreshowchannels-active": [
    ["Channel: Local/202@calls", "Context: calls", "Exten: 203", "Priority: 1", "Async: true"],
    [
      "Channel: Local/300@playback",
      "Application: Wait",
      "Data: 600",
      "CallerID: Ops Test <5551234>",
      "Async: true",
    ],
  ],
  "18-command": [[
    "Channel: Local/202@calls",
    "Context: calls",
    "Exten: 203",
    "Priority: 1",
    "Async: true",
  ]],
};

for (const set of CAPTURE_SETS) {
  const scenarios = Map.groupBy(listCaptures(set.root), (c) => c.scenario);
  for (const [scenario, captures] of scenarios) {
    if (SIP_PHONES.has(scenario)) continue; // replayed with SIP phones in sip_call_test.ts
    Deno.test(`mock-ami --asterisk ${set.asterisk} answers ${scenario} in the shape Asterisk ${set.release} did`, async () => {
      const replayed = await replayAgainstMock(set.asterisk, captures, { setup: SETUP[scenario] });
      for (const r of replayed) assertSameShapes(r);
    });
  }
}
