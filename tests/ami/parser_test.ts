import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import {
  AmiMessageTooLargeError,
  AmiProtocolError,
  AmiTooManyHeadersError,
} from "../../src/ami/errors.ts";
import type { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser, type AmiParserOptions } from "../../src/ami/parser.ts";
import { randomSplits, seededRandom } from "../_support/random.ts";
import {
  type Capture,
  CAPTURE_SETS,
  expectedMessages,
  listCaptures,
  readBytes,
  readTimeline,
} from "../_support/transcripts.ts";

const encoder = new TextEncoder();

function parseChunks(
  chunks: Iterable<Uint8Array | string>,
  options: AmiParserOptions = { expectBanner: true },
) {
  const parser = new AmiParser(options);
  const messages: AmiMessage[] = [];
  for (const chunk of chunks) messages.push(...parser.push(chunk));
  return {
    banner: parser.banner,
    messages: messages.map((m) => [...m]),
    buffered: parser.buffered,
  };
}

function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

/**
 * Characters the parser may examine per input character, at any chunking: each
 * scan reads a character a bounded number of times (about 2 for whole chunks,
 * 6 one byte at a time), never again because a chunk ended.
 */
const EXAMINED_PER_CHAR = 8;

/** Feeds `chunks` and checks the parser's work stays linear; returns the messages. */
function parseLinearly(chunks: (Uint8Array | string)[], options: AmiParserOptions = {}) {
  const parser = new AmiParser(options);
  const messages: AmiMessage[] = [];
  let length = 0;
  for (const chunk of chunks) {
    length += chunk.length;
    messages.push(...parser.push(chunk));
  }
  assert(
    parser.examined <= EXAMINED_PER_CHAR * length,
    `examined ${parser.examined} characters for ${length}`,
  );
  return messages.map((m) => [...m]);
}

const captures = listCaptures();

Deno.test("listCaptures finds every captured connection", () => {
  assertEquals(captures.length, 27);
  const counts = CAPTURE_SETS.slice(1).map((set) => listCaptures(set.root).length);
  assertEquals(counts, [29, 27, 27, 28]); // 11 and 18 add 30-sip-call-chanspy, 11 91-...-probe
});

for (const set of CAPTURE_SETS) {
  for (const capture of listCaptures(set.root)) testCapture(set.release, capture);
}

function testCapture(release: string, capture: Capture): void {
  const name = `${release} ${capture.scenario}/${capture.label}`;
  const expected = expectedMessages(capture);

  Deno.test(`AmiParser yields the readable view's messages for ${name}`, () => {
    const got = parseChunks([readBytes(capture, "received")]);
    assertEquals(got.banner, expected.banner);
    assertEquals(got.messages, expected.messages);
    assertEquals(got.buffered, 0);
  });

  Deno.test(`AmiParser gives the same result at every chunking for ${name}`, () => {
    const bytes = readBytes(capture, "received");
    const whole = parseChunks([bytes]);
    assertEquals(parseChunks(oneByteAtATime(bytes)), whole, "one byte at a time");
    assertEquals(parseChunks(realReads(capture)), whole, "the real TCP reads");
    for (const seed of [1, 2, 3, 42, 1337]) {
      assertEquals(parseChunks(randomSplits(bytes, seed)), whole, `random splits, seed ${seed}`);
    }
  });
}

/** The chunks as Asterisk's TCP reads delivered them. */
function realReads(capture: Capture): Uint8Array[] {
  return readTimeline(capture)
    .filter((entry) => entry.dir === "recv")
    .map((entry) => Uint8Array.from(entry.data!, (c) => c.charCodeAt(0)));
}

Deno.test("AmiParser reads Asterisk 22 command output as Output headers", () => {
  const capture = captures.find((c) => c.scenario === "18-command")!;
  const { messages } = parseChunks([readBytes(capture, "received")]);
  const channels = messages.find((m) =>
    m.some(([k, v]) => k === "ActionID" && v === "cmd-channels")
  )!;
  const output = channels.filter(([k]) => k === "Output").map(([, v]) => v);
  assertEquals(output.length, 6);
  assert(output[1].startsWith("Local/202@calls-00000011;1 "));
  assert(output[0].endsWith("Application(Data)             "), "trailing blanks are kept");
});

