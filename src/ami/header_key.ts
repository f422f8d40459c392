/**
 * Comparing a header key in place: whether the text at a position spells a
 * key, in any ASCII case, without slicing it out. The message and the parser
 * use it to recognize `Response:`, `Event:` or `ActionID:` lines with no
 * string made per message.
 *
 * @example
 * ```ts
 * import { isKeyAt, sameKeyAt } from "./header_key.ts";
 *
 * const text = "Response: Success\r\nactionid: 7\r\n";
 * isKeyAt(text, 0, "Response"); // true: "Response" then a colon
 * isKeyAt(text, 19, "ActionID"); // true
 * sameKeyAt(text, 0, "RESP"); // true: the first four characters match
 * ```
 *
 * @module
 */

const COLON = 58;

/**
 * Whether `text` has the characters of `key` at `start`, ignoring the case of
 * ASCII letters only (as Asterisk does): `ä` and `Ä`, `[` and `{` differ.
 */
export function sameKeyAt(text: string, start: number, key: string): boolean {
  for (let j = 0; j < key.length; j++) {
    const a = text.charCodeAt(start + j);
    const b = key.charCodeAt(j);
    if (a !== b) {
      const lower = a | 0x20;
      if (lower !== (b | 0x20) || lower < 0x61 || lower > 0x7a) return false;
    }
  }
  return true;
}

/**
 * Whether the line starting at `start` has the key `key`: its characters,
 * in any ASCII case, then a colon. For a `key` without colons or line ends,
 * that colon is the line's first, so `key` is the whole key of that line.
 */
export function isKeyAt(text: string, start: number, key: string): boolean {
  return text.charCodeAt(start + key.length) === COLON && sameKeyAt(text, start, key);
}
