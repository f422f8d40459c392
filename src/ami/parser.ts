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
 * Work is linear in the input whatever the chunking: the parse state is kept
 * between chunks, so no character is read again because a chunk ended (a
 * `Response: Follows` body dripped one line at a time included), and
 * {@linkcode AmiParser.examined} counts what was read, for tests to check it.
 * A message is refused past `maxMessageBytes` or `maxMessageHeaders`.
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

import { AmiMessageTooLargeError, AmiProtocolError, AmiTooManyHeadersError } from "./errors.ts";
import { isKeyAt } from "./header_key.ts";
import { AmiMessage } from "./message.ts";

/** Default limit on one message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Default limit on the header lines of one message: far above the few hundred Asterisk sends. */
export const DEFAULT_MAX_MESSAGE_HEADERS = 10_000;

/** Options of {@linkcode AmiParser}. */
export interface AmiParserOptions {
  /** Largest message accepted, in bytes (decoded characters; the same for ASCII). Default 1 MiB. */
  maxMessageBytes?: number;
  /**
   * Most header lines accepted in one message (lines of command output and
   * lines without a colon count too). Default 10,000.
   */
  maxMessageHeaders?: number;
  /** Read one banner line before the first message (the client side). Default false. */
  expectBanner?: boolean;
}

/** Parser states (plain numbers: the hot loop compares them on every line). */
const BANNER = 0;
const HEADERS = 1;
/** After `Response: Follows`: `Privilege:`/`ActionID:` lines, then raw output. */
const LEGACY_HEADERS = 2;
const LEGACY_OUTPUT = 3;
/** `--END COMMAND--` seen; the blank line ends the message. */
const LEGACY_END = 4;
type State =
  | typeof BANNER
  | typeof HEADERS
  | typeof LEGACY_HEADERS
  | typeof LEGACY_OUTPUT
  | typeof LEGACY_END;

const END_COMMAND = "--END COMMAND--";
const CR = 13;
const LF = 10;

/** Incremental decoder of an AMI byte stream; see the module doc. */
export class AmiParser {
  readonly #decoder = new TextDecoder("utf-8");
  readonly #maxBytes: number;
  readonly #maxHeaders: number;
  #state: State;
  #banner: string | undefined;
  /**
   * Text not parsed yet, in pieces: the start of an incomplete message (in
   * `HEADERS`, with no blank line in it), or an incomplete line (banner and
   * legacy output). It is joined and parsed once, when a chunk brings the
   * blank line or line end that completes it.
   */
  #pending: string[] = [];
  #pendingLength = 0;
  /** Line ends in the pending text (`HEADERS`): a message's header lines so far. */
  #pendingLines = 0;
  /** Last two characters of the pending text, to spot a blank line split across chunks. */
  #tail = "";
  /** Headers of a legacy `Response: Follows` message, whose `Output` keys are not in the text. */
  #legacy: [string, string][] = [];
  /** Characters of the legacy message read so far (its lines already parsed). */
  #legacyLength = 0;
  #examined = 0;
  #failed = false;

  constructor(options: AmiParserOptions = {}) {
    this.#maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxHeaders = options.maxMessageHeaders ?? DEFAULT_MAX_MESSAGE_HEADERS;
    this.#state = options.expectBanner ? BANNER : HEADERS;
  }

  /** The banner line without its line end, once read. */
  get banner(): string | undefined {
    return this.#banner;
  }

  /** Characters of a message that is not complete yet (0 between messages). */
  get buffered(): number {
    return this.#pendingLength + this.#legacyLength;
  }

  /**
   * Characters read so far, each scan adding what it went over: a measure of
   * the parser's work, which stays within a small multiple of the input's length.
   */
  get examined(): number {
    return this.#examined;
  }

  /**
   * Feeds the next chunk and returns the messages it completed. Throws
   * {@linkcode AmiMessageTooLargeError} or {@linkcode AmiTooManyHeadersError}
   * when a message passes a limit; the parser is then unusable and the
   * connection must be closed.
   */
  push(chunk: Uint8Array | string): AmiMessage[] {
    if (this.#failed) {
      throw new AmiProtocolError("Cannot parse AMI stream: the parser already failed");
    }
    let text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const out: AmiMessage[] = [];
    if (this.#pendingLength > 0) {
      // Complete the pending text with the head of `text` (one join), then go on from there.
      const cut = this.#completionPoint(text);
      if (cut < 0) {
        this.#hold(text);
        return out;
      }
      const head = this.#pending.join("") + text.slice(0, cut);
      this.#examined += head.length;
      this.#pending = [];
      this.#pendingLength = 0;
      this.#pendingLines = 0;
      this.#parse(head, out);
      text = text.slice(cut);
    }
    if (text !== "") this.#parse(text, out);
    return out;
  }

