/**
 * The audit chain's HMAC key: 32 random bytes, hex, in a file kept outside
 * the database (so whoever can only write the database cannot re-forge the
 * chain). Created with mode 0600 on first use when absent.
 *
 * @module
 */

import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { AuditKeyError } from "./errors.ts";

/** The default key file of a database: next to it, `<db>.key`. */
export function defaultKeyFile(dbPath: string): string {
  return `${dbPath}.key`;
}

/** Reads the key; with `create`, makes a new one (mode 0600) if the file does not exist. */
export function loadKey(path: string, options: { create: boolean }): Uint8Array {
  if (options.create && !existsSync(path)) {
    const key = Array.from(
      crypto.getRandomValues(new Uint8Array(32)),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
    // Written whole under a private name, then linked into place: another
    // process never reads a half-written key, and if one linked first, theirs is kept.
    const staging = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      writeFileSync(staging, key + "\n", { mode: 0o600, flag: "wx" });
      linkSync(staging, path);
    } catch (error) {
      if (!existsSync(path)) {
        throw new AuditKeyError(
          `Cannot create the audit key file ${path}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    } finally {
      rmSync(staging, { force: true });
    }
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new AuditKeyError(
      `Cannot read the audit key file ${path}: ${(error as Error).message}. ` +
        "Give the key the audit was written with (--key-file or ASTRIX_AUDIT_KEY_FILE)",
      { cause: error },
    );
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new AuditKeyError(`${path} is not an audit key (64 hex digits)`);
  }
  return Uint8Array.from(text.match(/../g)!, (h) => Number.parseInt(h, 16));
}
