import { assert } from "../_support/assert.ts";
import { isKeyAt, sameKeyAt } from "../../src/ami/header_key.ts";

Deno.test("sameKeyAt ignores the case of ASCII letters only", () => {
  assert(sameKeyAt("xActionID", 1, "actionid"));
  assert(sameKeyAt("ACTIONID", 0, "ActionID"));
  assert(!sameKeyAt("ActionIE", 0, "ActionID"));
  // Pairs that differ by 0x20 but are not letters, or are letters outside ASCII.
  for (
    const [a, b] of [["[", "{"], ["@", "`"], ["^", "~"], ["\u00e4", "\u00c4"], ["1", "\u0011"]]
  ) {
    assert(!sameKeyAt(a, 0, b), `${a} is not ${b}`);
    assert(!sameKeyAt(b, 0, a), `${b} is not ${a}`);
  }
  // Past the end of the text nothing matches.
  assert(!sameKeyAt("Action", 0, "ActionID"));
});

Deno.test("isKeyAt wants the key then a colon", () => {
  const text = "Response: Success\r\nactionid:7\r\nActionIDs: no\r\nActionID : no\r\n";
  assert(isKeyAt(text, 0, "Response"));
  assert(isKeyAt(text, 0, "RESPONSE"));
  assert(!isKeyAt(text, 0, "Respons"));
  assert(isKeyAt(text, 19, "ActionID"));
  assert(!isKeyAt(text, 31, "ActionID"), "a longer key");
  assert(!isKeyAt(text, 46, "ActionID"), "a blank before the colon");
  assert(isKeyAt(": empty key", 0, ""));
});
