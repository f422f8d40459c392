import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import { AmiMessageTooLargeError, AmiProtocolError } from "../../src/ami/errors.ts";
import type { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { randomSplits, seededRandom } from "../_support/random.ts";
import {
  type Capture,
  expectedMessages,
  listCaptures,
  readBytes,
  readTimeline,
} from "../_support/transcripts.ts";

const encoder = new TextEncoder();

function parseChunks(chunks: Iterable<Uint8Array | string>, options = { expectBanner: true }) {
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

const captures = listCaptures();

Deno.test("listCaptures finds every captured connection", () => {
  assertEquals(captures.length, 27);
});

for (const capture of captures) {
  const name = `${capture.scenario}/${capture.label}`;
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
