/**
 * `astrix test-client`: the seed's seven AMI checks against mock-ami (the
 * default) or, with `--real`, a real PBX.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { parseCount, parsePort } from "../src/config.ts";
import { runSteps } from "../src/test_client/steps.ts";
import { formatJson, formatReport, passed } from "../src/test_client/report.ts";
import type { CliContext } from "./context.ts";
import { MOCK_AMI_DEFAULTS } from "../src/pbx/mock_ami.ts";

interface TestClientFlags {
  real: boolean;
  host?: string;
  port?: number;
  user?: string;
  secret?: string;
  md5: boolean;
  targetChannel?: string;
  listenerExtension?: string;
  dialTemplate: string;
  recording: string;
  timeout: number;
  json: boolean;
}

function parseTemplate(value: string): string {
  if (!value.includes("{ext}")) {
    throw new InvalidArgumentError(
      `"${value}" has no {ext}: use e.g. SIP/{ext} or Local/{ext}@from-internal.`,
    );
  }
  return value;
}

/** Builds the `test-client` subcommand. */
export function testClientCommand(ctx: CliContext): Command {
  const mock = MOCK_AMI_DEFAULTS;
  return new Command("test-client")
    .summary("the seed's seven AMI checks, against mock-ami or a real PBX")
    .description(
      "Check an AMI server with the seed's seven steps: connect and login, active channels, " +
        "originate a listen (ChanSpy), originate a playback (ControlPlayback), pause/resume, " +
        "hangup, logoff. Against mock-ami by default; with --real against your PBX. " +
        "Every channel it starts is hung up, even when a step fails; one it cannot hang up " +
        "is named, and the exit code is 1.",
    )
    .addOption(
      new Option(
        "--real",
        "check a real PBX: --host, --user, --secret and --listener-extension are then required",
      ),
    )
    .addOption(
      new Option("--host <host>", "AMI host").env("ASTRIX_AMI_HOST")
        .default(undefined, `mock-ami's ${mock.host}`),
    )
    .addOption(
      new Option("--port <port>", "AMI port").env("ASTRIX_AMI_PORT")
        .default(undefined, String(mock.port)).argParser(parsePort),
    )
    .addOption(
      new Option("--user <name>", "AMI username").env("ASTRIX_AMI_USER")
        .default(undefined, `mock-ami's ${mock.username}`),
    )
    .addOption(
      new Option("--secret <secret>", "AMI secret; prefer the env var: it stays out of `ps`").env(
        "ASTRIX_AMI_SECRET",
      ),
    )
    .addOption(
      new Option("--md5", "log in with the MD5 challenge instead of a plain secret").default(false),
    )
    .addOption(
      new Option("--target-channel <channel>", "channel to listen to")
        .default(undefined, "the first call that is up"),
    )
    .addOption(
      new Option("--listener-extension <ext>", "the phone that listens and plays")
        .default(undefined, "201 with mock-ami"),
    )
    .addOption(
      new Option("--dial-template <template>", "how an extension becomes a channel to originate")
        .default("SIP/{ext}").argParser(parseTemplate),
    )
    .addOption(
      new Option("--recording <file>", "sound file to play, without extension").default(
        "demo-congrats",
      ),
    )
    .addOption(
      new Option("--timeout <ms>", "limit of each step").default(10_000).argParser(parseCount),
    )
    .addOption(new Option("--json", "print the results as JSON").default(false))
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  astrix test-client                     # against astrix mock-ami\n" +
        "  ASTRIX_AMI_SECRET=... astrix test-client --real --host pbx.example \\\n" +
        "    --user astrix --listener-extension 201 --dial-template 'PJSIP/{ext}'",
    )
    .action(async (flags: TestClientFlags) => {
      const missing = flags.real
        ? [["--host", "ASTRIX_AMI_HOST", flags.host], ["--user", "ASTRIX_AMI_USER", flags.user], [
          "--secret",
          "ASTRIX_AMI_SECRET",
          flags.secret,
        ], ["--listener-extension", "", flags.listenerExtension]].filter(([, , v]) => !v)
        : [];
      if (missing.length > 0) {
        ctx.err(
          `astrix test-client: --real needs ${
            missing.map(([flag, env]) => env ? `${flag} (or ${env})` : flag).join(", ")
          }: no PBX address or secret is built in`,
        );
        return ctx.exit(2);
      }
      const host = flags.host ?? mock.host;
      const port = flags.port ?? mock.port;
      const username = flags.user ?? mock.username;
      const run = await runSteps({
        ami: {
          host,
          port,
          username,
          secret: flags.secret ?? mock.secret,
          authType: flags.md5 ? "md5" : "plain",
        },
        listenerExtension: flags.listenerExtension ?? "201",
        dialTemplate: flags.dialTemplate,
        targetChannel: flags.targetChannel,
        recording: flags.recording,
        timeoutMs: flags.timeout,
      });
      const kind = flags.real ? "PBX" : "mock-ami";
      if (flags.json) {
        ctx.out(formatJson({ kind, host, port, username }, run));
      } else {
        for (
          const line of formatReport(
            `astrix test-client → ${kind} at ${host}:${port} as ${username}`,
            run,
          )
        ) {
          ctx.out(line);
        }
      }
      ctx.exit(passed(run) ? 0 : 1);
    });
}