// The command output of Asterisk before 14 (manager.c action_command): "Response: Follows",
// "Privilege: Command", the ActionID, the raw CLI text with LF line ends, then
// "--END COMMAND--" and a blank line. Built from that format, not captured.
const LEGACY = "Response: Follows\r\nPrivilege: Command\r\nActionID: cmd-1\r\n" +
  "Channel              Location             State   Application(Data)\n" +
  "SIP/202-0000000a     s@from-internal:1    Up      Dial(SIP/203)\n" +
  "\n" +
  "1 active channel\n" +
  "--END COMMAND--\r\n\r\n" +
  "Event: Newstate\r\nPrivilege: call,all\r\nChannel: SIP/202-0000000a\r\n\r\n";

Deno.test("AmiParser turns legacy 'Response: Follows' output into Output headers", () => {
  const { messages } = parseChunks([LEGACY], { expectBanner: false });
  assertEquals(messages, [
    [
      ["Response", "Follows"],
      ["Privilege", "Command"],
      ["ActionID", "cmd-1"],
      ["Output", "Channel              Location             State   Application(Data)"],
      ["Output", "SIP/202-0000000a     s@from-internal:1    Up      Dial(SIP/203)"],
      ["Output", ""],
      ["Output", "1 active channel"],
    ],
    [["Event", "Newstate"], ["Privilege", "call,all"], ["Channel", "SIP/202-0000000a"]],
  ]);
});

Deno.test("AmiParser reads legacy output at any chunking, with the marker glued to the last line", () => {
  const whole = parseChunks([LEGACY], { expectBanner: false });
  const bytes = encoder.encode(LEGACY);
  assertEquals(parseChunks(oneByteAtATime(bytes), { expectBanner: false }), whole);
  for (const seed of [7, 8, 9]) {
    assertEquals(parseChunks(randomSplits(bytes, seed, 16), { expectBanner: false }), whole);
  }
  const glued = "Response: Follows\r\nPrivilege: Command\r\nno newline--END COMMAND--\r\n\r\n";
  assertEquals(parseChunks([glued], { expectBanner: false }).messages, [
    [["Response", "Follows"], ["Privilege", "Command"], ["Output", "no newline"]],
  ]);
  const empty = "Response: Follows\r\nPrivilege: Command\r\n--END COMMAND--\r\n\r\n";
  assertEquals(parseChunks([empty], { expectBanner: false }).messages, [
    [["Response", "Follows"], ["Privilege", "Command"]],
  ]);
});

Deno.test("AmiParser accepts bare LF line ends and a CR LF split across chunks", () => {
  const lf = parseChunks(["Asterisk Call Manager/11.0.0\nEvent: A\nX: 1\n\nEvent: B\n\n"]);
  assertEquals(lf.banner, "Asterisk Call Manager/11.0.0");
  assertEquals(lf.messages, [[["Event", "A"], ["X", "1"]], [["Event", "B"]]]);
  const split = parseChunks(["Asterisk Call Manager/11.0.0\r", "\nEvent: A\r", "\n\r", "\n"]);
  assertEquals(split.messages, [[["Event", "A"]]]);
});

Deno.test("AmiParser follows Asterisk's header rules", () => {
  const { messages } = parseChunks(
    [
      "Action:Ping\r\n" + // no space after the colon
      "Key:    padded value   \r\n" + // leading blanks skipped, trailing kept
      "a line without a colon\r\n" + // ignored
      "Empty: \r\n" +
      "Variable: A=1\r\nvariable: B=2\r\n" +
      "Url: http://x:8080/y\r\n\r\n",
    ],
    { expectBanner: false },
  );
  assertEquals(messages, [[
    ["Action", "Ping"],
    ["Key", "padded value   "],
    ["Empty", ""],
    ["Variable", "A=1"],
    ["variable", "B=2"],
    ["Url", "http://x:8080/y"],
  ]]);
});

Deno.test("AmiParser skips blank lines between messages and decodes UTF-8 split across chunks", () => {
  const bytes = encoder.encode("\r\n\r\nEvent: Newchannel\r\nCallerIDName: علی رضایی\r\n\r\n");
  const { messages } = parseChunks(oneByteAtATime(bytes), { expectBanner: false });
  assertEquals(messages, [[["Event", "Newchannel"], ["CallerIDName", "علی رضایی"]]]);
});

