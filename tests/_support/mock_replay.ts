/**
 * Replays captured AMI sessions against mock-ami and compares the answers'
 * shapes (see tests/pbx/mock_transcripts_test.ts): the same actions, sent at
 * the captured moments on a manual clock, and PBX steps (phones) at theirs.
 * Compared per message: the same Response and Message, the same keys in the
 * same order, the same values but for ids, times and counters. Responses in
 * the same order; events in the same order per channel (Asterisk's order
 * between channels varies between runs: tests/fixtures/ami/README.md, fact 21).
 */

import { assertEquals } from "./assert.ts";
import { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { type AmiConn, defaultTransport } from "../../src/ami/transport.ts";
import { ManualClock } from "../../src/pbx/clock.ts";
import { createMockAmi } from "../../src/pbx/mock_ami.ts";
import type { Pbx } from "../../src/pbx/pbx.ts";
import { LIMITED, OPS } from "./ami_server.ts";
import type { AsteriskMajor } from "../../src/ami/versions.ts";
import { type Capture, expectedMessages, readTimeline, type TimelineEntry } from "./transcripts.ts";

/** Values that are ids, times or counters. */
const VARYING =
  /^(.*Uniqueid\d?|.*Linkedid|Timestamp|EventTV|SessionTV|SessionID|LocalAddress|RemoteAddress|Uptime|LastReload|Core(Startup|Reload)(Date|Time)|CoreProcessedCalls|Duration|Seconds|Challenge|Offset|BridgeId|Output)$/i;

/** ListCommands lists the actions of a full Asterisk build; mock-ami lists its own. */
const KEYS_MAY_DIFFER = new Set(["listcommands"]);

/** What a comparison treats as noise, beyond the ids, times and counters of {@linkcode VARYING}. */
export interface ShapeRules {
  /** Channel variables whose values are ids, times or counters (VarSet's Value is not compared). */
  varyingVariables: ReadonlySet<string>;
  /** Events left out of the comparison altogether. */
  ignoredEvents: ReadonlySet<string>;
}

/** The rules every replay uses: a playback offset is a time. */
export const DEFAULT_RULES: ShapeRules = {
  varyingVariables: new Set(["CPLAYBACKOFFSET"]),
  ignoredEvents: new Set(),
};

interface Shape {
  head: string;
  keys: string[];
  values: string[];
}

function shape(message: AmiMessage, rules: ShapeRules, action?: string): Shape {
  const headers = [...message];
  const keys = headers.map(([k]) => k);
  const varyingVar = rules.varyingVariables.has(message.get("Variable") ?? "");
  const values = headers.map(([k, v]) =>
    VARYING.test(k) || (varyingVar && k === "Value") ? "*" : v.replace(/Offset: \d+/, "Offset: *") // a playback offset inside UserEvent data
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
function split(messages: AmiMessage[], actions: Map<string, string>, rules: ShapeRules) {
  const responses: Shape[] = [];
  const groups = new Map<string, Shape[]>();
  const originateResponses: Shape[] = [];
  for (const message of messages) {
    const action = actions.get(message.actionId ?? "");
    if (message.kind === "response") {
      responses.push(shape(message, rules, action));
    } else if (rules.ignoredEvents.has(message.name)) {
      continue;
    } else if (message.name === "OriginateResponse") {
      originateResponses.push(shape(message, rules));
    } else {
      const key = group(message);
      groups.set(key, [...(groups.get(key) ?? []), shape(message, rules)]);
    }
  }
  return { responses, groups: Object.fromEntries([...groups].sort()), originateResponses };
}

/** The lowest -xxxxxxxx channel number the capture used, so mock channels get the same names. */
export function firstSequence(capture: Capture): number {
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

/** One replayed connection: the capture's timeline, what the mock sent back. */
export interface Replayed {
  capture: Capture;
  timeline: TimelineEntry[];
  got: AmiMessage[];
  closed: boolean;
  conn?: AmiConn;
  reading?: Promise<void>;
}

/** Something the test does to the PBX at a captured moment (a phone registering, calling). */
export interface PbxStep {
  /** Seconds on the capture's timeline. */
  t: number;
  act: (pbx: Pbx) => void;
}

/** What a replay sets up besides the captured sends. */
export interface ReplayOptions {
  /** Originates sent (by another connection) before the session began, one header list each. */
  setup?: string[][];
  /** PBX steps, run in time order among the sends. */
  steps?: PbxStep[];
}

/**
 * Replays every connection of a scenario against one mock-ami, in the
 * captured order of their sends: before each send, the connection must have
 * had as many answers as the capture had then, and the clock moves to the
 * send's time; PBX steps run at their times.
 */
export async function replayAgainstMock(
  asterisk: AsteriskMajor,
  captures: Capture[],
  options: ReplayOptions = {},
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
    for (const setup of options.setup ?? []) {
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
    const sends: Step[] = replayed.flatMap((r) =>
      r.timeline.map((entry, index) => ({ r, entry, index })).filter(({ entry, index }) =>
        entry.dir === "send" || index === 0
      )
    );
    const pbxSteps: Step[] = (options.steps ?? []).map((step) => ({ entry: step, step }));
    const steps = [...sends, ...pbxSteps].sort((x, y) => x.entry.t - y.entry.t);
    let now = steps[0]?.entry.t ?? 0;
    for (const { r, entry, index, step } of steps) {
      if (step) {
        for (const r of replayed) {
          const by = answersBefore(r, entry.t);
          await until(() => responses(r.got) >= by || r.closed);
        }
        clock.advance(Math.max(0, (entry.t - now) * 1000));
        now = Math.max(now, entry.t);
        step.act(mock.pbx);
        continue;
      }
      if (!r || index === undefined) continue;
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
      const before = answersBefore(r, entry.t, index);
      await until(() => responses(r.got) >= before || r.closed);
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

/** A replay step: a connection's first entry or send, or a PBX step. */
interface Step {
  r?: Replayed;
  entry: { t: number; dir?: TimelineEntry["dir"]; data?: string };
  index?: number;
  step?: PbxStep;
}

function responses(list: AmiMessage[]): number {
  return list.filter((m) => m.kind === "response").length;
}

/** How many responses the capture had received before its entry `index` (default: by time `t`). */
function answersBefore(r: Replayed, t: number, index?: number): number {
  const entries = index === undefined
    ? r.timeline.filter((e) => e.t <= t)
    : r.timeline.slice(0, index);
  const recv = entries.filter((e) => e.dir === "recv").map((e) => e.data).join("");
  return responses(new AmiParser({ expectBanner: true }).push(recv));
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for mock-ami");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Asserts that the mock answered a replayed connection in the shape its capture shows. */
export function assertSameShapes(r: Replayed, rules: ShapeRules = DEFAULT_RULES): void {
  const actions = new Map<string, string>();
  for (const entry of r.timeline) {
    if (entry.dir !== "send") continue;
    for (const m of new AmiParser().push(entry.data!)) {
      if (m.actionId) actions.set(m.actionId, (m.get("Action") ?? "").toLowerCase());
    }
  }
  const expected = expectedMessages(r.capture).messages.map((m) => new AmiMessage(m));
  const mine = split(r.got, actions, rules);
  const theirs = split(expected, actions, rules);
  const label = r.capture.label;
  assertEquals(mine.responses, theirs.responses, `${label}: responses`);
  assertEquals(mine.groups, theirs.groups, `${label}: events per channel`);
  assertEquals(mine.originateResponses, theirs.originateResponses, `${label}: OriginateResponse`);
}
