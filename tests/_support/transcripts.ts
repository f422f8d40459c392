/**
 * Reads the captured AMI sessions in tests/fixtures/ami (Asterisk 22) and
 * tests/fixtures/ami-versions (11, 13, 16, 18), copied byte-exact from real
 * captures: the raw bytes, the timeline with real TCP read boundaries, and
 * the readable view, from which the expected messages are taken
 * independently of the parser under test.
 */

import type { AsteriskMajor } from "../../src/ami/versions.ts";

export const FIXTURES = new URL("../fixtures/ami/", import.meta.url);

/** The captures of one Asterisk release. */
export interface CaptureSet {
  asterisk: AsteriskMajor;
  release: string;
  root: URL;
}

/** Every captured release, 22 first. */
export const CAPTURE_SETS: readonly CaptureSet[] = [
  { asterisk: 22, release: "22.10.1", root: FIXTURES },
  ...([[11, "11.25.3"], [13, "13.38.3"], [16, "16.30.1"], [18, "18.26.4"]] as const).map((
    [asterisk, release],
  ) => ({
    asterisk,
    release,
    root: new URL(`../fixtures/ami-versions/${release}/`, import.meta.url),
  })),
];

/** One connection of one scenario. */
export interface Capture {
  /** The folder of the release's captures. */
  root: URL;
  scenario: string;
  /** Connection label ("main" when the scenario has one connection). */
  label: string;
  /** File prefix: "" or "<label>.". */
  prefix: string;
}

/** One entry of a `*.transcript.jsonl` timeline. */
export interface TimelineEntry {
  t: number;
  dir: "send" | "recv" | "eof" | "closed-by-client";
  data?: string;
}

/** Every connection of every scenario under `root`, found from the `*received.bin` files. */
export function listCaptures(root: URL = FIXTURES): Capture[] {
  const captures: Capture[] = [];
  for (
    const entry of [...Deno.readDirSync(root)].sort((a, b) => a.name.localeCompare(b.name))
  ) {
    if (!entry.isDirectory) continue;
    for (const file of Deno.readDirSync(new URL(`${entry.name}/`, root))) {
      const match = file.name.match(/^(?:(\w+)\.)?received\.bin$/);
      if (!match) continue;
      captures.push({
        root,
        scenario: entry.name,
        label: match[1] ?? "main",
        prefix: match[1] ? `${match[1]}.` : "",
      });
    }
  }
  return captures.sort((a, b) =>
    `${a.scenario}/${a.label}`.localeCompare(`${b.scenario}/${b.label}`)
  );
}

export function readBytes(capture: Capture, kind: "received" | "sent"): Uint8Array {
  return Deno.readFileSync(
    new URL(`${capture.scenario}/${capture.prefix}${kind}.bin`, capture.root),
  );
}

export function readTimeline(capture: Capture): TimelineEntry[] {
  const text = Deno.readTextFileSync(
    new URL(`${capture.scenario}/${capture.prefix}transcript.jsonl`, capture.root),
  );
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** The bytes of one direction as the readable view (transcript.txt) shows them. */
export function readableText(capture: Capture, dir: "recv" | "send"): string {
  const view = Deno.readTextFileSync(new URL(`${capture.scenario}/transcript.txt`, capture.root));
  const marker = dir === "recv" ? "<<< RECV" : ">>> SENT";
  let text = "";
  let inBlock = false;
  for (const line of view.split("\n")) {
    const header = line.match(/^(?:\[(\w+)\] )?(<<< RECV|>>> SENT|<<< EOF)/);
    if (header) {
      inBlock = header[2] === marker && (header[1] ?? "main") === capture.label;
      continue;
    }
    if (line === "" || line.startsWith("#")) {
      inBlock = false;
      continue;
    }
    if (inBlock) text += line.replaceAll("\\r", "\r").replaceAll("\\n", "\n");
  }
  return text;
}

/** What the readable view shows: the banner line and each message's headers. */
export interface ExpectedSession {
  banner: string;
  messages: [string, string][][];
}

/**
 * Splits the readable view's received text into the banner and messages by
 * its visible structure: one header per line, a blank line after each message;
 * the raw CLI lines of a `Response: Follows` (LF-ended, up to `--END COMMAND--`)
 * become `Output` headers, the shape newer versions send.
 */
export function expectedMessages(capture: Capture): ExpectedSession {
  const lines = readableText(capture, "recv").split("\r\n");
  const banner = lines.shift() ?? "";
  const messages: [string, string][][] = [];
  let current: [string, string][] = [];
  for (const line of lines) {
    const end = line.indexOf("--END COMMAND--");
    if (current[0]?.[1] === "Follows" && (line.includes("\n") || end >= 0)) {
      const body = end >= 0 ? line.slice(0, end) : line;
      for (const output of body.split("\n").slice(0, -1)) current.push(["Output", output]);
      continue;
    }
    if (line === "") {
      if (current.length > 0) messages.push(current);
      current = [];
      continue;
    }
    const colon = line.indexOf(":");
    current.push([line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+/, "")]);
  }
  return { banner, messages };
}