Deno.test("AmiParser refuses a message over the size limit and stays failed", () => {
  const parser = new AmiParser({ maxMessageBytes: 1024 });
  parser.push("Event: Big\r\n");
  assertThrows(
    () => parser.push("Data: " + "x".repeat(2000)),
    AmiMessageTooLargeError,
    "1024-byte limit",
  );
  assertThrows(() => parser.push("Event: Next\r\n\r\n"), AmiProtocolError, "already failed");
});

Deno.test("AmiParser counts the limit per message, not per stream", () => {
  const parser = new AmiParser({ maxMessageBytes: 100 });
  let count = 0;
  for (let i = 0; i < 1000; i++) {
    count += parser.push(`Event: E${i}\r\nPad: ${"p".repeat(60)}\r\n\r\n`).length;
  }
  assertEquals(count, 1000);
});

Deno.test("AmiParser on garbage raises only typed errors and holds at most one message", () => {
  const random = seededRandom(2024);
  const limit = 4096;
  for (let round = 0; round < 200; round++) {
    const parser = new AmiParser({ maxMessageBytes: limit, expectBanner: round % 2 === 0 });
    try {
      for (let i = 0; i < 50; i++) {
        const chunk = new Uint8Array(1 + Math.floor(random() * 512));
        for (let j = 0; j < chunk.length; j++) {
          // Mostly printable bytes with frequent line ends, colons and high bytes.
          const r = random();
          chunk[j] = r < 0.1
            ? 10
            : r < 0.15
            ? 13
            : r < 0.2
            ? 58
            : r < 0.25
            ? 0xc3
            : 32 + (r * 1000) % 95;
        }
        for (const message of parser.push(chunk)) {
          for (const [key, value] of message) {
            assert(!key.includes("\n") && !value.includes("\n"), "no line end inside a header");
          }
        }
        assert(parser.buffered <= limit, "never buffers past the limit");
      }
    } catch (error) {
      assert(error instanceof AmiProtocolError, `unexpected ${error}`);
    }
  }
});

// The Command answers of Asterisk 11 and 13, captured from real builds (tests/fixtures/ami-versions).
const LEGACY_CAPTURES = ["11.25.3", "13.38.3"].map((version) => ({
  version,
  dir: new URL(`../fixtures/ami-versions/${version}/18-command/`, import.meta.url),
}));

for (const { version, dir } of LEGACY_CAPTURES) {
  Deno.test(`AmiParser reads the captured Response: Follows of Asterisk ${version} at every chunking`, () => {
    const bytes = Deno.readFileSync(new URL("received.bin", dir));
    const reads = Deno.readTextFileSync(new URL("transcript.jsonl", dir)).split("\n")
      .filter((line) => line.trim() !== "").map((line) => JSON.parse(line))
      .filter((entry) => entry.dir === "recv")
      .map((entry) => Uint8Array.from(entry.data as string, (c) => c.charCodeAt(0)));
    const whole = parseLinearly([bytes], { expectBanner: true });
    assertEquals(parseLinearly(oneByteAtATime(bytes), { expectBanner: true }), whole);
    assertEquals(parseLinearly(reads, { expectBanner: true }), whole, "the real TCP reads");
    for (const seed of [1, 2, 3]) {
      assertEquals(parseLinearly(randomSplits(bytes, seed, 8), { expectBanner: true }), whole);
    }
    // Expected independently of the parser: each Follows body's lines, as the bytes hold them.
    const text = new TextDecoder().decode(bytes);
    const bodies = [
      ...text.matchAll(
        /Response: Follows\r\nPrivilege: Command\r\n(?:ActionID: ([^\r]*)\r\n)?([^]*?)--END COMMAND--\r\n\r\n/g,
      ),
    ];
    const follows = whole.filter((m) => m[0][0] === "Response" && m[0][1] === "Follows");
    assertEquals(follows.length, bodies.length);
    assertEquals(bodies.length, 6);
    follows.forEach((message, i) => {
      const [, actionId, body] = bodies[i];
      const lines = body.split("\n").slice(0, -1);
      assertEquals(message.find(([k]) => k === "ActionID")?.[1], actionId);
      assertEquals(message.filter(([k]) => k === "Output").map(([, v]) => v), lines);
    });
  });
}

