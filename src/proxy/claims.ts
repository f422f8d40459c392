/**
 * What a token's identity claims may hold. The proxy writes `sub` (or the
 * seed's `user_id`), `role` and `ext` into log lines, audit rows and the
 * hash that chains them, so a value must survive all three unchanged: no
 * control character (C0 including NUL, DEL, C1, U+2028/U+2029: SQLite cuts
 * text at a NUL, terminals and CSV readers act on the others), no lone
 * UTF-16 surrogate (it cannot be stored as UTF-8 as it is), and at most
 * {@linkcode MAX_CLAIM_CHARS} characters. The optional `pbx` claim limits a
 * token to some PBXs: one PBX name, or a list of 1 to {@linkcode MAX_PBX_CLAIM}
 * of them. The proxy refuses a token breaking either rule (401
 * `invalid_claims`) and `astrix token` refuses to sign one.
 *
 * @example
 * ```ts
 * import { claimProblem } from "./claims.ts";
 *
 * claimProblem("bob"); // undefined: fine
 * claimProblem("bob\u0000admin"); // "has a control character (U+0000 at character 4)"
 * ```
 *
 * @module
 */

import { isPbxName, PBX_NAME_RULE } from "./pbx_names.ts";

/** The longest `sub`, `user_id`, `role` or `ext` accepted, in characters (code points). */
export const MAX_CLAIM_CHARS = 128;

/** The claims the proxy reads to know who calls, in the order it checks them. */
export const IDENTITY_CLAIMS = ["sub", "user_id", "role", "ext"] as const;

/** The most PBX names a `pbx` claim may list. */
export const MAX_PBX_CLAIM = 64;

/** C0 (with NUL), DEL, C1, LINE SEPARATOR, PARAGRAPH SEPARATOR, and lone surrogates. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const REFUSED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cs}/u;

/**
 * Why `value` cannot be a claim, in words that never repeat it (the value may
 * be hostile), or undefined when it can.
 */
export function claimProblem(value: string): string | undefined {
  const match = REFUSED.exec(value);
  if (match) {
    const code = match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    const kind = /\p{Cs}/u.test(match[0]) ? "a lone surrogate" : "a control character";
    const at = [...value.slice(0, match.index)].length + 1;
    return `has ${kind} (U+${code} at character ${at})`;
  }
  let chars = 0;
  for (const _ of value) {
    if (++chars > MAX_CLAIM_CHARS) {
      return `is longer than ${MAX_CLAIM_CHARS} characters`;
    }
  }
  return undefined;
}

/**
 * Why `value` cannot be a `pbx` claim (one PBX name, or a list of 1 to
 * {@linkcode MAX_PBX_CLAIM} of them), in words that never repeat it; undefined
 * when it can.
 */
export function pbxClaimProblem(value: unknown): string | undefined {
  const names = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && (value.length === 0 || value.length > MAX_PBX_CLAIM)) {
    return `must list 1 to ${MAX_PBX_CLAIM} PBX names, not ${value.length}`;
  }
  const bad = names.findIndex((name) => !isPbxName(name));
  if (bad < 0) return undefined;
  const where = Array.isArray(value) ? `its item ${bad + 1} ` : "";
  return `is not a PBX name or a list of them: ${where}is not ${PBX_NAME_RULE}`;
}
