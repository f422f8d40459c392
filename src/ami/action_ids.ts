/**
 * The ActionIDs a client makes up: a serial number followed by 66 random
 * bits (`42-q2Jx0bTz9Ka`). The serial makes each one unique for the client
 * and lets an answer be found by a number, which costs a fraction of finding
 * a fresh string on every round trip; the random part keeps them
 * unpredictable, so that another AMI session cannot forge the events of a
 * list in progress (a `UserEvent` carrying a guessed ActionID). The random
 * bits come from `crypto.getRandomValues`, 12,288 at a time.
 *
 * @example
 * ```ts
 * import { ActionIds } from "./action_ids.ts";
 *
 * const ids = new ActionIds();
 * const id = ids.next(); // "1-" and 11 random characters
 * ids.serialOf(id); // 1
 * ids.serialOf("mine"); // undefined
 * ```
 *
 * @module
 */

/** Random characters after the serial: 11 base64 characters, 66 bits. */
const RANDOM_CHARS = 11;
/** Random bytes drawn at once: 2,048 base64 characters, enough for 186 ActionIDs. */
const POOL_BYTES = 1536;
/** Serials beyond this many digits are not read as numbers (they stay exact below it). */
const MAX_DIGITS = 15;
const DASH = 45;

/** The ActionIDs of one client. */
export class ActionIds {
  #serial = 0;
  #random = "";
  #at = 0;

  /** A new ActionID, never made before by this instance. */
  next(): string {
    if (this.#at + RANDOM_CHARS > this.#random.length) this.#refill();
    const random = this.#random.slice(this.#at, this.#at += RANDOM_CHARS);
    return ++this.#serial + "-" + random;
  }

  /** The serial of the ActionID made last. */
  get lastSerial(): number {
    return this.#serial;
  }

  /**
   * The serial `actionId` carries if it has the shape of one made here
   * (digits without a leading zero, a dash, 11 characters), else `undefined`.
   * The shape alone proves nothing: whoever matches by serial must compare
   * the whole ActionID too.
   */
  serialOf(actionId: string): number | undefined {
    const length = actionId.length;
    if (length < RANDOM_CHARS + 2 || length > RANDOM_CHARS + 1 + MAX_DIGITS) return undefined;
    const dash = length - RANDOM_CHARS - 1;
    if (actionId.charCodeAt(dash) !== DASH) return undefined;
    let serial = 0;
    for (let i = 0; i < dash; i++) {
      const digit = actionId.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9 || (digit === 0 && i === 0)) return undefined;
      serial = serial * 10 + digit;
    }
    return serial;
  }

  #refill(): void {
    this.#random = base64(crypto.getRandomValues(new Uint8Array(POOL_BYTES)));
    this.#at = 0;
  }
}

/** `Uint8Array.prototype.toBase64` where the runtime has it (V8 in Deno 2.5+), else `btoa`. */
type WithToBase64 = Uint8Array & { toBase64?: () => string };

function base64(bytes: WithToBase64): string {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64();
  return btoa(String.fromCharCode.apply(null, bytes as unknown as number[]));
}
