/**
 * `astrix dev`: the whole mock stack with one command, and a token per role.
 *
 * @module
 */

import { Command, Option } from "commander";
import { parseAsterisk, parsePort, parseRate } from "../src/config.ts";
import {
  DEV_EXTENSIONS,
  DEV_TOKEN_TTL_S,
  DevError,
  type DevOptions,
  startDevStack,
} from "../src/dev/stack.ts";
import { createLogger } from "../src/log.ts";
import type { Role } from "../src/proxy/roles.ts";
import { LOGIN_CODE_TTL_S } from "../src/proxy/session/login_codes.ts";
import { untilParentExits } from "../src/shutdown.ts";
import { asteriskProfile } from "../src/ami/profiles.ts";
import type { CliContext } from "./context.ts";

type DevFlags = Omit<DevOptions, "logger"> & { logFormat: "json" | "pretty" };

/** Builds the `dev` subcommand. */
export function devCommand(ctx: CliContext): Command {
  return new Command("dev")
    .summary("the whole mock stack (PBX, recordings, proxy) with a token per role")
    .description(
      "Run the whole mock stack for developing the app: the simulated PBX (mock-ami), synthetic " +
        "recordings (mock-recordings) and the proxy in front of them, with a token per role " +
        "and a one-click console login link per role. " +
        "The audit, the token secret and the pid file (dev.pid) live in --data-dir. Ctrl-C, " +
        "SIGTERM to that pid, or the end of the process that started it stops everything.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  astrix dev                # proxy :8080, AMI :5038, recordings :8081\n" +
        "  astrix dev --churn 0.5    # a new simulated call every two seconds\n" +
        "  astrix dev --asterisk 11  # the PBX of an older Issabel 4 box (AMI 1.3)\n" +
        "  astrix dev --port 9080 --ami-port 6038 --recordings-port 9081\n" +
        "  kill $(cat .astrix/dev.pid)   # stop it from another shell",
    )
    .addOption(
      new Option("--host <host>", "address every server listens on").env("ASTRIX_DEV_HOST").default(
        "127.0.0.1",
      ),
    )
    .addOption(
      new Option("--port <port>", "the proxy's port").env("ASTRIX_DEV_PORT").default(8080)
        .argParser(parsePort),
    )
    .addOption(
      new Option("--ami-port <port>", "mock-ami's port").env("ASTRIX_DEV_AMI_PORT").default(5038)
        .argParser(parsePort),
    )
    .addOption(
      new Option("--recordings-port <port>", "mock-recordings' port").env(
        "ASTRIX_DEV_RECORDINGS_PORT",
      ).default(8081).argParser(parsePort),
    )
    .addOption(
      new Option("--data-dir <dir>", "where the audit, secret, tokens.json and dev.pid live")
        .env("ASTRIX_DEV_DATA_DIR").default(".astrix"),
    )
    .addOption(
      new Option("--churn <rate>", "new simulated calls per second").env("ASTRIX_DEV_CHURN")
        .default(
          0,
        ).argParser(parseRate),
    )
    .addOption(
      new Option(
        "--asterisk <major>",
        "the Asterisk version to answer as (banner, answers, events): 11, 13, 16, 18, 20 or 22",
      )
        .env("ASTRIX_DEV_ASTERISK").default(22).argParser(parseAsterisk),
    )
    .addOption(
      new Option("--log-format <format>", "the proxy's request logs on stderr").choices([
        "json",
        "pretty",
      ]).default("pretty"),
    )
    .action(async (flags: DevFlags) => {
      // Watched from the start: the processes above are looked up while they still run.
      const watch = new AbortController();
      const parentGone = untilParentExits({ signal: watch.signal });
      try {
        await runStack(ctx, flags, parentGone);
      } finally {
        watch.abort();
      }
    });
}

/** Starts the stack, prints how to use it, and runs it until told to stop. */
async function runStack(ctx: CliContext, flags: DevFlags, parentGone: Promise<string>) {
  let stack;
  try {
    stack = await startDevStack({ ...flags, logger: createLogger({ format: flags.logFormat }) });
  } catch (error) {
    if (!(error instanceof DevError)) throw error;
    ctx.err(`astrix dev: ${error.message}`);
    return ctx.exit(2);
  }
  const { pidFile, proxyUrl, tokens } = stack;
  if (pidFile.tookOver !== undefined) {
    ctx.err(`astrix dev: replaced ${pidFile.path}: pid ${pidFile.tookOver} no longer ran`);
  }
  const lines = [
    `astrix dev is up (data in ${flags.dataDir}, pid ${pidFile.pid} in ${pidFile.path}):`,
    `  proxy            ${proxyUrl}   (audit ${stack.auditDb})`,
    `  mock-ami         ${flags.host}:${stack.amiPort}   (Asterisk ${
      asteriskProfile(flags.asterisk ?? 22).version
    }; AMI user astrix, secret astrix)`,
    `  mock-recordings  ${stack.recordingsUrl}`,
    `  console          ${proxyUrl}/   (log in with a link below, or paste a token)`,
    `  API docs         ${proxyUrl}/docs   (try each route: Authorize with a token below)`,
    `  OpenAPI          ${proxyUrl}/openapi.json`,
    "",
    `console login links (each works once, within ${
      LOGIN_CODE_TTL_S / 60
    } minutes; then paste a token):`,
    ...(Object.entries(stack.loginLinks) as [Role, string][]).map(([role, link]) =>
      `  ${role.padEnd(10)} ${link}`
    ),
    "",
    `tokens, valid ${DEV_TOKEN_TTL_S / 3600} h (also in ${flags.dataDir}/tokens.json):`,
    ...(Object.entries(tokens) as [Role, string][]).map(([role, token]) =>
      `  ${role.padEnd(10)} ext ${DEV_EXTENSIONS[role]}  ${token}`
    ),
    "",
    "try:",
    `  curl -N -H "Authorization: Bearer ${tokens.supervisor}" ${proxyUrl}/ami/events`,
    `  curl -H "Authorization: Bearer ${tokens.supervisor}" -H "Content-Type: application/json" \\`,
    `    -d '{"targetChannel": "${
      stack.liveChannel ?? "SIP/202-00000001"
    }"}' ${proxyUrl}/ami/originate/listen`,
    "",
    `Ctrl-C stops everything (from another shell: kill $(cat ${pidFile.path})).`,
  ];
  const stopping = ctx.stopSignal(); // before the banner: a SIGTERM right after it stops cleanly
  for (const line of lines) ctx.out(line);
  const reason = await Promise.race([stopping, parentGone]);
  ctx.err(`astrix dev: ${reason}, stopping`);
  await stack.close();
  ctx.exit(0);
}
