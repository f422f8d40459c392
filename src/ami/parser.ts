/**
 * Incremental AMI decoder: bytes in, messages out. It owns no socket, keeps
 * no more than one message in memory, and gives the same messages whatever
 * the chunk boundaries (a CR LF split across chunks included).
 *
 * It reads what real Asterisk versions send:
 * - the banner line (`Asterisk Call Manager/11.0.0`) when `expectBanner` is set;
 * - `Key: Value` lines ended by CR LF or a bare LF, a blank line ending each message;
 *   leading blanks of a value are skipped, trailing ones kept, lines without a
 *   colon ignored (as Asterisk's own parser does);
 * - the command output of Asterisk before 14: `Response: Follows`, then raw CLI
 *   lines, then `--END COMMAND--` and a blank line. Its lines are returned as
 *   `Output:` headers, the form newer versions send, so callers read one shape.
 *
 * @example
 * ```ts
 * import { AmiParser } from "./parser.ts";
 *
 * const parser = new AmiParser({ expectBanner: true });
 * const bytes = new TextEncoder().encode("Asterisk Call Manager/11.0.0\r\nResponse: Success\r\n\r\n");
 * const [message] = parser.push(bytes);
 * parser.banner; // "Asterisk Call Manager/11.0.0"
 * message.get("Response"); // "Success"
 * ```
 *
 * @module
 */

import { AmiMessageTooLargeError, AmiProtocolError } from "./errors.ts";
import { AmiMessage } from "./message.ts";

/** Default limit on one message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Options of {@linkcode AmiParser}. */
export interface AmiParserOptions {
  /** Largest message accepted, in bytes (decoded characters; the same for ASCII). Default 1 MiB. */
  maxMessageBytes?: number;
  /** Read one banner line before the first message (the client side). Default false. */
  expectBanner?: boolean;
}

enum State {
  Banner,
  Headers,
  /** After `Response: Follows`: `Privilege:`/`ActionID:` lines, then raw output. */
  LegacyHeaders,
  LegacyOutput,
  /** `--END COMMAND--` seen; the blank line ends the message. */
  LegacyEnd,
}

const END_COMMAND = "--END COMMAND--";
const CR = 13;
const SPACE = 32;
const TAB = 9;

/** Incremental decoder of an AMI byte stream; see the module doc. */
export class AmiParser {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #max: number;
  #state: State;
  #banner: string | undefined;
  /** Text of a line whose LF has not arrived yet. */
  #partial = "";
  /** Headers of the message being read, keys and values interleaved. */
  #fields: string[] = [];
  /** Characters of the message being read, line ends and the partial line included. */
  #size = 0;
  #failed = false;

  constructor(options: AmiParserOptions = {}) {
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#state = options.expectBanner ? State.Banner : State.Headers;
  }

  /** The banner line without its line end, once read. */
  get banner(): string | undefined {
    return this.#banner;
  }

  /** Characters held for a message that is not complete yet (0 between messages). */
  get buffered(): number {
    return this.#size;
  }

  /**
   * Feeds the next chunk and returns the messages it completed. Throws
   * {@linkcode AmiMessageTooLargeError} when a message passes the size limit;
   * the parser is then unusable and the connection must be closed.
   */
  push(chunk: Uint8Array | string): AmiMessage[] {
    if (this.#failed) {
      throw new AmiProtocolError("Cannot parse AMI stream: the parser already failed");
    }
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const out: AmiMessage[] = [];
    let pos = 0;
    if (this.#partial !== "") {
      const lf = text.indexOf("\n");
      if (lf < 0) {
        this.#partial += text;
        this.#grow(text.length);
        return out;
      }
      const line = this.#partial + text.slice(0, lf);
      this.#partial = "";
      this.#grow(lf + 1);
      this.#line(stripCr(line), out);
      pos = lf + 1;
    }
    const length = text.length;
    while (pos < length) {
      const lf = text.indexOf("\n", pos);
      if (lf < 0) {
        this.#partial = text.slice(pos);
        this.#grow(length - pos);
        break;
      }
      this.#grow(lf + 1 - pos);
      const end = lf > pos && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      if (this.#state === State.Headers && end > pos) {
        // The hot path, inlined: one header line of an ordinary message.
        const colon = text.indexOf(":", pos);
        if (colon >= 0 && colon < end) {
          this.#header(text.slice(pos, colon), text, colon + 1, end);
        }
      } else {
        this.#line(text.slice(pos, end), out);
      }
      pos = lf + 1;
    }
    return out;
  }

  #grow(chars: number): void {
    this.#size += chars;
    if (this.#size > this.#max) {
      this.#failed = true;
      this.#fields = [];
      this.#partial = "";
      throw new AmiMessageTooLargeError(this.#max);
    }
  }

  /** Adds one header whose value starts after leading blanks at `from` and ends at `end`. */
  #header(key: string, text: string, from: number, end: number): void {
    let start = from;
    while (start < end) {
      const c = text.charCodeAt(start);
      if (c !== SPACE && c !== TAB) break;
      start++;
    }
    const value = text.slice(start, end);
    const fields = this.#fields;
    if (fields.length === 0 && isFollows(key, value)) this.#state = State.LegacyHeaders;
    fields.push(key, value);
  }

  /** Handles one complete line (without its line end) in the current state. */
  #line(line: string, out: AmiMessage[]): void {
    switch (this.#state) {
      case State.Banner:
        this.#banner = line;
        this.#state = State.Headers;
        this.#size = 0;
        return;
      case State.Headers:
        if (line === "") {
          this.#finish(out);
        } else {
          const colon = line.indexOf(":");
          if (colon >= 0) this.#header(line.slice(0, colon), line, colon + 1, line.length);
        }
        return;
      case State.LegacyHeaders:
        if (/^(privilege|actionid):/i.test(line)) {
          const colon = line.indexOf(":");
          this.#header(line.slice(0, colon), line, colon + 1, line.length);
          return;
        }
        this.#state = State.LegacyOutput;
        return this.#line(line, out);
      case State.LegacyOutput:
        if (line.endsWith(END_COMMAND)) {
          // Output without a final newline glues the marker to its last line.
          const rest = line.slice(0, -END_COMMAND.length);
          if (rest !== "") this.#fields.push("Output", rest);
          this.#state = State.LegacyEnd;
        } else {
          this.#fields.push("Output", line);
        }
        return;
      case State.LegacyEnd:
        this.#finish(out);
        if (line !== "") this.#line(line, out);
        return;
    }
  }

  #finish(out: AmiMessage[]): void {
    if (this.#fields.length > 0) out.push(AmiMessage.fromFlat(this.#fields));
    this.#fields = [];
    this.#state = State.Headers;
    this.#size = 0;
  }
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
}

function isFollows(key: string, value: string): boolean {
  return key.length === 8 && key.toLowerCase() === "response" &&
    value.trimEnd().toLowerCase() === "follows";
}
