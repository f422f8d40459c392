import { assert, assertEquals, assertThrows } from "../_support/assert.ts";
import { AmiInjectionError } from "../../src/ami/errors.ts";
import {
  type AmiHeader,
  AmiMessage,
  encodeMessage,
  serializeMessage,
} from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { seededRandom } from "../_support/random.ts";

const EVENT: AmiHeader[] = [
  ["Event", "VarSet"],
  ["Privilege", "dialplan,all"],
  ["Channel", "SIP/202-0000000a"],
  ["Variable", "A=1"],
  ["Variable", "B=2"],
  ["Value", ""],
];

Deno.test("AmiMessage keeps header order and duplicate keys", () => {
  const message = new AmiMessage(EVENT);
  assertEquals([...message], EVENT);
  assertEquals(message.size, 6);
  assertEquals(message.getAll("Variable"), ["A=1", "B=2"]);
  assertEquals(message.get("Variable"), "A=1");
});

Deno.test("AmiMessage looks keys up case-insensitively", () => {
  const message = new AmiMessage([["actionid", "x-1"], ["ACTIONID", "x-2"], ["Event", "E"]]);
  assertEquals(message.get("ActionID"), "x-1");
  assertEquals(message.actionId, "x-1");
  assertEquals(message.getAll("actionId"), ["x-1", "x-2"]);
  assert(message.has("EVENT"));
  assert(!message.has("Channel"));
  assertEquals(message.get("Missing"), undefined);
});

Deno.test("AmiMessage tells responses, events and actions apart by the first header", () => {
  assertEquals(new AmiMessage({ Response: "Success" }).kind, "response");
  assertEquals(new AmiMessage({ event: "Hangup" }).kind, "event");
  assertEquals(new AmiMessage({ Action: "Ping" }).kind, "action");
  assertEquals(new AmiMessage({ Foo: "bar" }).kind, "unknown");
  assertEquals(new AmiMessage().kind, "unknown");
  assertEquals(new AmiMessage({ Event: "Hangup" }).name, "Hangup");
});

Deno.test("AmiMessage.toObject groups repeated keys into arrays under their first spelling", () => {
  const message = new AmiMessage([["Event", "E"], ["Variable", "A=1"], ["variable", "B=2"]]);
  assertEquals(message.toObject(), { Event: "E", Variable: ["A=1", "B=2"] });
});

Deno.test("AmiMessage.toObject keeps every repeat in order, in any case, parsed or built", () => {
  const headers: AmiHeader[] = [["Event", "VarSet"]];
  for (let i = 0; i < 5_000; i++) headers.push([i % 2 ? "variable" : "Variable", `V${i}`]);
  const values = headers.slice(1).map(([, value]) => value);
  const [parsed] = new AmiParser().push(serializeMessage(headers));
  for (const message of [new AmiMessage(headers), parsed]) {
    assertEquals(message.toObject(), { Event: "VarSet", Variable: values });
  }
});

Deno.test("AmiMessage.toObject makes every key an own property, __proto__ included", () => {
  const [message] = new AmiParser().push("Event: E\r\n__proto__: a\r\n__proto__: b\r\n\r\n");
  const object = message.toObject();
  assertEquals(Object.getPrototypeOf(object), Object.prototype);
  assertEquals(Object.keys(object), ["Event", "__proto__"]);
  assertEquals(JSON.parse(JSON.stringify(object)).__proto__, ["a", "b"]);
  // A line starting with its colon has an empty key, a key like any other.
  const [empty] = new AmiParser().push(": a\r\n: b\r\nEvent: E\r\n\r\n");
  assertEquals(empty.toObject(), { "": ["a", "b"], Event: "E" });
});

Deno.test("AmiMessage accepts a record with numbers and booleans", () => {
  assertEquals(
    serializeMessage({ Action: "Originate", Timeout: 30000, Async: true }),
    "Action: Originate\r\nTimeout: 30000\r\nAsync: true\r\n\r\n",
  );
});

Deno.test("serializeMessage writes Key: Value lines and a blank line", () => {
  assertEquals(
    serializeMessage([["Action", "Login"], ["Username", "ops"], ["Events", ""]]),
    "Action: Login\r\nUsername: ops\r\nEvents: \r\n\r\n",
  );
  assertEquals(new TextDecoder().decode(encodeMessage({ Action: "Ping" })), "Action: Ping\r\n\r\n");
});

Deno.test("serializeMessage round-trips through the parser", () => {
  const random = seededRandom(99);
  const alphabet = "abcXYZ019 :=/;@.-_()<>\"'\t,ü€";
  for (let round = 0; round < 300; round++) {
    const headers: AmiHeader[] = [["Event", `E${round}`]];
    const count = Math.floor(random() * 12);
    for (let i = 0; i < count; i++) {
      let value = "";
      for (let j = Math.floor(random() * 20); j > 0; j--) {
        value += alphabet[Math.floor(random() * alphabet.length)];
      }
      // The wire drops a value's leading blanks (Asterisk does too); start with a non-blank.
      headers.push([i % 3 === 0 ? "Variable" : `Key${i}`, value.replace(/^[ \t]+/, "")]);
    }
    const [parsed] = new AmiParser().push(encodeMessage(headers));
    assertEquals([...parsed], headers);
  }
});

const FORBIDDEN = ["\r", "\n", "\0", "\r\n"];

Deno.test("serializeMessage refuses CR, LF and NUL in every value position", () => {
  for (const bad of FORBIDDEN) {
    for (const value of [`${bad}x`, `x${bad}`, `x${bad}Action: Originate`, bad]) {
      for (const position of [0, 1, 2]) {
        const headers: AmiHeader[] = [["Action", "Ping"], ["ActionID", "p"], ["Channel", "SIP/1"]];
        const key = headers[position][0];
        headers[position] = [key, value];
        const error = assertThrows(() => serializeMessage(headers), AmiInjectionError, key);
        assertEquals(error.key, key);
      }
    }
  }
});

Deno.test("serializeMessage refuses CR, LF, NUL, colons and blanks in keys", () => {
  for (const bad of [...FORBIDDEN, ":", " ", "\t"]) {
    for (const key of [`${bad}X`, `X${bad}`, `X${bad}Y`]) {
      const error = assertThrows(
        () => serializeMessage([["Action", "Ping"], [key, "v"]]),
        AmiInjectionError,
      );
      assertEquals(error.key, key);
      assert(!error.message.includes("\n") && !error.message.includes("\r"), "one-line message");
    }
  }
  assertThrows(() => serializeMessage([["", "v"]]), AmiInjectionError);
});

Deno.test("encodeMessage produces nothing when any header is unsafe", () => {
  assertThrows(
    () =>
      encodeMessage([["Action", "Originate"], ["Channel", "SIP/1"], [
        "Data",
        "x\r\nAction: Hangup",
      ]]),
    AmiInjectionError,
    '"Data"',
  );
});