  /**
   * Index in `text` just after the line end that completes the pending text
   * (the end of a line, or in `HEADERS` a blank line), or -1. Never 0, so
   * every call makes progress.
   */
  #completionPoint(text: string): number {
    if (this.#state !== HEADERS) {
      const lf = text.indexOf("\n");
      this.#examined += lf < 0 ? text.length : lf + 1;
      return lf < 0 ? -1 : lf + 1;
    }
    const tail = this.#tail;
    if (tail.endsWith("\n")) {
      if (text.startsWith("\n")) return 1;
      if (text.startsWith("\r\n")) return 2;
    }
    if (tail.endsWith("\n\r") && text.startsWith("\n")) return 1;
    // Look for LF LF only before the first LF CR LF, so a CR LF stream is not scanned to its end.
    const lfCrLf = text.indexOf("\n\r\n");
    const before = lfCrLf < 0 ? text.length : lfCrLf + 1;
    const lfLf = (lfCrLf < 0 ? text : text.slice(0, before)).indexOf("\n\n");
    this.#examined += (lfCrLf < 0 ? text.length : lfCrLf + 3) + (lfLf < 0 ? before : lfLf + 2);
    if (lfLf >= 0) return lfLf + 2;
    return lfCrLf < 0 ? -1 : lfCrLf + 3;
  }

  /** Keeps `text` as pending, within the limits. */
  #hold(text: string): void {
    this.#pending.push(text);
    this.#pendingLength += text.length;
    this.#tail = text.length >= 2 ? text.slice(-2) : (this.#tail + text).slice(-2);
    if (this.#pendingLength + this.#legacyLength > this.#maxBytes) this.#fail();
    if (this.#state === HEADERS) {
      // An incomplete message: each of its line ends ends one header line.
      this.#pendingLines += this.#countLines(text, 0, text.length);
      if (this.#pendingLines > this.#maxHeaders) this.#failHeaders();
    }
  }

  /** Line ends in `text[from, to)`. */
  #countLines(text: string, from: number, to: number): number {
    let count = 0;
    for (let lf = text.indexOf("\n", from); lf >= 0 && lf < to; lf = text.indexOf("\n", lf + 1)) {
      count++;
    }
    this.#examined += to - from;
    return count;
  }

  #fail(): never {
    this.#reset();
    throw new AmiMessageTooLargeError(this.#maxBytes);
  }

  #failHeaders(): never {
    this.#reset();
    throw new AmiTooManyHeadersError(this.#maxHeaders);
  }

  #reset(): void {
    this.#failed = true;
    this.#pending = [];
    this.#pendingLength = 0;
    this.#legacy = [];
    this.#legacyLength = 0;
  }

  /**
   * Parses `text`, which starts where the parse state says (a message
   * boundary in `HEADERS`, a line start otherwise), adding complete messages
   * to `out` and keeping what is left for the next chunk. An ordinary message
   * is framed by its blank line and handed out as a view whose header lines
   * are indexed when read; the banner and legacy command output are read
   * line by line. Every search remembers what it found, so no part of `text`
   * is scanned twice for the same thing.
   */
  #parse(text: string, out: AmiMessage[]): void {
    const length = text.length;
    const maxBytes = this.#maxBytes;
    let pos = 0;
    /** Next LF LF, LF CR LF and colon at or after the last search: -2 not searched, -1 none left. */
    let lfLf = -2;
    let lfCrLf = -2;
    let colon = -2;
    let examined = 0;
    while (pos < length) {
      if (this.#state === HEADERS) {
        const c = text.charCodeAt(pos);
        if (c === LF) {
          pos++; // a blank line between messages
          continue;
        }
        if (c === CR && pos + 1 < length && text.charCodeAt(pos + 1) === LF) {
          pos += 2;
          continue;
        }
        // A response: perhaps the `Response: Follows` of legacy command output.
        const response = (c | 0x20) === 0x72 && isKeyAt(text, pos, "Response");
        if (response) {
          const after = this.#startLegacy(text, pos);
          if (after >= 0) {
            pos = after;
            continue;
          }
        }
        // The end of the message is its first blank line: LF CR LF, or LF LF.
        if (lfCrLf !== -1 && lfCrLf < pos) {
          lfCrLf = text.indexOf("\n\r\n", pos);
          examined += (lfCrLf < 0 ? length : lfCrLf + 3) - pos;
        }
        if (lfLf !== -1 && lfLf < pos) {
          lfLf = text.indexOf("\n\n", pos);
          examined += (lfLf < 0 ? length : lfLf + 2) - pos;
        }
        let blank: number;
        let next: number;
        if (lfCrLf >= 0 && (lfLf < 0 || lfCrLf < lfLf)) {
          blank = lfCrLf + 1;
          next = lfCrLf + 3;
        } else if (lfLf >= 0) {
          blank = lfLf + 1;
          next = lfLf + 2;
        } else {
          break;
        }
        if (next - pos > maxBytes) this.#fail();
        // A header line takes two characters at least: only a long message can have too many.
        if (blank - pos > 2 * this.#maxHeaders) {
          if (this.#countLines(text, pos, blank) > this.#maxHeaders) this.#failHeaders();
        }
        if (response) {
          // Its first line has its colon: the message is a response, told so (nothing to search).
          out.push(AmiMessage.view(text, pos, blank, "response"));
          pos = next;
          continue;
        }
        if (colon !== -1 && colon < pos) {
          colon = text.indexOf(":", pos);
          examined += (colon < 0 ? length : colon + 1) - pos;
        }
        if (colon >= 0 && colon < blank) out.push(AmiMessage.view(text, pos, blank));
        pos = next;
        continue;
      }
      const lf = text.indexOf("\n", pos);
      examined += (lf < 0 ? length : lf + 1) - pos;
      if (lf < 0) break;
      const end = lf > pos && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      if (this.#state === BANNER) {
        this.#banner = text.slice(pos, end);
        this.#state = HEADERS;
      } else if (this.#state === LEGACY_END) {
        out.push(new AmiMessage(this.#legacy));
        this.#legacy = [];
        this.#legacyLength = 0;
        this.#state = HEADERS;
        if (end !== pos) continue; // not the blank line Asterisk sends: read it as the next message
      } else {
        examined += lf + 1 - pos; // the line's own reading
        this.#legacyLine(text.slice(pos, end), lf + 1 - pos);
      }
      pos = lf + 1;
    }
    this.#examined += examined;
    if (pos < length) {
      // An incomplete message or line: keep it, and read it once it can be completed.
      this.#tail = "";
      this.#hold(pos === 0 ? text : text.slice(pos));
    }
  }

  /**
   * If the line at `pos`, a `Response:` line, is a complete `Response:
   * Follows`, starts reading legacy output and returns where the next line
   * starts; otherwise -1.
   */
  #startLegacy(text: string, pos: number): number {
    // Every response starts so: whatever does not start with "f" is not Follows, no slicing needed.
    let first = pos + 9;
    while (text.charCodeAt(first) === 32 || text.charCodeAt(first) === 9) first++;
    if ((text.charCodeAt(first) | 0x20) !== 0x66) return -1;
    const lf = text.indexOf("\n", pos);
    this.#examined += (lf < 0 ? text.length : lf + 1) - pos;
    if (lf < 0) return -1;
    const value = text.slice(pos + 9, lf).replace(LEADING_BLANKS, "");
    if (value.trimEnd().toLowerCase() !== "follows") return -1;
    this.#legacy = [[text.slice(pos, pos + 8), value.replace(/\r$/, "")]];
    this.#legacyLength = lf + 1 - pos;
    if (this.#legacyLength > this.#maxBytes) this.#fail();
    this.#state = LEGACY_HEADERS;
    return lf + 1;
  }

  /** One line of a legacy `Response: Follows` message after its first header; `size` with its line end. */
  #legacyLine(line: string, size: number): void {
    this.#legacyLength += size;
    if (this.#legacyLength > this.#maxBytes) this.#fail();
    const legacy = this.#legacy;
    if (this.#state === LEGACY_HEADERS && LEGACY_HEADER.test(line)) {
      const colon = line.indexOf(":");
      legacy.push([line.slice(0, colon), line.slice(colon + 1).replace(LEADING_BLANKS, "")]);
    } else {
      this.#state = LEGACY_OUTPUT;
      if (line.endsWith(END_COMMAND)) {
        // Output without a final newline glues the marker to its last line.
        const rest = line.slice(0, -END_COMMAND.length);
        if (rest !== "") legacy.push(["Output", rest]);
        this.#state = LEGACY_END;
      } else {
        legacy.push(["Output", line]);
      }
    }
    if (legacy.length > this.#maxHeaders) this.#failHeaders();
  }
}

const LEGACY_HEADER = /^(privilege|actionid):/i;
const LEADING_BLANKS = /^[ \t]+/;
