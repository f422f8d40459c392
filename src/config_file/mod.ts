/**
 * Config files for every subcommand (`--config`, env `ASTRIX_CONFIG`): TOML
 * or JSON holding what the flags hold, a section per subcommand, applied
 * under the command line and the environment.
 *
 * @example
 * ```ts
 * for (const sub of program.commands) sub.addOption(configOption());
 * program.hook("preAction", (_, command) => {
 *   for (const warning of applyConfigFile(command)) console.error(warning);
 * });
 * ```
 *
 * @module
 */

export { applyConfigFile, type ApplyOptions, configOption, type TableReader } from "./apply.ts";
export { ConfigFileError } from "./errors.ts";
export { unknownKeyMessage } from "./suggest.ts";
export { isTable, kind } from "./values.ts";
