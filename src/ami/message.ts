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

/** One header: key and value, in wire order. */
export type AmiHeader = readonly [key: string, value: string];

/** What a message can be built from: header pairs in order, or a plain record. */
export type AmiFieldsInit = Iterable<AmiHeader> | Record<string, string | number | boolean>;

/** What kind of message this is, from its first header (`Response:`, `Event:`, `Action:`). */
export type AmiMessageKind = "response" | "event" | "action" | "unknown";

/** An AMI message: headers in wire order, duplicates kept, keys case-insensitive. */
export class AmiMessage implements Iterable<AmiHeader> {
  /** Keys and values interleaved: `[k0, v0, k1, v1, ...]`. */
  #flat: string[];

  constructor(fields: AmiFieldsInit = []) {
    this.#flat = [];
    const pairs = Symbol.iterator in fields
      ? fields as Iterable<AmiHeader>
      : Object.entries(fields).map(([k, v]) => [k, String(v)] as const);
    for (const [key, value] of pairs) this.#flat.push(key, value);
  }

  /** Builds a message over an interleaved key/value array without copying it (for the parser). */
  static fromFlat(flat: string[]): AmiMessage {
    const message = new AmiMessage();
    message.#flat = flat;
    return message;
  }

  /** Number of headers. */
  get size(): number {
    return this.#flat.length >> 1;
  }

  /** Value of the first header named `key` (any case), or `undefined`. */
  get(key: string): string | undefined {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) {
      if (sameKey(flat[i], key)) return flat[i + 1];
    }
    return undefined;
  }

  /** Values of every header named `key` (any case), in order. */
  getAll(key: string): string[] {
    const flat = this.#flat;
    const values: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      if (sameKey(flat[i], key)) values.push(flat[i + 1]);
    }
    return values;
  }

  /** Whether a header named `key` (any case) is present. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** `response`, `event` or `action`, judged by the first header as Asterisk writes it. */
  get kind(): AmiMessageKind {
    const first = this.#flat[0];
    if (first === undefined) return "unknown";
    if (sameKey(first, "Event")) return "event";
    if (sameKey(first, "Response")) return "response";
    if (sameKey(first, "Action")) return "action";
    return "unknown";
  }

  /** The first `ActionID` header (Asterisk uses the first when a request repeats it). */
  get actionId(): string | undefined {
    return this.get("ActionID");
  }

  /** The value of the first header: the event name, response status or action name. */
  get name(): string {
    return this.#flat[1] ?? "";
  }

  /** Headers in wire order. */
  *[Symbol.iterator](): Iterator<AmiHeader> {
    const flat = this.#flat;
    for (let i = 0; i < flat.length; i += 2) yield [flat[i], flat[i + 1]];
  }

  /** A plain object for JSON: each key once, as first seen; repeated keys become arrays. */
  toObject(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const firstSpelling = new Map<string, string>();
    for (const [key, value] of this) {
      const lower = key.toLowerCase();
      const seen = firstSpelling.get(lower);
      if (seen === undefined) {
        firstSpelling.set(lower, key);
        out[key] = value;
      } else {
        const prev = out[seen];
        out[seen] = Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
    }
    return out;
  }
}

/** Case-insensitive key comparison, with a fast path for identical spelling. */
function sameKey(a: string, b: string): boolean {
  return a === b || (a.length === b.length && a.toLowerCase() === b.toLowerCase());
}

/** Keys are printable ASCII without spaces or colons: a colon would move the key/value split. */
const VALID_KEY = /^[\x21-\x39\x3b-\x7e]+$/;
/** CR, LF and NUL end or cut a header line on the wire. */
const FORBIDDEN_IN_VALUE = /[\r\n\0]/;

/** Throws {@linkcode AmiInjectionError} unless `key: value` is one safe header line. */
export function assertSafeHeader(key: string, value: string): void {
  if (!VALID_KEY.test(key)) {
    const reason = /[\r\n\0]/.test(key)
      ? "the key contains CR, LF or NUL"
      : "the key must be printable ASCII without spaces or colons";
    throw new AmiInjectionError(key, reason);
  }
  if (FORBIDDEN_IN_VALUE.test(value)) {
    throw new AmiInjectionError(key, "the value contains CR, LF or NUL");
  }
}

/**
 * Serializes headers to the wire form `Key: Value\r\n...\r\n`, checking every
 * key and value first: nothing is produced if any header is unsafe.
 */
export function serializeMessage(fields: AmiFieldsInit | AmiMessage): string {
  const message = fields instanceof AmiMessage ? fields : new AmiMessage(fields);
  let text = "";
  for (const [key, value] of message) {
    assertSafeHeader(key, value);
    text += `${key}: ${value}\r\n`;
  }
  return text + "\r\n";
}

const encoder = new TextEncoder();

/** {@linkcode serializeMessage}, UTF-8 encoded for the socket. */
export function encodeMessage(fields: AmiFieldsInit | AmiMessage): Uint8Array {
  return encoder.encode(serializeMessage(fields));
}
