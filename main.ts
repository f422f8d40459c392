/**
 * The `astrix` executable: builds the CLI from `commands/` and runs it. This
 * is the only module that exits the process.
 *
 * @module
 */

import process from "node:process";
import { Command, CommanderError, type Option } from "commander";
import { readAmiTables } from "./commands/ami_config.ts";
import type { CliContext } from "./commands/context.ts";
import { auditMigrateCommand } from "./commands/audit_migrate.ts";
import { auditQueryCommand } from "./commands/audit_query.ts";
import { devCommand } from "./commands/dev.ts";
import { mockAmiCommand } from "./commands/mock_ami.ts";
import { mockRecordingsCommand } from "./commands/mock_recordings.ts";
import { openApiCommand } from "./commands/openapi.ts";
import { proxyCommand } from "./commands/proxy.ts";
import { tokenCommand } from "./commands/token.ts";
import { testClientCommand } from "./commands/test_client.ts";
import pkg from "./package.json" with { type: "json" };
import { applyConfigFile, ConfigFileError, configOption } from "./src/config_file/mod.ts";
import { untilStopSignal } from "./src/shutdown.ts";

/**
 * Exit code of a usage or configuration error: an unknown flag or a bad
 * value, a port in use, a file named by a flag that is missing, a bad secret.
 */
export const EXIT_USAGE = 2;
/** Exit code of a failure while running (a check failed, the PBX went away, a broken chain). */
export const EXIT_FAILURE = 1;

/** Builds the `astrix` command line with every subcommand that is ready. */
export function buildCli(ctx: CliContext): Command {
  const program = new Command("astrix")
    .description(
      "One executable around an Asterisk/Issabel PBX's Manager Interface (AMI). " +
        "Ops run the proxy in front of the PBX, developers run the mock stack, " +
        "auditors query who listened to which call.",
    )
    .version(pkg.version, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show help for astrix or a subcommand")
    .helpCommand("help [command]", "show help for a subcommand")
    .addCommand(devCommand(ctx))
    .addCommand(proxyCommand(ctx))
    .addCommand(mockAmiCommand(ctx))
    .addCommand(mockRecordingsCommand(ctx))
    .addCommand(testClientCommand(ctx))
    .addCommand(auditQueryCommand(ctx))
    .addCommand(auditMigrateCommand(ctx))
    .addCommand(tokenCommand(ctx))
    .addCommand(openApiCommand(ctx));
  house(program, "astrix");
  for (const command of program.commands) {
    house(command, `astrix ${command.name()}`).helpOption("-h, --help", "show this help");
    if (command.options.length > 0) command.addOption(configOption());
  }
  return program.hook("preAction", (_, command) => applyConfig(ctx, command));
}

/**
 * Fills the options the command line and the environment left at their
 * default from `--config` (or ASTRIX_CONFIG); a file that cannot be used is
 * a usage error, as a bad flag is.
 */
function applyConfig(ctx: CliContext, command: Command): void {
  try {
    for (const warning of applyConfigFile(command, { tables: { ami: readAmiTables } })) {
      ctx.err(`astrix ${command.name()}: warning: ${warning}`);
    }
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    command.error(`error: ${error.message}`, { exitCode: EXIT_USAGE, code: "astrix.config" });
  }
}

/**
 * One style for every command: error lines start with `astrix <command>: `
 * (commander's own too), a hint to --help follows a usage error, and each
 * option's default, choices and environment variable go in one bracket.
 */
function house(command: Command, prefix: string): Command {
  return command
    .configureOutput({
      outputError: (message, write) => write(message.replace(/^error: /, `${prefix}: `)),
    })
    .showHelpAfterError(`(run ${prefix} --help for usage)`)
    .configureHelp({ optionDescription });
}

/** `description (a | b; default x; env NAME)`; a flag's `false` default is not worth a line. */
function optionDescription(option: Option): string {
  const facts: string[] = [];
  if (option.argChoices) facts.push(option.argChoices.join(" | "));
  const value = option.defaultValue;
  const shown = option.defaultValueDescription ??
    (value === undefined || typeof value === "boolean" ? undefined : String(value));
  if (shown !== undefined) facts.push(`default ${shown}`);
  if (option.envVar) facts.push(`env ${option.envVar}`);
  return facts.length > 0 ? `${option.description} (${facts.join("; ")})` : option.description;
}

/** Runs the CLI on `args` and returns the process exit code. */
export async function run(args: string[]): Promise<number> {
  let exitCode = 0;
  const ctx: CliContext = {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    exit: (code) => exitCode = code,
    stopSignal: untilStopSignal,
  };
  const program = buildCli(ctx).exitOverride();
  for (const command of program.commands) command.exitOverride();
  if (args.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const command = program.commands.find((c) => c.name() === args[0]);
    const prefix = command ? `astrix ${command.name()}` : "astrix";
    console.error(`${prefix}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILURE;
  }
}

if (import.meta.main) {
  // A reader that went away (`astrix ... | head`) ends the output, not in a stack trace.
  process.stdout.on("error", (error: { code?: string }) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  process.exitCode = await run(process.argv.slice(2));
}
