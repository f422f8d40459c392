/**
 * Secrets written into a config file: a key named `secret` or `*-secret`
 * (`jwt-secret`, `ami-secret`, a PBX's `secret`) holds one. Such a file must
 * be readable by its owner only; the warning names the keys, never a value.
 *
 * @module
 */

import process from "node:process";
import type { ConfigFile } from "./read.ts";
import { isTable } from "./values.ts";

/** Whether a key of a config file holds a secret value (not a file naming one). */
export function isSecretKey(key: string): boolean {
  return key === "secret" || key.endsWith("-secret");
}

/** A warning when `file` holds a secret and group or others may read it; `undefined` when it is fine. */
export function secretWarning(file: ConfigFile): string | undefined {
  if (process.platform === "win32" || (file.mode & 0o077) === 0) return undefined;
  const keys = secretKeys(file.table, "");
  if (keys.length === 0) return undefined;
  const mode = file.mode.toString(8).padStart(4, "0");
  const files = [...new Set(keys.map((key) => `${key.split(".").at(-1)}-file`))];
  return `${file.path} holds a secret (${keys.join(", ")}) and is readable by group or others ` +
    `(mode ${mode}): chmod 600 ${file.path}, or name a file instead (${files.join(", ")})`;
}

/** The dotted paths of the keys below `table` that hold a secret. */
function secretKeys(table: Record<string, unknown>, prefix: string): string[] {
  return Object.entries(table).flatMap(([key, value]) => {
    const path = `${prefix}${key}`;
    if (isTable(value)) return secretKeys(value, `${path}.`);
    return isSecretKey(key) && value !== "" ? [path] : [];
  });
}
