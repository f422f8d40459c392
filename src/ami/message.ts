/**
 * AMI messages: ordered `Key: Value` headers in which keys may repeat
 * (`Variable:`, `Output:`) and are looked up case-insensitively, and the one
 * serializer that turns headers into bytes for the socket. The serializer
 * refuses CR, LF and NUL anywhere, so no caller can inject a header.
 *
 * @example
 * ```ts
 * import { AmiMessage, serializeMessage } from "./message.ts";
 *
 * const ping = new AmiMessage([["Action", "Ping"], ["ActionID", "p-1"]]);
 * ping.get("actionid"); // "p-1"
 * serializeMessage(ping); // "Action: Ping\r\nActionID: p-1\r\n\r\n"
 * ```
 *
 * @module
 */

import { AmiInjectionError } from "./errors.ts";
import { isKeyAt, sameKeyAt } from "./header_key.ts";

/** One header: key and value, in wire order. */
export type AmiHeader = readonly [key: string, value: string];

/** What a message can be built from: header pairs in order, or a plain record. */
export type AmiFieldsInit = Iterable<AmiHeader> | Record<string, string | number | boolean>;

/** What kind of message this is, from its first header (`Response:`, `Event:`, `Action:`). */
export type AmiMessageKind = "response" | "event" | "action" | "unknown";

/** Offsets of the lines being indexed, reused by every message (indexing is synchronous). */
const SCRATCH: number[] = [];

/** Shared by messages with no header indexed yet, so that a parsed message costs no array until read. */
const NOTHING_INDEXED: number[] = [];

/**
 * An AMI message: headers in wire order, duplicates kept, keys case-insensitive.
 *
 * A message is a view over one backing string. A parsed message's backing
 * string is the text it was read from, and its header lines are indexed on
 * demand, as far as a lookup needs: routing an event by its first header
 * costs one line, not all of them, and its `kind` and `actionId` are read in
 * place, indexing nothing, so that matching a response to its action costs
 * the lines up to its ActionID. Keys and values are sliced out when asked
 * for. A message built from headers is indexed at once.
 */
export class AmiMessage implements Iterable<AmiHeader> {
  #text = "";
  /** Per indexed header: key start, key end, value start, value end, in `#text`. */
  #offsets: number[] = NOTHING_INDEXED;
  /** Where the message's lines start in `#text` (parsed messages). */
  #start = 0;
  /** Where indexing resumes in `#text`; `#end` once every header is indexed. */
  #scan = 0;
  /** End of the message's header lines in `#text`. */
  #end = 0;
  /** The first header's value, once read. */
  #name: string | undefined;
  /** The kind, when the parser told it. */
  #kind: AmiMessageKind | undefined;

  constructor(fields?: AmiFieldsInit) {
    if (fields === undefined) return;
    let text = "";
    const offsets: number[] = [];
    forEachHeader(fields, (key, value) => {
      offsets.push(text.length, text.length + key.length);
      text += key;
      offsets.push(text.length, text.length + value.length);
      text += value;
    });
    this.#text = text;
    this.#offsets = offsets;
    if (offsets.length > 0) this.#name = text.slice(offsets[2], offsets[3]);
  }

  /**
   * A message over the header lines `text[start, end)` (each ended by LF or
   * CR LF), indexed lazily. For the parser, which may know its `kind`
   * already (it reads the first line of a response); the text is kept, not
   * copied.
   */
  static view(text: string, start: number, end: number, kind?: AmiMessageKind): AmiMessage {
    const message = new AmiMessage();
    message.#text = text;
    message.#start = start;
    message.#scan = start;
    message.#end = end;
    message.#kind = kind;
    return message;
  }

  /** Length of the longest line: as received (without its line end), or as it would be sent. */
  get longestLine(): number {
    let longest = 0;
    if (this.#end === 0) {
      for (const [key, value] of this) longest = Math.max(longest, key.length + 2 + value.length);
      return longest;
    }
    const text = this.#text;
    for (let pos = this.#start; pos < this.#end;) {
      const lf = text.indexOf("\n", pos);
      const end = lf > pos && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
      longest = Math.max(longest, end - pos);
      pos = lf + 1;
    }
    return longest;
  }

  /** Number of headers. */
  get size(): number {
    this.#has(1);
    return this.#offsets.length >> 2;
  }

