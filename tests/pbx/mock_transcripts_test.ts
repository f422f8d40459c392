/**
 * mock-ami against every captured Asterisk session of every release (22 in
 * tests/fixtures/ami; 11, 13, 16, 18 in tests/fixtures/ami-versions), each
 * against `mock-ami --asterisk <major>`: the same actions, sent at
 * the captured moments (the PBX runs on a manual clock moved to each send's
 * time), must give answers of the same shape. Compared per message: the same
 * Response and Message, the same keys in the same order, the same values but
 * for ids, times and counters. Responses must come in the same order; events
 * in the same order per channel (Asterisk's own order between channels, and
 * of OriginateResponse against a channel's events, varies between runs: see
 * tests/fixtures/ami/README.md, fact 21).
 */

import { assertEquals } from "../_support/assert.ts";
import { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { type AmiConn, defaultTransport } from "../../src/ami/transport.ts";
import { ManualClock } from "../../src/pbx/clock.ts";
import { createMockAmi } from "../../src/pbx/mock_ami.ts";
import { LIMITED, OPS } from "../_support/ami_server.ts";
import type { AsteriskMajor } from "../../src/ami/versions.ts";
import {
  type Capture,
  CAPTURE_SETS,
  expectedMessages,
  listCaptures,
  readTimeline,
  type TimelineEntry,
} from "../_support/transcripts.ts";

/** Values that are ids, times or counters. */
const VARYING =
  /^(.*Uniqueid\d?|.*Linkedid|Timestamp|EventTV|SessionTV|SessionID|LocalAddress|RemoteAddress|Uptime|LastReload|Core(Startup|Reload)(Date|Time)|CoreProcessedCalls|Duration|Seconds|Challenge|Offset|BridgeId|Output)$/i;

/** ListCommands lists the actions of a full Asterisk build; mock-ami lists its own. */
const KEYS_MAY_DIFFER = new Set(["listcommands"]);

interface Shape {
  head: string;
  keys: string[];
  values: string[];
}

function shape(message: AmiMessage, action?: string): Shape {
  const headers = [...message];
  const keys = headers.map(([k]) => k);
  const offsetVar = message.get("Variable") === "CPLAYBACKOFFSET";
  const values = headers.map(([k, v]) =>
    VARYING.test(k) || (offsetVar && k === "Value") ? "*" : v.replace(/Offset: \d+/, "Offset: *") // a playback offset inside UserEvent data
  );
  if (action && KEYS_MAY_DIFFER.has(action)) {
    return { head: `${message.name}`, keys: [], values: [] };
  }
  return { head: `${message.kind}:${message.name}`, keys, values };
}

/** Which per-channel sequence an event belongs to. */
function group(event: AmiMessage): string {
  for (const key of ["Channel", "DestChannel", "SpyerChannel", "LocalOneChannel"]) {
    const value = event.get(key);
    if (value !== undefined) return value;
  }
  const device = event.get("Device");
  return device !== undefined ? `device ${device}` : "session";
}

/** Splits a session's messages into responses (with the action they answer) and event groups. */
function split(messages: AmiMessage[], actions: Map<string, string>) {
  const responses: Shape[] = [];
  const groups = new Map<string, Shape[]>();
  const originateResponses: Shape[] = [];
  for (const message of messages) {
    const action = actions.get(message.actionId ?? "");
    if (message.kind === "response") {
      responses.push(shape(message, action));
    } else if (message.name === "OriginateResponse") {
      originateResponses.push(shape(message));
    } else {
      const key = group(message);
      groups.set(key, [...(groups.get(key) ?? []), shape(message)]);
    }
  }
  return { responses, groups: Object.fromEntries([...groups].sort()), originateResponses };
}

/** The lowest -xxxxxxxx channel number the capture used, so mock channels get the same names. */
function firstSequence(capture: Capture): number {
  // Channels the capture saw created (listed in any order); else names its actions used (Events off).
  const timeline = readTimeline(capture);
  for (const dir of ["recv", "send"]) {
    const text = timeline.filter((e) => e.dir === dir).map((e) => e.data ?? "").join("");
    const numbers = [...text.matchAll(/Local\/[^\r\n]*?-([0-9a-f]{8});/g)].map((m) =>
      Number.parseInt(m[1], 16)
    );
    if (numbers.length > 0) return Math.min(...numbers);
  }
  return 0;
}

function capturedChallenge(capture: Capture): string {
  const recv = readTimeline(capture).map((e) => e.dir === "recv" ? e.data : "").join("");
  return recv.match(/Challenge: (\d+)/)?.[1] ?? "0";
}

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

/** One replayed connection: the capture's timeline, what the mock sent back. */
interface Replayed {
  capture: Capture;
  timeline: TimelineEntry[];
  got: AmiMessage[];
  closed: boolean;
  conn?: AmiConn;
  reading?: Promise<void>;
}

/**
 * Replays every connection of a scenario against one mock-ami, in the
 * captured order of their sends: before each send, the connection must have
 * had as many answers as the capture had then, and the clock moves to the
 * send's time.
 */
async function replayAgainstMock(
  asterisk: AsteriskMajor,
  scenario: string,
  captures: Capture[],
): Promise<Replayed[]> {
  const clock = new ManualClock();
  const mock = createMockAmi({
    asterisk,
    users: [OPS, LIMITED],
    clock,
    firstSequence: Math.min(...captures.map(firstSequence)),
    // An MD5 login replays only against the challenge it was computed for.
    challenge: () => capturedChallenge(captures[0]),
    loginFailureDelayMs: 0,
    authTimeoutMs: 50,
  });
  const { port } = await mock.listen({ hostname: "127.0.0.1", port: 0 });
  const transport = defaultTransport();
  const replayed: Replayed[] = captures.map((capture) => ({
    capture,
    timeline: readTimeline(capture),
    got: [],
    closed: false,
  }));
  try {
    for (const setup of SETUP[scenario] ?? []) {
      const conn = await transport.connect({ hostname: "127.0.0.1", port });
      const wire = [
        "Action: Login",
        "Username: ops",
        "Secret: opspass",
        "",
        "Action: Originate",
        ...setup,
        "",
        "Action: Logoff",
        "",
        "",
      ];
      await conn.write(new TextEncoder().encode(wire.join("\r\n")));
      while (await conn.read() !== null) { /* until the Logoff closes it */ }
      conn.close();
    }
    clock.advance(1000);
    const steps = replayed.flatMap((r) =>
      r.timeline.map((entry, index) => ({ r, entry, index })).filter(({ entry, index }) =>
        entry.dir === "send" || index === 0
      )
    ).sort((x, y) => x.entry.t - y.entry.t);
    let now = steps[0]?.entry.t ?? 0;
    const responses = (list: AmiMessage[]) => list.filter((m) => m.kind === "response").length;
    for (const { r, entry, index } of steps) {
      if (!r.conn) {
        const conn = r.conn = await transport.connect({ hostname: "127.0.0.1", port });
        const parser = new AmiParser({ expectBanner: true });
        r.reading = (async () => {
          for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
            r.got.push(...parser.push(chunk));
          }
          r.closed = true;
        })();
      }
      if (entry.dir !== "send") continue;
      const before = new AmiParser({ expectBanner: true }).push(
        r.timeline.slice(0, index).filter((e) => e.dir === "recv").map((e) => e.data).join(""),
      );
      await until(() => responses(r.got) >= responses(before) || r.closed);
      clock.advance(Math.max(0, (entry.t - now) * 1000));
      now = Math.max(now, entry.t);
      await r.conn.write(Uint8Array.from(entry.data!, (c) => c.charCodeAt(0)));
    }
    const end = Math.max(...replayed.map((r) => r.timeline.at(-1)?.t ?? 0));
    clock.advance(Math.max(0, (end - now) * 1000) + 1);
    for (const r of replayed) {
      const expected = expectedMessages(r.capture).messages.length;
      await until(() => r.closed || r.got.length >= expected);
      r.conn?.close();
      await r.reading;
    }
    return replayed;
  } finally {
    await mock.close();
  }
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for mock-ami");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

for (const set of CAPTURE_SETS) {
  const scenarios = Map.groupBy(listCaptures(set.root), (c) => c.scenario);
  for (const [scenario, captures] of scenarios) {
    if (SIP_PHONES.has(scenario)) continue; // replayed with SIP phones in sip_call_test.ts
    Deno.test(`mock-ami --asterisk ${set.asterisk} answers ${scenario} in the shape Asterisk ${set.release} did`, async () => {
      for (const r of await replayAgainstMock(set.asterisk, scenario, captures)) {
        const actions = new Map<string, string>();
        for (const entry of r.timeline) {
          if (entry.dir !== "send") continue;
          for (const m of new AmiParser().push(entry.data!)) {
            if (m.actionId) actions.set(m.actionId, (m.get("Action") ?? "").toLowerCase());
          }
        }
        const expected = expectedMessages(r.capture).messages.map((m) => new AmiMessage(m));
        const mine = split(r.got, actions);
        const theirs = split(expected, actions);
        const label = r.capture.label;
        assertEquals(mine.responses, theirs.responses, `${label}: responses`);
        assertEquals(mine.groups, theirs.groups, `${label}: events per channel`);
        assertEquals(
          mine.originateResponses,
          theirs.originateResponses,
          `${label}: OriginateResponse`,
        );
      }
    });
  }
}
