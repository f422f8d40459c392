/**
 * What a PBX behind the proxy is called: `--ami floor1=HOST:PORT`, the `pbx`
 * field of a listen or playback, the `pbx` claim of a token, the `pbx` of a
 * job, channel, event and audit row. One PBX given without a name (or the
 * simulated PBX, or an upstream adapter) is {@linkcode DEFAULT_PBX}.
 *
 * @example
 * ```ts
 * import { isPbxName } from "./pbx_names.ts";
 *
 * isPbxName("floor-1"); // true
 * isPbxName("Floor 1"); // false
 * ```
 *
 * @module
 */

/** The name of a proxy's one PBX when none was given. */
export const DEFAULT_PBX = "default";

/** A PBX name: a lowercase letter or digit, then up to 31 of `a-z 0-9 _ -`. */
export const PBX_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** What {@linkcode PBX_NAME} allows, in words, for error messages. */
export const PBX_NAME_RULE =
  "1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit (e.g. floor1)";

/** Is `value` a PBX name? */
export function isPbxName(value: unknown): value is string {
  return typeof value === "string" && PBX_NAME.test(value);
}
