/**
 * Audit values as auditors see them in a terminal or a spreadsheet: every
 * character that would act rather than show, or show as nothing, written as
 * a visible escape, so that a user id or a target cannot move the cursor,
 * clear the screen, break a line, reorder text or pass for another value.
 * Backslashes are kept as they are (a `detail` cell is JSON text, whose
 * escapes must stay valid). JSON and NDJSON output do not use this: they
 * stay exact.
 *
 * @example
 * ```ts
 * import { visible } from "./visible.ts";
 *
 * visible("evil\x1b[2J\u2028next"); // "evil\\x1b[2J\\u2028next"
 * visible('{"a":"\x7f"}', "json"); // '{"a":"\\u007f"}', still JSON for the same value
 * ```
 *
 * @module
 */

/**
 * What is escaped: C0 controls, DEL and C1 controls (U+0085 too); the line
 * and paragraph separators U+2028, U+2029; the bidirectional embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069); invisible
 * characters that make two values look alike (U+200B, U+2060, U+FEFF); lone
 * surrogates.
 */
const ESCAPED =
  // deno-lint-ignore no-control-regex
  /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * `text` with every character of {@linkcode ESCAPED} written as `\t`, `\n`,
 * `\r`, `\xHH` or `\uHHHH`; with `"json"` (for JSON text), always in a
 * form JSON reads back as the same character (`\u001b`, not `\x1b`).
 */
export function visible(text: string, style: "text" | "json" = "text"): string {
  return text.replace(ESCAPED, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ??
      (code <= 0xff && style === "text"
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`);
  });
}
