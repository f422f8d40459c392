/**
 * `astrix mock-ami`: a simulated Asterisk PBX speaking AMI, for building
 * and testing the call-center app without a PBX.
 *
 * @module
 */

import { Command, Option } from "commander";
import { readFileSync } from "node:fs";
import type { AmiUser } from "../src/ami/server.ts";
import { asteriskProfile } from "../src/ami/profiles.ts";
import type { AsteriskMajor } from "../src/ami/versions.ts";
import {
  collect,
  parseAsterisk,
  parseCount,
  parseExtensions,
  parsePort,
  parseRate,
  parseUsersFile,
  parseUserSpec,
} from "../src/config.ts";
import { createMockAmi, DEFAULT_EXTENSIONS, MOCK_AMI_DEFAULTS } from "../src/pbx/mock_ami.ts";
import type { CliContext } from "./context.ts";

interface MockAmiFlags {
  host: string;
  port: number;
  user?: AmiUser[];
  usersFile?: string;
  asterisk: AsteriskMajor;
  tech: "SIP" | "PJSIP";
  extensions: string[];
  calls: number;
  churn: number;
  latency: number;
  answerDelay: number;
  refuseLogins: boolean;
  dropAfter?: number;
  seed: number;
}

/** Builds the `mock-ami` subcommand. */
export function mockAmiCommand(ctx: CliContext): Command {
  const { host, port, username, secret } = MOCK_AMI_DEFAULTS;
  return new Command("mock-ami")
    .summary("a simulated Asterisk PBX speaking AMI")
    .description(
      "Run a simulated Asterisk PBX that speaks AMI as Asterisk 22 does, or as the version " +
        "--asterisk names (11, 13, 16, 18, 20): phones, live calls, Originate (ChanSpy, " +
        "ControlPlayback), Hangup, CoreShowChannels, Command, Getvar/Setvar, Status and their " +
        "events, in that version's shapes. SIP phones register as it starts and renew every " +
        "minute (PeerStatus: Registered), and their calls carry chan_sip's variables. " +
        `Without --user or --users-file it accepts the dev account ${username}:${secret}.`,
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  astrix mock-ami                      # 127.0.0.1:5038, phones 201-210, 2 calls\n" +
        "  astrix mock-ami --port 0 --churn 2   # any free port, 2 new calls a second\n" +
        "  astrix mock-ami --asterisk 11        # an older Issabel 4 box (AMI 1.3)\n" +
        "  astrix mock-ami --user app:s3cret --tech PJSIP --extensions 100-199",
    )
    .addOption(
      new Option("--host <host>", "address to listen on").env("ASTRIX_MOCK_AMI_HOST").default(host),
    )
    .addOption(
      new Option("--port <port>", "port to listen on; 0 picks a free one, printed")
        .env("ASTRIX_MOCK_AMI_PORT").default(port).argParser(parsePort),
    )
    .addOption(
      new Option("--user <name:secret>", "an AMI account with all permissions; repeatable")
        .env("ASTRIX_MOCK_AMI_USER").argParser(collect(parseUserSpec)),
    )
    .addOption(
      new Option(
        "--users-file <path>",
        "AMI accounts in manager.conf syntax: [name], secret, read, write",
      )
        .env("ASTRIX_MOCK_AMI_USERS_FILE"),
    )
    .addOption(
      new Option(
        "--asterisk <major>",
        "the Asterisk version to answer as (banner, answers, events): 11, 13, 16, 18, 20 or 22",
      )
        .env("ASTRIX_MOCK_AMI_ASTERISK").default(22).argParser(parseAsterisk),
    )
    .addOption(
      new Option("--tech <tech>", "channel technology of the phones").env("ASTRIX_MOCK_AMI_TECH")
        .choices(["SIP", "PJSIP"]).default("SIP"),
    )
    .addOption(
      new Option("--extensions <list>", "phone extensions, e.g. 201-210 or 201,202,300-305")
        .env("ASTRIX_MOCK_AMI_EXTENSIONS").default(DEFAULT_EXTENSIONS, "201-210").argParser(
          parseExtensions,
        ),
    )
    .addOption(
      new Option("--calls <n>", "live calls at start").env("ASTRIX_MOCK_AMI_CALLS").default(2)
        .argParser(parseCount),
    )
    .addOption(
      new Option(
        "--churn <rate>",
        "new calls per second, 0 for none; churned calls last 20 s to 3 min",
      )
        .env("ASTRIX_MOCK_AMI_CHURN").default(0).argParser(parseRate),
    )
    .addOption(
      new Option("--latency <ms>", "delay before each action is answered").env(
        "ASTRIX_MOCK_AMI_LATENCY",
      )
        .default(0).argParser(parseCount),
    )
    .addOption(
      new Option("--answer-delay <ms>", "how long a phone rings before it answers")
        .env("ASTRIX_MOCK_AMI_ANSWER_DELAY").default(300).argParser(parseCount),
    )
    .addOption(
      new Option("--refuse-logins", 'fault: every login fails with "Authentication failed"')
        .env("ASTRIX_MOCK_AMI_REFUSE_LOGINS").default(false),
    )
    .addOption(
      new Option(
        "--drop-after <n>",
        "fault: close a session without answering its action number n+1",
      )
        .env("ASTRIX_MOCK_AMI_DROP_AFTER").argParser(parseCount),
    )
    .addOption(
      new Option("--seed <n>", "seed of the simulated traffic").env("ASTRIX_MOCK_AMI_SEED").default(
        1,
      )
        .argParser(parseCount),
    )
    .action(async (flags: MockAmiFlags) => {
      let users: AmiUser[];
      try {
        users = [
          ...(flags.user ?? []),
          ...(flags.usersFile
            ? parseUsersFile(readFileSync(flags.usersFile, "utf8"), flags.usersFile)
            : []),
        ];
      } catch (error) {
        const reason = (error as { code?: string }).code === "ENOENT"
          ? "no such file"
          : (error as Error).message;
        ctx.err(
          `astrix mock-ami: --users-file "${flags.usersFile}" cannot be read: ${reason} ` +
            "(a manager.conf-style file: [name] sections with secret, read and write)",
        );
        return ctx.exit(2);
      }
      if (users.length === 0) users.push(parseUserSpec(`${username}:${secret}`));
      const mock = createMockAmi({
        asterisk: flags.asterisk,
        users,
        tech: flags.tech,
        extensions: flags.extensions,
        calls: flags.calls,
        churn: flags.churn,
        seed: flags.seed,
        latencyMs: flags.latency,
        answerDelayMs: flags.answerDelay,
        refuseLogins: flags.refuseLogins,
        dropAfterActions: flags.dropAfter,
        registerPhones: true,
      });
      let addr;
      try {
        addr = await mock.listen({ hostname: flags.host, port: flags.port });
      } catch (error) {
        if (!inUse(error)) throw error;
        ctx.err(
          `astrix mock-ami: Port ${flags.port} on ${flags.host} is already in use: ` +
            "stop the other process or choose another with --port",
        );
        return ctx.exit(2);
      }
      const exts = flags.extensions;
      // Listening before it says so: a SIGTERM right after the banner still stops it cleanly.
      const stopping = ctx.stopSignal();
      ctx.out(
        `mock-ami listening on ${addr.hostname}:${addr.port} (AMI, Asterisk ${
          asteriskProfile(flags.asterisk).version
        }) · users: ${
          users.map((u) => u.username).join(", ")
        } · ${exts.length} ${flags.tech} phones ${exts[0]}${
          exts.length > 1 ? `-${exts.at(-1)}` : ""
        } · ` +
          `${flags.calls} live calls${flags.churn > 0 ? ` · churn ${flags.churn}/s` : ""}`,
      );
      const signal = await stopping;
      ctx.err(`astrix mock-ami: ${signal}, stopping`);
      await mock.close();
      ctx.exit(0);
    });
}

/** Is `error` "address in use"? (a usage error: exit 2, naming the flag to change) */
function inUse(error: unknown): boolean {
  return error instanceof Error && /in use|EADDRINUSE/i.test(`${error.name} ${error.message}`);
}
