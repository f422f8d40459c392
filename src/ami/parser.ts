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
  readonly #max: number;
  #state: State;
  #banner: string | undefined;
  /**
   * Text of the incomplete message at the end of the stream, in pieces. It is
   * only joined and parsed (from its start, once) when a chunk brings a blank
   * line that may end it, so work stays linear whatever the chunk sizes.
   */
  #pending: string[] = [];
  #pendingLength = 0;
  /** Last two characters of the pending text, to spot a blank line split across chunks. */
  #tail = "";
  /** Headers of a legacy `Response: Follows` message, whose `Output` keys are not in the text. */
  #legacy: [string, string][] = [];
  #failed = false;

  constructor(options: AmiParserOptions = {}) {
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#state = options.expectBanner ? BANNER : HEADERS;
  }

  /** The banner line without its line end, once read. */
  get banner(): string | undefined {
    return this.#banner;
  }

  /** Characters held for a message that is not complete yet (0 between messages). */
  get buffered(): number {
    return this.#pendingLength;
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
    let text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    const out: AmiMessage[] = [];
    while (this.#pendingLength > 0) {
      // Finish the pending message with the head of `text` (a short join), then go on.
      const cut = this.#completionPoint(text);
      if (cut < 0) {
        this.#hold(text);
        return out;
      }
      const head = this.#pending.join("") + text.slice(0, cut);
      this.#pending = [];
      this.#pendingLength = 0;
      this.#parse(head, out);
      text = text.slice(cut);
    }
    if (text !== "") this.#parse(text, out);
    return out;
  }

  /**
   * Index in `text` just after the first line end that may complete what is
   * pending (the banner line, or a blank line), or -1. Never 0, so every call
   * makes progress.
   */
  #completionPoint(text: string): number {
    if (this.#state === BANNER) {
      const lf = text.indexOf("\n");
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
    const lfLf = (lfCrLf < 0 ? text : text.slice(0, lfCrLf + 1)).indexOf("\n\n");
    if (lfLf >= 0) return lfLf + 2;
    return lfCrLf < 0 ? -1 : lfCrLf + 3;
  }

  /** Keeps `text` as part of the incomplete message, within the size limit. */
  #hold(text: string): void {
    this.#pending.push(text);
    this.#pendingLength += text.length;
    this.#tail = text.length >= 2 ? text.slice(-2) : (this.#tail + text).slice(-2);
    if (this.#pendingLength > this.#max) this.#fail();
  }

  #fail(): never {
    this.#failed = true;
    this.#pending = [];
    this.#pendingLength = 0;
    this.#legacy = [];
    throw new AmiMessageTooLargeError(this.#max);
  }

  /**
   * Parses `text`, which starts at a message boundary, adding complete messages
   * to `out`. An ordinary message is framed by its blank line and handed out
   * as a view whose header lines are indexed when read; the banner and legacy
   * command output are read line by line.
   */
  #parse(text: string, out: AmiMessage[]): void {
    const length = text.length;
    const max = this.#max;
    let pos = 0;
    /** Where the message being read starts. */
    let start = 0;
    /** Next LF LF at or after `pos`: -2 not searched yet, -1 none up to the end. */
    let lfLf = -2;
    while (pos < length) {
      const state = this.#state;
      if (state === HEADERS) {
        start = pos;
        const c = text.charCodeAt(pos);
        if (c === LF) {
          pos++; // a blank line between messages
          continue;
        }
        if (c === CR && pos + 1 < length && text.charCodeAt(pos + 1) === LF) {
          pos += 2;
          continue;
        }
        if ((c | 0x20) === 0x72) { // "r": perhaps the `Response: Follows` of legacy command output
          const after = this.#startLegacy(text, pos);
          if (after >= 0) {
            pos = after;
            continue;
          }
        }
        // The end of the message is its first blank line: LF CR LF, or LF LF.
        const lfCrLf = text.indexOf("\n\r\n", pos);
        if (lfLf !== -1 && lfLf < pos) lfLf = text.indexOf("\n\n", pos);
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
        if (next - pos > max) this.#fail();
        const colon = text.indexOf(":", pos);
        if (colon >= 0 && colon < blank) out.push(AmiMessage.view(text, pos, blank));
        pos = next;
        continue;
      }
      const lf = text.indexOf("\n", pos);
      if (lf < 0) break;
      const end = lf > pos && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      const line = text.slice(pos, end);
      if (state === BANNER) {
        this.#banner = line;
        this.#state = HEADERS;
      } else {
        if (lf + 1 - start > max) this.#fail();
        if (state === LEGACY_END) {
          out.push(new AmiMessage(this.#legacy));
          this.#legacy = [];
          this.#state = HEADERS;
          if (line !== "") continue; // not the blank line Asterisk sends: read it as the next message
        } else {
          this.#legacyLine(line);
        }
      }
      pos = lf + 1;
    }
    const legacy = this.#state !== HEADERS && this.#state !== BANNER;
    if (pos < length || legacy) {
      // An incomplete message: keep its text and read it again from its start once it can end.
      const from = legacy ? start : pos;
      if (legacy) this.#state = HEADERS;
      this.#legacy = [];
      this.#tail = "";
      this.#hold(from === 0 ? text : text.slice(from));
    }
  }

  /**
   * If the line at `pos` is a complete `Response: Follows`, starts reading
   * legacy output and returns where the next line starts; otherwise -1.
   */
  #startLegacy(text: string, pos: number): number {
    const lf = text.indexOf("\n", pos);
    if (lf < 0) return -1;
    const line = text.slice(pos, lf).replace(/\r$/, "");
    if (line.indexOf(":") !== 8 || line.slice(0, 8).toLowerCase() !== "response") return -1;
    const value = line.slice(9).replace(LEADING_BLANKS, "");
    if (value.trimEnd().toLowerCase() !== "follows") return -1;
    this.#legacy = [[line.slice(0, 8), value]];
    this.#state = LEGACY_HEADERS;
    return lf + 1;
  }

  /** One line of a legacy `Response: Follows` message after its first header. */
  #legacyLine(line: string): void {
    if (this.#state === LEGACY_HEADERS && LEGACY_HEADER.test(line)) {
      const colon = line.indexOf(":");
      this.#legacy.push([line.slice(0, colon), line.slice(colon + 1).replace(LEADING_BLANKS, "")]);
      return;
    }
    this.#state = LEGACY_OUTPUT;
    if (line.endsWith(END_COMMAND)) {
      // Output without a final newline glues the marker to its last line.
      const rest = line.slice(0, -END_COMMAND.length);
      if (rest !== "") this.#legacy.push(["Output", rest]);
      this.#state = LEGACY_END;
    } else {
      this.#legacy.push(["Output", line]);
    }
  }
}

const LEGACY_HEADER = /^(privilege|actionid):/i;
const LEADING_BLANKS = /^[ \t]+/;