  /** Key of header `index`, in wire order. */
  keyAt(index: number): string {
    if (!this.#has(index)) throw new RangeError(`No header at index ${index}`);
    return this.#text.slice(this.#offsets[index * 4], this.#offsets[index * 4 + 1]);
  }

  /** Value of header `index`, in wire order. */
  valueAt(index: number): string {
    if (!this.#has(index)) throw new RangeError(`No header at index ${index}`);
    return this.#text.slice(this.#offsets[index * 4 + 2], this.#offsets[index * 4 + 3]);
  }

  /** Value of the first header named `key` (any case), or `undefined`. */
  get(key: string): string | undefined {
    const index = this.#find(key, 0);
    return index < 0 ? undefined : this.valueAt(index);
  }

  /** Values of every header named `key` (any case), in order. */
  getAll(key: string): string[] {
    const values: string[] = [];
    for (let i = this.#find(key, 0); i >= 0; i = this.#find(key, i + 1)) {
      values.push(this.valueAt(i));
    }
    return values;
  }

  /** Whether a header named `key` (any case) is present. */
  has(key: string): boolean {
    return this.#find(key, 0) >= 0;
  }

  /** `response`, `event` or `action`, judged by the first header as Asterisk writes it. */
  get kind(): AmiMessageKind {
    if (this.#kind !== undefined) return this.#kind;
    if (this.#offsets.length === 0 && this.#scan < this.#end) {
      // A parsed message nearly always starts with its kind's key: read it in place, index nothing.
      const text = this.#text;
      const start = this.#start;
      if (isKeyAt(text, start, "Response")) return "response";
      if (isKeyAt(text, start, "Event")) return "event";
      if (isKeyAt(text, start, "Action")) return "action";
    }
    if (!this.#has(0)) return "unknown";
    if (this.#keyIs(0, "Event")) return "event";
    if (this.#keyIs(0, "Response")) return "response";
    if (this.#keyIs(0, "Action")) return "action";
    return "unknown";
  }

  /**
   * The first `ActionID` header (Asterisk uses the first when a request
   * repeats it). A parsed message not indexed yet is searched line by line
   * in place: matching a response to its action indexes nothing.
   */
  get actionId(): string | undefined {
    return this.#scan < this.#end ? this.#scanFor("ActionID") : this.get("ActionID");
  }

  /** The value of the first header: the event name, response status or action name. */
  get name(): string {
    if (this.#name === undefined && !this.#has(0)) return "";
    return this.#name!;
  }

  /** Headers in wire order. */
  *[Symbol.iterator](): Iterator<AmiHeader> {
    for (let i = 0; this.#has(i); i++) yield [this.keyAt(i), this.valueAt(i)];
  }

  /**
   * A plain object for JSON: each key once, as first seen; repeated keys
   * become arrays. Linear in the headers, however many repeat.
   */
  toObject(): Record<string, string | string[]> {
    const entries: [string, string | string[]][] = [];
    /** Where each key (lower case) is in `entries`. */
    const slots = new Map<string, number>();
    let lastKey: string | undefined;
    let lastSlot = 0;
    for (let i = 0; this.#has(i); i++) {
      const key = this.keyAt(i);
      const value = this.valueAt(i);
      // A key repeated as it was just spelt (Variable, Output) needs no lookup.
      const slot = key === lastKey ? lastSlot : slots.get(key.toLowerCase());
      lastKey = key;
      if (slot === undefined) {
        lastSlot = entries.length;
        slots.set(key.toLowerCase(), lastSlot);
        entries.push([key, value]);
        continue;
      }
      lastSlot = slot;
      const entry = entries[slot];
      const prev = entry[1];
      if (typeof prev === "string") entry[1] = [prev, value];
      else prev.push(value);
    }
    // Own properties even for a key such as `__proto__`, which an assignment would not create.
    return Object.fromEntries(entries);
  }

  /**
   * Whether header `index` exists, indexing lines if needed: the first line
   * alone for header 0 (enough to route a message by its name), otherwise all.
   */
  #has(index: number): boolean {
    if (this.#offsets.length > index * 4) return true;
    if (this.#scan >= this.#end) return false;
    this.#index(index === 0 ? 1 : Infinity);
    return this.#offsets.length > index * 4;
  }

  /**
   * Indexes up to `limit` more header lines: key up to the first colon, value
   * after its leading blanks (trailing ones kept); lines without a colon are
   * skipped, as Asterisk does.
   */
  #index(limit: number): void {
    const text = this.#text;
    const end = this.#end;
    const known = this.#offsets;
    const scratch = SCRATCH;
    let count = 0;
    let scan = this.#scan;
    /** The next colon at or after the last search (-1: none left), kept across lines without one. */
    let colon = -2;
    while (scan < end && count < limit * 4) {
      const pos = scan;
      const lf = text.indexOf("\n", pos);
      scan = lf + 1;
      const lineEnd = lf > pos && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
      if (colon !== -1 && colon < pos) colon = text.indexOf(":", pos);
      if (colon < 0 || colon >= lineEnd) continue;
      let from = colon + 1;
      while (from < lineEnd) {
        const c = text.charCodeAt(from);
        if (c !== 32 && c !== 9) break;
        from++;
      }
      scratch[count++] = pos;
      scratch[count++] = colon;
      scratch[count++] = from;
      scratch[count++] = lineEnd;
    }
    this.#scan = scan;
    if (count === 0) return;
    // One exact-size array per message: the scratch array is reused, never kept.
    if (known.length > 0) this.#offsets = joinOffsets(known, scratch, count);
    else if (count === 4) this.#offsets = [scratch[0], scratch[1], scratch[2], scratch[3]];
    else this.#offsets = scratch.slice(0, count);
    // The first header names the message; slice it now, while the text is hot.
    this.#name ??= text.slice(this.#offsets[2], this.#offsets[3]);
  }

  /**
   * The value of the first line whose key is `key` (no colon or line end in
   * it), read from the text without indexing: a line has that key when it
   * starts with it and a colon, as {@linkcode #index} splits it.
   */
  #scanFor(key: string): string | undefined {
    const text = this.#text;
    const end = this.#end;
    const colon = key.length;
    for (let pos = this.#start; pos < end;) {
      const lf = text.indexOf("\n", pos);
      if (pos + colon < lf && isKeyAt(text, pos, key)) {
        const lineEnd = text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf;
        let from = pos + colon + 1;
        while (from < lineEnd) {
          const c = text.charCodeAt(from);
          if (c !== 32 && c !== 9) break;
          from++;
        }
        return text.slice(from, lineEnd);
      }
      pos = lf + 1;
    }
    return undefined;
  }

  /** Index of the first header at or after `from` named `key` (any case), or -1. */
  #find(key: string, from: number): number {
    for (let i = from; this.#has(i); i++) if (this.#keyIs(i, key)) return i;
    return -1;
  }

  /** Compares key `index` (indexed) with `key`, ignoring ASCII case, without slicing it out. */
  #keyIs(index: number, key: string): boolean {
    const start = this.#offsets[index * 4];
    if (this.#offsets[index * 4 + 1] - start !== key.length) return false;
    return sameKeyAt(this.#text, start, key);
  }
}

/** Keys are printable ASCII without spaces or colons: a colon would move the key/value split. */
const VALID_KEY = /^[\x21-\x39\x3b-\x7e]+$/;
/** CR, LF and NUL end or cut a header line on the wire. */
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/** Keys already checked (keys repeat: Action, ActionID, Channel...), so each is tested once. */
const checkedKeys = new Set<string>();

/**
 * `known` followed by the first `count` of `more`, in one exact-size array:
 * `Array.prototype.concat` (with the `slice` it needs) cost a response's
 * lookup of its ActionID more than finding it.
 */
function joinOffsets(known: readonly number[], more: readonly number[], count: number): number[] {
  const joined = new Array<number>(known.length + count);
  for (let i = 0; i < known.length; i++) joined[i] = known[i];
  for (let i = 0; i < count; i++) joined[known.length + i] = more[i];
  return joined;
}

/** Throws {@linkcode AmiInjectionError} unless `key: value` is one safe header line. */
export function assertSafeHeader(key: string, value: string): void {
  if (!checkedKeys.has(key)) checkKey(key);
  if (FORBIDDEN_IN_VALUE.test(value)) {
    throw new AmiInjectionError(key, "the value contains CR, LF or NUL");
  }
}

function checkKey(key: string): void {
  if (!VALID_KEY.test(key)) {
    const reason = /[\r\n\0]/.test(key)
      ? "the key contains CR, LF or NUL"
      : "the key must be printable ASCII without spaces or colons";
    throw new AmiInjectionError(key, reason);
  }
  if (checkedKeys.size < 4096) checkedKeys.add(key);
}

/**
 * Calls `visit` with each header of `fields` in wire order, from any of the
 * forms a message can be given in, without building an array of them.
 */
export function forEachHeader(
  fields: AmiFieldsInit | AmiMessage,
  visit: (key: string, value: string) => void,
): void {
  if (Array.isArray(fields)) {
    for (let i = 0; i < fields.length; i++) {
      const header = fields[i] as AmiHeader;
      visit(header[0], header[1]);
    }
  } else if (fields instanceof AmiMessage || Symbol.iterator in fields) {
    for (const [key, value] of fields as Iterable<AmiHeader>) visit(key, value);
  } else {
    const record = fields as Record<string, string | number | boolean>;
    for (const key of Object.keys(record)) visit(key, String(record[key]));
  }
}

/**
 * Serializes headers to the wire form `Key: Value\r\n...\r\n`, checking every
 * key and value first: nothing is produced if any header is unsafe.
 */
export function serializeMessage(fields: AmiFieldsInit | AmiMessage): string {
  let text = "";
  forEachHeader(fields, (key, value) => {
    assertSafeHeader(key, value);
    text += key + ": " + value + "\r\n";
  });
  return text + "\r\n";
}

const encoder = new TextEncoder();

/** {@linkcode serializeMessage}, UTF-8 encoded for the socket. */
export function encodeMessage(fields: AmiFieldsInit | AmiMessage): Uint8Array {
  return encoder.encode(serializeMessage(fields));
}
