/**
 * The lookups a parsed message answers in place, without indexing its
 * lines (`kind`, `actionId`): the same answers as the indexed lookups and
 * as a message built from the same headers, and work that stops at the
 * line that answers.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { type AmiHeader, AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { seededRandom } from "../_support/random.ts";

/** The one message of `text` (which ends with its blank line), parsed afresh. */
function parse(text: string): AmiMessage {
  const messages = new AmiParser().push(text);
  assertEquals(messages.length, 1, `one message in ${JSON.stringify(text)}`);
  return messages[0];
}

/** Runs `body` while counting the characters `String.prototype.indexOf` scans. */
function indexOfWork(body: () => void): number {
  const { indexOf } = String.prototype;
  let work = 0;
  String.prototype.indexOf = function (this: string, needle: string, from = 0) {
    const found = indexOf.call(this, needle, from);
    work += (found < 0 ? this.length : found + needle.length) - Math.max(0, from);
    return found;
  };
  try {
    body();
  } finally {
    String.prototype.indexOf = indexOf;
  }
  return work;
}

const ACTION_IDS: [text: string, actionId: string | undefined][] = [
  ["Response: Success\r\nActionID: 1-abc\r\nPing: Pong\r\n\r\n", "1-abc"],
  ["Response: Success\r\nactionid: \t x \r\n\r\n", "x "],
  ["Event: E\r\nACTIONID: first\r\nActionID: second\r\n\r\n", "first"],
  ["ActionID: on the first line\r\nResponse: Success\r\n\r\n", "on the first line"],
  ["Response: Error\r\nActionIDs: no\r\nActionID : no\r\nX-ActionID: no\r\n\r\n", undefined],
  ["Response: Error\r\nActionIDx: no\r\nActionID: yes\r\n\r\n", "yes"],
  [
    "Response: Error\r\nActionID\r\nActionID: after a line without a colon\r\n\r\n",
    "after a line without a colon",
  ],
  ["Event: E\nActionID: bare LF\n\n", "bare LF"],
  ["Response: Success\r\nActionID:\r\n\r\n", ""],
  ["Response: Success\r\nActionID:   \r\n\r\n", ""],
  ["Response: Success\r\nActionID: a:b\r\n\r\n", "a:b"],
  ["Response: Success\r\nActionID: a\rb\r\n\r\n", "a\rb"],
  ["Response: Success\r\nAct\u0130onID: no\r\n\r\n", undefined],
  ["Response: Success\r\nMessage: no ActionID\r\n\r\n", undefined],
];

Deno.test("AmiMessage.actionId of a parsed message is its first ActionID header, as get() reads it", () => {
  for (const [text, expected] of ACTION_IDS) {
    assertEquals(parse(text).actionId, expected, JSON.stringify(text));
    assertEquals(parse(text).get("ActionID"), expected, JSON.stringify(text));
    // Whatever was indexed before: the first header only (its name), or every line.
    const named = parse(text);
    named.name;
    assertEquals(named.actionId, expected);
    const indexed = parse(text);
    indexed.size;
    assertEquals(indexed.actionId, expected);
  }
});

Deno.test("AmiMessage.actionId agrees with get() on random messages", () => {
  const random = seededRandom(11);
  const pieces = ["ActionID", "actionid", "Action", "ID", ":", " ", "\t", "x", "\r", "-1"];
  for (let round = 0; round < 2_000; round++) {
    let text = "Response: Success\r\n";
    for (let lines = Math.floor(random() * 5); lines > 0; lines--) {
      // Not a lone CR before a bare LF: that would be the blank line ending the message.
      let line = "";
      for (let n = 1 + Math.floor(random() * 5); n > 0; n--) {
        line += pieces[Math.floor(random() * pieces.length)];
      }
      text += line === "\r" ? "x" : line;
      text += random() < 0.8 ? "\r\n" : "\n";
    }
    text += "\r\n";
    const lookedUp = parse(text).actionId;
    assertEquals(lookedUp, parse(text).get("ActionID"), JSON.stringify(text));
    assertEquals(lookedUp, new AmiMessage([...parse(text)]).actionId, JSON.stringify(text));
  }
});

Deno.test("AmiMessage.kind of a parsed message is that of the same headers built", () => {
  const texts = [
    "Response: Success\r\n\r\n",
    "RESPONSE: Success\r\n\r\n",
    "event: Hangup\r\n\r\n",
    "Action: Ping\r\n\r\n",
    "Events: on\r\n\r\n",
    "Response : Success\r\n\r\n",
    "Foo: bar\r\nEvent: E\r\n\r\n",
    "no colon here\r\nEvent: E\r\n\r\n",
    "no colon here\r\nResponse: Success\r\n\r\n",
    "R\u00c9SPONSE: Success\r\n\r\n",
  ];
  const kinds = texts.map((text) => parse(text).kind);
  assertEquals(kinds, [
    "response",
    "response",
    "event",
    "action",
    "unknown",
    "unknown",
    "unknown",
    "event",
    "response",
    "unknown",
  ]);
  for (const text of texts) {
    const headers: AmiHeader[] = [...parse(text)];
    assertEquals(new AmiMessage(headers).kind, parse(text).kind, JSON.stringify(text));
  }
});

Deno.test("AmiMessage.kind and actionId of a response read only the lines up to its ActionID", () => {
  // A long response: finding what routes it must not depend on its length.
  const head = "Response: Success\r\nActionID: 42-q2Jx0bTz9Ka\r\n";
  const text = head + "Output: line\r\n".repeat(9_000) + "\r\n";
  const message = parse(text);
  let kind = "";
  let actionId: string | undefined;
  const work = indexOfWork(() => {
    kind = message.kind;
    actionId = message.actionId;
  });
  assertEquals([kind, actionId], ["response", "42-q2Jx0bTz9Ka"]);
  assert(work <= head.length, `${work} characters searched for ${head.length} of head`);
});

Deno.test("AmiMessage.actionId of a message without one, colonless lines and all, searches each line once", () => {
  const text = "Event: E\r\n" + "no colon here\r\n".repeat(9_000) + "Last: 1\r\n\r\n";
  const message = parse(text);
  let actionId: string | undefined = "";
  const work = indexOfWork(() => actionId = message.actionId);
  assertEquals(actionId, undefined);
  assert(work <= text.length, `${work} characters searched for ${text.length}`);
});
