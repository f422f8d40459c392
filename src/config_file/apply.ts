/**
 * Applying a config file to a commander command, once for every subcommand:
 * each key is a flag's long name (`audit-db`, `port`, `dev-token`); a
 * section per subcommand (`[proxy]`, `[mock-ami]`) holds its own keys, and
 * a top-level key applies to every subcommand that has that flag (a
 * section's key wins over it). A value goes through the flag's own parser,
 * so it is checked as the flag is, and is set with the source `"config"`
 * only where the flag and its environment variable were not given: command
 * line > environment > config file > default.
 *
 * @example
 * ```ts
 * const command = new Command("mock-ami")
 *   .addOption(new Option("--port <port>").default(5038).argParser(parsePort))
 *   .addOption(configOption());
 * command.hook("preAction", (_, run) => void applyConfigFile(run));
 * ```
 *
 * @module
 */

import { type Command, InvalidArgumentError, Option } from "commander";
import { ConfigFileError } from "./errors.ts";
import { type ConfigFile, readConfigFile } from "./read.ts";
import { isSecretKey, secretWarning } from "./secrets.ts";
import { didYouMean, unknownKeyMessage } from "./suggest.ts";
import { isTable, kind } from "./values.ts";

/** Reads a key's table value (`[proxy.ami.floor1]`) into its option's value; throws {@linkcode InvalidArgumentError}. */
export type TableReader = (table: Record<string, unknown>, path: string) => unknown;

/** How {@linkcode applyConfigFile} treats keys beyond what their flags parse. */
export interface ApplyOptions {
  /** Readers for keys whose value may be a table, by key (the proxy's `ami`). */
  tables?: Record<string, TableReader>;
}

const CONFIG = "config";

/** The `--config <file>` option (env `ASTRIX_CONFIG`) to add to a command. */
export function configOption(): Option {
  return new Option(
    `--${CONFIG} <file>`,
    "read options from this TOML or JSON file ([<subcommand>] sections, flag names as keys); " +
      "flags and env vars win over it",
  ).env("ASTRIX_CONFIG");
}

/**
 * Applies the file `command`'s `--config` names (none: nothing to do) and
 * returns warnings to print (a secret in a file others may read). Throws
 * {@linkcode ConfigFileError} naming the file and the key.
 */
export function applyConfigFile(command: Command, options: ApplyOptions = {}): string[] {
  const path = command.getOptionValue(CONFIG) as string | undefined;
  if (path === undefined) return [];
  const file = readConfigFile(path);
  const keys = configKeys(command);
  for (const [key, { value, at }] of commandValues(file, command)) {
    const option = keys.get(key)!;
    const parsed = optionValue(file, option, value, at, options.tables?.[key]);
    const attribute = option.attributeName();
    if ([undefined, "default"].includes(command.getOptionValueSource(attribute))) {
      command.setOptionValueWithSource(attribute, parsed, "config");
    }
  }
  const warning = secretWarning(file);
  return warning === undefined ? [] : [warning];
}

/** The keys a command takes from a config file: its flags' long names, `config` aside. */
function configKeys(command: Command): Map<string, Option> {
  return new Map(
    command.options.filter((o) => o.long !== undefined && o.long !== `--${CONFIG}`)
      .map((o) => [o.long!.slice(2), o]),
  );
}

/**
 * The values of `file` for `command`, by key, with the path that names each
 * in messages (`proxy.port`). Checks every key of every section, so a typo
 * in another subcommand's section is caught too.
 */
function commandValues(file: ConfigFile, command: Command) {
  const sections = new Map(
    (command.parent?.commands ?? [command]).filter((c) =>
      c.options.some((o) => o.long === `--${CONFIG}`)
    )
      .map((c) => [c.name(), configKeys(c)]),
  );
  const shared = new Set([...sections.values()].flatMap((keys) => [...keys.keys()]));
  const own = sections.get(command.name())!;
  const top = new Map<string, { value: unknown; at: string }>();
  const section = new Map<string, { value: unknown; at: string }>();
  for (const [name, value] of Object.entries(file.table)) {
    const keys = sections.get(name);
    if (keys !== undefined) {
      if (!isTable(value)) {
        throw new ConfigFileError(
          `${file.path}: ${name} must be a section ([${name}]), not ${kind(value)}`,
        );
      }
      for (const [key, inner] of Object.entries(value)) {
        if (!keys.has(key)) {
          throw new ConfigFileError(
            `${file.path}: ${unknownKeyMessage(key, [...keys.keys()], `[${name}]`)}`,
          );
        }
        if (name === command.name()) section.set(key, { value: inner, at: `${name}.${key}` });
      }
    } else if (!shared.has(name)) {
      const names = [...sections.keys()];
      throw new ConfigFileError(
        `${file.path}: the top level has no key "${name}"${
          didYouMean(name, [...shared, ...names])
        }: it holds a section per subcommand (${names.map((s) => `[${s}]`).join(", ")}) and ` +
          `the flags of any of them (${command.name()}'s: ${[...own.keys()].sort().join(", ")})`,
      );
    } else if (own.has(name)) {
      top.set(name, { value, at: name });
    }
  }
  return new Map([...top, ...section]);
}

/** `raw` as the option's value: through its table reader, as a boolean, or through its parser. */
function optionValue(
  file: ConfigFile,
  option: Option,
  raw: unknown,
  at: string,
  readTable: TableReader | undefined,
): unknown {
  if (isTable(raw) && readTable !== undefined) {
    return parsing(file, at, () => readTable(raw, at), "");
  }
  if (option.isBoolean()) {
    if (typeof raw !== "boolean") throw typeError(file, at, "true or false", raw);
    return option.negate ? !raw : raw;
  }
  // A flag whose default is a number takes a number; one that shows its default as text (24h) takes either.
  const numeric = typeof option.defaultValue === "number" &&
    option.defaultValueDescription === undefined;
  let value = option.defaultValue;
  for (const item of Array.isArray(raw) ? raw : [raw]) {
    if (typeof item !== "number" && (numeric || typeof item !== "string")) {
      throw typeError(file, at, numeric ? "a number" : "a string", item);
    }
    const text = String(item);
    value = option.parseArg
      ? parsing(file, at, () => option.parseArg!(text, value), `${at}: `)
      : text;
  }
  // A list is the flag repeated: refused where the flag keeps only its last value.
  if (
    Array.isArray(raw) && raw.length > 1 && !(Array.isArray(value) && value.length >= raw.length)
  ) {
    throw new ConfigFileError(
      `${file.path}: ${at} takes one value, not a list (the flag is not repeatable)`,
    );
  }
  return value;
}

/** Runs a flag's parser; its refusal becomes an error naming the file and the key. */
function parsing(file: ConfigFile, at: string, parse: () => unknown, prefix: string): unknown {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    // A parser may quote the value: not when it is a secret.
    const reason = isSecretKey(at.split(".").at(-1)!) ? "is not valid" : error.message;
    throw new ConfigFileError(`${file.path}: ${prefix}${reason}`, { cause: error });
  }
}

function typeError(file: ConfigFile, at: string, expected: string, value: unknown) {
  return new ConfigFileError(`${file.path}: ${at} must be ${expected}, not ${kind(value)}`);
}
