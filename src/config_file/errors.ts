/**
 * The error of a config file (`--config`) that cannot be used: unreadable,
 * not TOML or JSON, an unknown key, a value of the wrong type or one the
 * flag's own parser refuses. main.ts turns it into a usage error (exit 2).
 *
 * @module
 */

/** A config file that cannot be used; the message names the file and the key, never a value of a secret. */
export class ConfigFileError extends Error {
  override name = "ConfigFileError";
}
