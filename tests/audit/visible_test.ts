import { assertEquals } from "../_support/assert.ts";
import { visible } from "../../src/audit/visible.ts";
import { csvCell } from "../../src/audit/format.ts";

Deno.test("visible escapes C0, DEL, C1, line separators, bidi controls and lone surrogates", () => {
  assertEquals(
    visible("a\x00b\x1b[2J\x0b\x0c\x7f\x85\x9f"),
    "a\\x00b\\x1b[2J\\x0b\\x0c\\x7f\\x85\\x9f",
  );
  assertEquals(visible("l\tt\nn\rr"), "l\\tt\\nn\\rr");
  assertEquals(
    visible("\u2028\u2029\u202a\u202e\u2066\u2069"),
    "\\u2028\\u2029\\u202a\\u202e\\u2066\\u2069",
  );
  assertEquals(visible("\u200bbob\ufeff\u2060"), "\\u200bbob\\ufeff\\u2060");
  assertEquals(visible("\ud800x\udc00"), "\\ud800x\\udc00");
});

Deno.test("visible leaves printable text alone: emoji, RTL text, backslashes", () => {
  for (
    const text of ["👩‍💻 🏳️‍🌈 😀", "سلام، دنیا", "C:\\path \\x1b", "é e\u0301 ñ", "SIP/202-0000000a"]
  ) {
    assertEquals(visible(text), text);
  }
});

Deno.test("visible in JSON style keeps JSON text reading back as the same value", () => {
  const value = { a: "\x7f\x85\u2028\u202e", b: "\x1b" };
  const json = visible(JSON.stringify(value), "json");
  assertEquals(json, '{"a":"\\u007f\\u0085\\u2028\\u202e","b":"\\u001b"}');
  assertEquals(JSON.parse(json), value);
});

Deno.test("csvCell escapes before neutralizing formulas and quoting", () => {
  assertEquals(csvCell("=1+1\x1b"), "'=1+1\\x1b");
  assertEquals(csvCell("a,b\nc"), '"a,b\\nc"');
  assertEquals(csvCell("\tx"), "\\tx");
});
