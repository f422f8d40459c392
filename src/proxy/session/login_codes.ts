/**
 * Login codes for `astrix dev`'s console links: a code stands for a token
 * (never put in a URL itself), is 256 random bits, and can be redeemed once,
 * within {@linkcode LOGIN_CODE_TTL_S} of being made. Only a proxy started
 * with `loginCodes: true` mints them.
 *
 * @example
 * ```ts
 * import { LoginCodes } from "./login_codes.ts";
 *
 * const codes = new LoginCodes();
 * const code = codes.mint("eyJ...");
 * codes.redeem(code); // "eyJ..."
 * codes.redeem(code); // undefined: used
 * ```
 *
 * @module
 */

import { randomSecret } from "./secrets.ts";

/** How long a login code can be redeemed, in seconds (10 min). */
export const LOGIN_CODE_TTL_S = 600;
/** Most codes waiting at once; beyond, the oldest is dropped. */
const MAX_CODES = 1_000;

/** Single-use codes, each standing for a token for a while. */
export class LoginCodes {
  readonly #codes = new Map<string, { token: string; until: number }>();
  readonly #now: () => number;

  /** `now`: seconds since the epoch; default the system clock. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => Date.now() / 1000);
  }

  /** A new code for `token`, redeemable once within {@linkcode LOGIN_CODE_TTL_S}. */
  mint(token: string): string {
    const now = this.#now();
    for (const [code, entry] of this.#codes) if (now >= entry.until) this.#codes.delete(code);
    if (this.#codes.size >= MAX_CODES) this.#codes.delete(this.#codes.keys().next().value!);
    const code = randomSecret(32);
    this.#codes.set(code, { token, until: now + LOGIN_CODE_TTL_S });
    return code;
  }

  /** The token of `code`, once; undefined for a code unknown, used or expired. */
  redeem(code: string): string | undefined {
    const entry = this.#codes.get(code);
    this.#codes.delete(code);
    return entry && this.#now() < entry.until ? entry.token : undefined;
  }
}
