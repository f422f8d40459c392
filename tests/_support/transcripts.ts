/**
 * Reads the captured AMI sessions in tests/fixtures/ami (copied byte-exact from
 * real Asterisk 22 captures): the raw bytes, the timeline with real TCP read
 * boundaries, and the readable view, from which the expected messages are
 * taken independently of the parser under test.
 */

export const FIXTURES = new URL("../fixtures/ami/", import.meta.url);

/** One connection of one scenario. */
export interface Capture {
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

/** Every connection of every scenario, found from the `*received.bin` files. */
export function listCaptures(): Capture[] {
  const captures: Capture[] = [];
  for (
    const entry of [...Deno.readDirSync(FIXTURES)].sort((a, b) => a.name.localeCompare(b.name))
  ) {
    if (!entry.isDirectory) continue;
    for (const file of Deno.readDirSync(new URL(`${entry.name}/`, FIXTURES))) {
      const match = file.name.match(/^(?:(\w+)\.)?received\.bin$/);
      if (!match) continue;
      captures.push({
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
  return Deno.readFileSync(new URL(`${capture.scenario}/${capture.prefix}${kind}.bin`, FIXTURES));
}

export function readTimeline(capture: Capture): TimelineEntry[] {
  const text = Deno.readTextFileSync(
    new URL(`${capture.scenario}/${capture.prefix}transcript.jsonl`, FIXTURES),
  );
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** The bytes of one direction as the readable view (transcript.txt) shows them. */
export function readableText(capture: Capture, dir: "recv" | "send"): string {
  const view = Deno.readTextFileSync(new URL(`${capture.scenario}/transcript.txt`, FIXTURES));
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
 * its visible structure: one header per line, a blank line after each message.
 */
export function expectedMessages(capture: Capture): ExpectedSession {
  const lines = readableText(capture, "recv").split("\r\n");
  const banner = lines.shift() ?? "";
  const messages: [string, string][][] = [];
  let current: [string, string][] = [];
  for (const line of lines) {
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
