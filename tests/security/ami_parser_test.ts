/**
 * Issue 11, items 5 and 6, in process: what a hostile AMI peer sends must
 * cost work linear in its size, and a message with too many headers is
 * refused. Work is counted, never timed: the parser's own count of the
 * characters it examined, and meters on the built-ins that do the work
 * (string searches and joins, array iteration), which count the same for
 * any implementation and stop a runaway one at its budget instead of
 * letting it run for minutes. The refusal is checked by its name on the
 * base class, so this file also runs against a parser without the limit.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { AmiProtocolError } from "../../src/ami/errors.ts";
import { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";

const encoder = new TextEncoder();

/** Thrown by a meter once the work it counts passes its budget. */
class OverBudget extends Error {
  override name = "OverBudget";
}

/**
 * Runs `body` while counting the characters that `String.prototype.indexOf`
 * scans and `Array.prototype.join` produces; throws {@linkcode OverBudget}
 * past `budget`. Returns the count.
 */
function meterStringWork(budget: number, body: () => void): number {
  const { indexOf } = String.prototype;
  const { join } = Array.prototype;
  let work = 0;
  const spend = (n: number) => {
    work += n;
    if (work > budget) throw new OverBudget(`over ${budget} characters of string work`);
  };
  String.prototype.indexOf = function (this: string, needle: string, from = 0) {
    const found = indexOf.call(this, needle, from);
    spend((found < 0 ? this.length : found + needle.length) - Math.max(0, from));
    return found;
  };
  Array.prototype.join = function (this: unknown[], separator?: string) {
    const joined = join.call(this, separator);
    spend(joined.length);
    return joined;
  };
  try {
    body();
  } finally {
    String.prototype.indexOf = indexOf;
    Array.prototype.join = join;
  }
  return work;
}

/** Runs `body` while counting array iteration steps (what a spread copies); throws past `budget`. */
function meterArrayCopies(budget: number, body: () => void): number {
  const iterator = Object.getPrototypeOf([][Symbol.iterator]());
  const { next } = iterator;
  let steps = 0;
  iterator.next = function (this: Iterator<unknown>) {
    if (++steps > budget) throw new OverBudget(`over ${budget} array elements copied`);
    return next.call(this);
  };
  try {
    body();
  } finally {
    iterator.next = next;
  }
  return steps;
}

/** The attack of item 5: one event with `count` empty Variable headers, LF line ends (10 bytes each). */
function manyVariables(count: number): string {
  return "Event: VarSet\n" + "Variable:\n".repeat(count) + "\n";
}

/** The attack of item 6: a legacy Response: Follows whose body comes `x LF LF` at a time. */
function drippedFollows(drips: number): string[] {
  return [
    "Response: Follows\r\nPrivilege: Command\r\nActionID: drip\r\n",
    ...Array.from({ length: drips }, () => "x\n\n"),
    "--END COMMAND--\r\n\r\n",
  ];
}

Deno.test("AmiMessage.toObject of 10,000 headers, all but one repeats, copies no array per repeat", () => {
  // The limit's worth of headers. The old toObject spread the values array at every repeat:
  // 50 million copies here.
  const text = manyVariables(9_999);
  const [message] = new AmiParser().push(text);
  let object: Record<string, string | string[]> = {};
  const copies = meterArrayCopies(4 * 10_000, () => object = message.toObject());
  assert(copies <= 4 * 10_000, `${copies} array elements copied`);
  assertEquals(object.Event, "VarSet");
  assertEquals((object.Variable as string[]).length, 9_999);
});

Deno.test("AmiMessage indexes lines without a colon in linear work", () => {
  // Each colonless line used to search on to the next colon, at the message's end.
  const text = "Event: E\r\n" + "no colon here\r\n".repeat(9_000) + "Last: 1\r\n\r\n";
  const [message] = new AmiParser().push(text);
  const budget = 4 * text.length;
  let size = 0;
  const work = meterStringWork(budget, () => size = message.size);
  assert(work <= budget, `${work} characters of string work for ${text.length}`);
  assertEquals(size, 2);
  assertEquals(message.get("Last"), "1");
});

Deno.test("AmiParser refuses an event with 100,000 Variable headers, before its end", () => {
  const text = manyVariables(100_000);
  assert(text.length < 1024 * 1024, "under the byte limit: only a header limit refuses it");
  const bytes = encoder.encode(text);
  // Whole, and in the segments a TCP read would bring.
  for (const size of [bytes.length, 1_460]) {
    const parser = new AmiParser();
    let pushed = 0;
    let refusal: unknown;
    try {
      for (let offset = 0; offset < bytes.length; offset += size) {
        parser.push(bytes.subarray(offset, offset + size));
        pushed += Math.min(size, bytes.length - offset);
      }
    } catch (error) {
      refusal = error;
    }
    assert(refusal instanceof AmiProtocolError, `refused with a protocol error, not ${refusal}`);
    assertEquals(refusal.name, "AmiTooManyHeadersError");
    assert(refusal.message.includes("more than 10000 header lines"), refusal.message);
    if (size < bytes.length) {
      assert(pushed < 110_000, `refused after ${pushed} bytes, not at the end`);
    }
  }
});

Deno.test("AmiParser reads a dripped Response: Follows in work linear in its size", () => {
  // 3,000 drips: the old parser joined and re-read the whole body at every drip (13 million
  // characters joined, more scanned); linear work is a few times the 9 KB received.
  const chunks = drippedFollows(3_000);
  const length = chunks.join("").length;
  const budget = 20 * length;
  const parser = new AmiParser();
  const messages: AmiMessage[] = [];
  const work = meterStringWork(budget, () => {
    for (const chunk of chunks) messages.push(...parser.push(encoder.encode(chunk)));
  });
  assert(work <= budget, `${work} characters of string work for ${length} received`);
  assert(parser.examined <= 8 * length, `the parser examined ${parser.examined} characters`);
  assertEquals(messages.length, 1);
  assertEquals(messages[0].getAll("Output").length, 6_000);
});

Deno.test("AmiParser reads a dripped Response: Follows byte by byte in linear work", () => {
  const bytes = encoder.encode(drippedFollows(1_000).join(""));
  const budget = 20 * bytes.length;
  const parser = new AmiParser();
  let messages = 0;
  const work = meterStringWork(budget, () => {
    for (let i = 0; i < bytes.length; i++) messages += parser.push(bytes.subarray(i, i + 1)).length;
  });
  assert(work <= budget, `${work} characters of string work for ${bytes.length} received`);
  assert(parser.examined <= 8 * bytes.length, `the parser examined ${parser.examined} characters`);
  assertEquals(messages, 1);
});
