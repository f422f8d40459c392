/**
 * Reading a config file: TOML when its name ends in `.toml`, JSON when it
 * ends in `.json` (any other name is refused: the format is never guessed).
 * Parse errors say where (line and column) but never quote the file, which
 * may hold a secret.
 *
 * @example
 * ```ts
 * const file = readConfigFile("/etc/astrix/astrix.toml");
 * file.table.proxy; // the [proxy] section
 * ```
 *
 * @module
 */

import { readFileSync, statSync } from "node:fs";
import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigFileError } from "./errors.ts";

/** A config file as read. */
export interface ConfigFile {
  /** The path it was read from, as given. */
  path: string;
  /** Its top-level table. */
  table: Record<string, unknown>;
  /** Its permission bits (`stat` mode & 0o777). */
  mode: number;
}

/** Reads and parses `path`; throws {@linkcode ConfigFileError} saying what is wrong. */
export function readConfigFile(path: string): ConfigFile {
  const format = path.toLowerCase().match(/\.(toml|json)$/)?.[1];
  if (format === undefined) {
    throw new ConfigFileError(
      `--config ${path}: name the file *.toml or *.json, so astrix knows which format it is in`,
    );
  }
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, "utf8");
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    const reason = (error as { code?: string }).code === "ENOENT"
      ? "no such file"
      : (error as Error).message;
    throw new ConfigFileError(`--config ${path} cannot be read: ${reason}`, { cause: error });
  }
  const table = format === "toml" ? tomlTable(path, text) : jsonTable(path, text);
  return { path, table, mode };
}

function tomlTable(path: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    // Its message goes on with the lines around the error: the first line only.
    const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    throw new ConfigFileError(
      `${path}:${error.line}:${error.column}: not valid TOML: ${reason}`,
      { cause: error },
    );
  }
}

function jsonTable(path: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8's message may quote the text around the error: keep its position only.
    const at = (error as Error).message.match(/at position \d+(?: \(line \d+ column \d+\))?/);
    throw new ConfigFileError(`${path}: not valid JSON${at ? ` (${at[0]})` : ""}`, {
      cause: error,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigFileError(`${path}: a JSON config file holds one object ({"proxy": {...}})`);
  }
  return value as Record<string, unknown>;
}
