/**
 * The simulated PBX's dialplan: contexts of extensions, each a list of
 * `Application(data)` steps, as in extensions.conf. Two are built in: the
 * call center's (`from-internal` dials the phones, `from-trunk` sends
 * outside calls to them) and the one of the machine the captures in
 * tests/fixtures/ami were taken on (`calls`, `spy`, `playback`, `cp`).
 *
 * @module
 */

/** One priority: an application and its argument string. */
export interface DialplanStep {
  app: string;
  data: string;
}

/** context → extension → steps (priority 1 is index 0). */
export type Dialplan = Map<string, Map<string, DialplanStep[]>>;

/** Parses `"Playback(ops/sample)"` or `"Answer()"` or `"Hangup"` into a step. */
export function parseStep(text: string): DialplanStep {
  const open = text.indexOf("(");
  if (open < 0) return { app: text.trim(), data: "" };
  if (!text.endsWith(")")) {
    throw new Error(`Cannot read dialplan step "${text}": it has no closing ")"`);
  }
  return { app: text.slice(0, open).trim(), data: text.slice(open + 1, -1) };
}

/** Builds a dialplan from `{context: {exten: ["App(data)", ...]}}`. */
export function buildDialplan(spec: Record<string, Record<string, string[]>>): Dialplan {
  const plan: Dialplan = new Map();
  for (const [context, extensions] of Object.entries(spec)) {
    const exts = new Map<string, DialplanStep[]>();
    for (const [exten, steps] of Object.entries(extensions)) exts.set(exten, steps.map(parseStep));
    plan.set(context, exts);
  }
  return plan;
}

/** Merges dialplans; later ones win per extension. */
export function mergeDialplans(...plans: Dialplan[]): Dialplan {
  const merged: Dialplan = new Map();
  for (const plan of plans) {
    for (const [context, exts] of plan) {
      const target = merged.get(context) ?? new Map();
      for (const [exten, steps] of exts) target.set(exten, steps);
      merged.set(context, target);
    }
  }
  return merged;
}

/** The steps of `exten@context`: an exact extension, else the first `_pattern` that matches. */
export function findExtension(
  plan: Dialplan,
  context: string,
  exten: string,
): DialplanStep[] | undefined {
  const extensions = plan.get(context);
  if (!extensions) return undefined;
  const exact = extensions.get(exten);
  if (exact) return exact;
  for (const [pattern, steps] of extensions) {
    if (pattern.startsWith("_") && patternToRegExp(pattern).test(exten)) return steps;
  }
  return undefined;
}

/** An Asterisk extension pattern (`_0X.`): X 0-9, Z 1-9, N 2-9, [..] a set, `.` one or more, `!` zero or more. */
function patternToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "[") {
      const end = pattern.indexOf("]", i);
      source += `[${pattern.slice(i + 1, end).replace(/[\\^]/g, "\\$&")}]`;
      i = end;
    } else {
      source += { X: "[0-9]", Z: "[1-9]", N: "[2-9]", ".": ".+", "!": ".*" }[c.toUpperCase()] ??
        c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * The call center: in `from-internal` every extension rings its phone for
 * 30 s and a number starting with 0 goes out through the trunk; a call from
 * the trunk (`from-trunk`) to an extension number rings that phone.
 */
export function callCenterDialplan(extensions: readonly string[], tech: string): Dialplan {
  const ring = (ext: string) => [`Dial(${tech}/${ext},30)`, "Hangup()"];
  const internal: Record<string, string[]> = { "_0X.": [`Dial(${tech}/trunk,60)`, "Hangup()"] };
  const fromTrunk: Record<string, string[]> = {};
  for (const ext of extensions) {
    internal[ext] = ring(ext);
    fromTrunk[ext] = ring(ext);
  }
  return buildDialplan({ "from-internal": internal, "from-trunk": fromTrunk });
}

/**
 * The dialplan of the Asterisk 22 machine the captures come from (see
 * tests/fixtures/ami/README.md), so that the same actions give the same
 * events here as there.
 */
export function captureDialplan(): Dialplan {
  return buildDialplan({
    calls: {
      "202": ["Answer()", "Playback(ops/long)", "Goto(2)"],
      "203": ["Answer()", "Wait(3600)"],
      "206": ["Answer()", "Dial(Local/203@calls/n)"],
    },
    spy: { "201": ["Answer()", "Wait(3600)"] },
    playback: {
      "300": ["Answer()", "Wait(120)"],
      "301": ["Answer()", "Playback(ops/sample)", "Hangup()"],
    },
    cp: {
      "400": [
        "Answer()",
        "ControlPlayback(ops/long,3000,#,*,0,5,1)",
        "UserEvent(CPDone,Status: ${CPLAYBACKSTATUS},Offset: ${CPLAYBACKOFFSET},StopKey: ${CPLAYBACKSTOPKEY})",
        "Wait(60)",
      ],
    },
  });
}

/** Durations of the sounds the mock knows, in ms (the captures' `ops/long` and `ops/sample`). */
export const KNOWN_SOUNDS: ReadonlyMap<string, number> = new Map([
  ["ops/long", 58_700],
  ["ops/sample", 5_200],
  ["beep", 500],
]);
