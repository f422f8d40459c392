import { assertEquals, assertThrows } from "../_support/assert.ts";
import { serializeAction } from "../../src/ami/action_text.ts";
import { AmiInjectionError } from "../../src/ami/errors.ts";
import { type AmiFieldsInit, AmiMessage, serializeMessage } from "../../src/ami/message.ts";

const id = () => "a-1";

Deno.test("serializeAction inserts a new ActionID after the first header, in every input form", () => {
  const expected = "Action: Getvar\r\nActionID: a-1\r\nVariable: X\r\n\r\n";
  const forms = [
    { Action: "Getvar", Variable: "X" },
    [["Action", "Getvar"], ["Variable", "X"]] as const,
    new AmiMessage([["Action", "Getvar"], ["Variable", "X"]]),
    new Map([["Action", "Getvar"], ["Variable", "X"]]),
  ];
  for (const form of forms) {
    assertEquals(serializeAction(form, id), {
      text: expected,
      actionId: "a-1",
      name: "Getvar",
      inserted: true,
    });
  }
  assertEquals(
    serializeAction({ Action: "Ping" }, id).text,
    "Action: Ping\r\nActionID: a-1\r\n\r\n",
  );
  assertEquals(serializeAction([], id).text, "ActionID: a-1\r\n\r\n");
  assertEquals(
    serializeAction({ Action: "Setvar", Value: 3 }, id).text.includes("Value: 3\r\n"),
    true,
  );
});

Deno.test("serializeAction keeps the caller's first ActionID, any case, and writes what serializeMessage writes", () => {
  const headers = [["actionid", "mine"], ["ACTION", "Ping"], ["ActionID", "second"]] as const;
  let called = 0;
  const serialized = serializeAction(headers, () => `x${++called}`);
  assertEquals(called, 0, "no ActionID made");
  assertEquals(serialized.actionId, "mine");
  assertEquals(serialized.name, "Ping");
  assertEquals(serialized.inserted, false);
  assertEquals(serialized.text, serializeMessage(headers));
  assertEquals(serializeAction([["Action", ""], ["Action", "Status"]], id).name, "Status");
});

Deno.test("serializeAction refuses CR, LF and NUL in any header before making any text", () => {
  let called = 0;
  const newId = () => `x${++called}`;
  const unsafe: AmiFieldsInit[] = [
    { Action: "Ping", Data: "a\r\nAction: Originate" },
    [["Action", "Ping"], ["Bad\nKey", "v"]] as const,
    [["Action", "Ping"], ["Key: x", "v"]] as const,
    { Action: "Ping\0" },
    [["Action", "Ping"], ["ActionID", "a\rb"]] as const,
  ];
  for (const action of unsafe) {
    assertThrows(() => serializeAction(action, newId), AmiInjectionError);
  }
  assertEquals(called, 0);
  const error = assertThrows(
    () => serializeAction({ Action: "Ping" }, () => "id\r\nAction: Originate"),
    AmiInjectionError,
    "CR, LF or NUL",
  );
  assertEquals(error.key, "ActionID", "a generated ActionID is checked too");
});
