/**
 * The secrets of console sessions: random ids (session ids, CSRF tokens,
 * login codes) from `crypto.getRandomValues`, base64url without padding, and
 * a comparison that takes the same time wherever two of them differ.
 *
 * @example
 * ```ts
 * import { randomSecret, sameSecret } from "./secrets.ts";
 *
 * const id = randomSecret(32); // 256 bits: 43 characters
 * sameSecret(id, id); // true
 * ```
 *
 * @module
 */

/** `bytes` random bytes as base64url without padding. */
export function randomSecret(bytes: number): string {
  const random = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...random)).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Are `a` and `b` equal? Compares every character whatever the first difference (the length may show). */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}
