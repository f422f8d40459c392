/**
 * The `astrix` executable: builds the CLI from `commands/` and runs it. This
 * is the only module that exits the process.
 *
 * @module
 */

import process from "node:process";
import { Command, CommanderError } from "commander";
import type { CliContext } from "./commands/context.ts";
import { auditQueryCommand } from "./commands/audit_query.ts";
import { devCommand } from "./commands/dev.ts";
import { mockAmiCommand } from "./commands/mock_ami.ts";
import { mockRecordingsCommand } from "./commands/mock_recordings.ts";
import { proxyCommand } from "./commands/proxy.ts";
import { tokenCommand } from "./commands/token.ts";
import { testClientCommand } from "./commands/test_client.ts";
import pkg from "./package.json" with { type: "json" };
import { untilStopSignal } from "./src/shutdown.ts";

/** Exit code of a usage error (unknown flag, bad value). */
export const EXIT_USAGE = 2;

/** Builds the `astrix` command line with every subcommand that is ready. */
export function buildCli(ctx: CliContext): Command {
  return new Command("astrix")
    .description(
      "One executable around an Asterisk/Issabel PBX's Manager Interface (AMI). " +
        "Ops run the proxy in front of the PBX, developers run the mock stack, " +
        "auditors query who listened to which call.",
    )
    .version(pkg.version, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "show help for astrix or a subcommand")
    .showHelpAfterError("(run with --help for usage)")
    .addCommand(devCommand(ctx))
    .addCommand(proxyCommand(ctx))
    .addCommand(mockAmiCommand(ctx))
    .addCommand(mockRecordingsCommand(ctx))
    .addCommand(testClientCommand(ctx))
    .addCommand(auditQueryCommand(ctx))
    .addCommand(tokenCommand(ctx));
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
    console.error(`astrix: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
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