/** `Response: Follows` whose body is `x LF LF` sent `count` times, each its own chunk. */
function drippedFollows(count: number, end = true): string[] {
  const chunks = ["Response: Follows\r\nPrivilege: Command\r\nActionID: drip\r\n"];
  for (let i = 0; i < count; i++) chunks.push("x\n\n");
  if (end) chunks.push("--END COMMAND--\r\n\r\n");
  return chunks;
}

Deno.test("AmiParser keeps its place in a dripped Response: Follows: work stays linear", () => {
  const [message] = parseLinearly(drippedFollows(4_000));
  assertEquals(message.length, 3 + 8_000);
  assertEquals(message[3], ["Output", "x"]);
  assertEquals(message[4], ["Output", ""]);
  // The same body one byte at a time, and cut in odd places.
  const bytes = encoder.encode(drippedFollows(4_000).join(""));
  assertEquals(parseLinearly(oneByteAtATime(bytes)), [message]);
  assertEquals(parseLinearly(randomSplits(bytes, 5, 7)), [message]);
});

Deno.test("AmiParser reads long messages dripped one byte at a time in linear work", () => {
  const many = "Event: VarSet\r\n" + "Variable: A=1\r\n".repeat(5_000) + "\r\n";
  const lfOnly = "Event: A\nX: 1\n\n".repeat(2_000);
  const noColon = "no colon\n\n".repeat(2_000) + "Event: Last\r\n\r\n";
  for (const text of [many, lfOnly, noColon]) {
    const bytes = encoder.encode(text);
    const whole = parseLinearly([bytes]);
    assertEquals(parseLinearly(oneByteAtATime(bytes)), whole);
    assertEquals(parseLinearly(randomSplits(bytes, 11, 3)), whole);
  }
  assertEquals(parseLinearly([encoder.encode(noColon)]), [[["Event", "Last"]]]);
});

Deno.test("AmiParser refuses a message with more header lines than the limit and stays failed", () => {
  const event = "Event: VarSet\r\n" + "Variable: A=1\r\n".repeat(100) + "\r\n";
  const bytes = encoder.encode(event);
  for (const chunks of [[bytes], oneByteAtATime(bytes), randomSplits(bytes, 3, 50)]) {
    const parser = new AmiParser({ maxMessageHeaders: 100 });
    const error = assertThrows(
      () => chunks.forEach((chunk) => parser.push(chunk)),
      AmiTooManyHeadersError,
      "more than 100 header lines",
    );
    assertEquals(error.limit, 100);
    assert(error.message.includes("maxMessageHeaders"), "the message names the option to raise");
    assertThrows(() => parser.push("Event: Next\r\n\r\n"), AmiProtocolError, "already failed");
  }
});

Deno.test("AmiParser accepts a message at the header limit, and counts it per message", () => {
  const parser = new AmiParser({ maxMessageHeaders: 100 });
  const event = "Event: VarSet\r\n" + "Variable: A=1\r\n".repeat(99) + "\r\n";
  let count = 0;
  for (let i = 0; i < 50; i++) {
    for (const message of parser.push(event)) {
      assertEquals(message.size, 100);
      count++;
    }
  }
  assertEquals(count, 50);
});

Deno.test("AmiParser refuses legacy command output over the header limit before it ends", () => {
  const parser = new AmiParser({ maxMessageHeaders: 1_000 });
  let pushed = 0;
  assertThrows(
    () => {
      for (const chunk of drippedFollows(10_000, false)) {
        parser.push(chunk);
        pushed++;
      }
    },
    AmiTooManyHeadersError,
    "more than 1000 header lines",
  );
  // Response, Privilege, ActionID, then two Output lines per drip: the 499th drip brings line 1,001.
  assertEquals(pushed, 1 + 498);
});

Deno.test("AmiParser refuses a dripped Response: Follows over the size limit", () => {
  const parser = new AmiParser({ maxMessageBytes: 3_000 });
  assertThrows(
    () => drippedFollows(2_000, false).forEach((chunk) => parser.push(chunk)),
    AmiMessageTooLargeError,
    "3000-byte limit",
  );
});
