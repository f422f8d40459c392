/**
 * `astrix token`: signs a JWT the proxy accepts (HS256, with an expiry), for
 * ops and tests. The secret comes from the same places the proxy reads it.
 * It refuses what the proxy would refuse: claims with control characters or
 * over 128 characters, and a lifetime over the proxy's --max-token-lifetime
 * (24 h unless told the proxy accepts longer ones).
 *
 * @module
 */

import { Command, Option } from "commander";
import { readFileSync } from "node:fs";
import { parseLifetime } from "../src/config.ts";
import { DEFAULT_MAX_TOKEN_LIFETIME_S, MIN_SECRET_BYTES } from "../src/proxy/auth.ts";
import { claimProblem } from "../src/proxy/claims.ts";
import { InvalidClaimError } from "../src/proxy/errors.ts";
import { type Role, ROLES } from "../src/proxy/roles.ts";
import { signToken } from "../src/proxy/tokens.ts";
import type { CliContext } from "./context.ts";

interface TokenFlags {
  user?: string;
  sub?: string;
  role: Role;
  ext?: string;
  pbx?: string[];
  ttl: number;
  maxTokenLifetime: number;
  secret?: string;
  secretFile?: string;
  issuer: string;
  audience: string;
}

/** Builds the `token` subcommand. */
export function tokenCommand(ctx: CliContext): Command {
  return new Command("token")
    .summary("sign a token for the proxy")
    .description(
      "Sign a token for the proxy (HS256, with an expiry): who (--user), which role, which phone. " +
        "Use the proxy's secret: ASTRIX_JWT_SECRET_FILE, --secret-file or ASTRIX_JWT_SECRET.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  astrix token --user u17 --role supervisor --ext 201 \\\n" +
        "    --secret-file /etc/astrix/jwt.secret\n" +
        "  astrix token --user qa7 --role qa --ext 206 --ttl 8h   # a work day, not 1h\n" +
        "  astrix token --user sup3 --role supervisor --pbx floor3   # floor3 only",
    )
    .addOption(new Option("--user <id>", "the user id (the JWT's sub claim)"))
    .addOption(new Option("--sub <id>", "the same as --user").hideHelp())
    .addOption(new Option("--role <role>", "the role").choices([...ROLES]).makeOptionMandatory())
    .addOption(new Option("--ext <extension>", "the user's own phone: where its audio rings"))
    .addOption(
      new Option(
        "--pbx <names>",
        "the PBXs the token may reach, comma-separated (the pbx claim); every PBX by default",
      ).argParser((value) => value.split(",").map((name) => name.trim()).filter(Boolean)),
    )
    .addOption(
      new Option("--ttl <lifetime>", "how long it is valid: seconds, or 15m, 8h, 7d").default(
        3_600,
        "1h",
      ).argParser(parseLifetime),
    )
    .addOption(
      new Option(
        "--max-token-lifetime <lifetime>",
        "the proxy's --max-token-lifetime: a longer --ttl is refused",
      ).env("ASTRIX_MAX_TOKEN_LIFETIME").default(DEFAULT_MAX_TOKEN_LIFETIME_S, "24h")
        .argParser(parseLifetime),
    )
    .addOption(
      new Option("--secret <secret>", "HS256 secret; prefer the env var or a file").env(
        "ASTRIX_JWT_SECRET",
      ),
    )
    .addOption(
      new Option("--secret-file <path>", "file holding the secret").env("ASTRIX_JWT_SECRET_FILE"),
    )
    .addOption(new Option("--issuer <iss>", "iss claim").env("ASTRIX_JWT_ISSUER").default("astrix"))
    .addOption(
      new Option("--audience <aud>", "aud claim").env("ASTRIX_JWT_AUDIENCE").default("astrix"),
    )
    .action(async (flags: TokenFlags) => {
      const user = flags.user ?? flags.sub;
      if (user === undefined || user === "") {
        ctx.err("astrix token: say who the token is for: --user <id>");
        return ctx.exit(2);
      }
      let secret = flags.secret;
      if (flags.secretFile !== undefined) {
        try {
          secret = readFileSync(flags.secretFile, "utf8").trim();
        } catch (error) {
          ctx.err(`astrix token: cannot read ${flags.secretFile}: ${(error as Error).message}`);
          return ctx.exit(2);
        }
      }
      if (secret === undefined) {
        ctx.err(
          "astrix token: give the proxy's secret: ASTRIX_JWT_SECRET_FILE, --secret-file or ASTRIX_JWT_SECRET",
        );
        return ctx.exit(2);
      }
      const bytes = new TextEncoder().encode(secret);
      if (bytes.length < MIN_SECRET_BYTES) {
        ctx.err(
          `astrix token: the secret is ${bytes.length} bytes; the proxy needs at least ${MIN_SECRET_BYTES}`,
        );
        return ctx.exit(2);
      }
      const userProblem = claimProblem(user);
      if (userProblem !== undefined) {
        // The value is not repeated: it may hold what would garble this terminal.
        ctx.err(`astrix token: --user ${userProblem}; give a plain-text id`);
        return ctx.exit(2);
      }
      if (flags.ext !== undefined && !/^[0-9A-Za-z_*#+-]{1,32}$/.test(flags.ext)) {
        ctx.err(`astrix token: ${JSON.stringify(flags.ext)} is not an extension`);
        return ctx.exit(2);
      }
      if (flags.ttl > flags.maxTokenLifetime) {
        ctx.err(
          `astrix token: --ttl of ${flags.ttl} s is longer than the proxy accepts ` +
            `(--max-token-lifetime, ${flags.maxTokenLifetime} s): sign a shorter one, or, if the ` +
            "proxy runs with a longer --max-token-lifetime, pass the same here",
        );
        return ctx.exit(2);
      }
      try {
        ctx.out(
          await signToken(bytes, {
            sub: user,
            role: flags.role,
            ext: flags.ext,
            pbx: flags.pbx,
            ttlSeconds: flags.ttl,
            issuer: flags.issuer,
            audience: flags.audience,
          }),
        );
      } catch (error) {
        if (!(error instanceof InvalidClaimError)) throw error;
        ctx.err(`astrix token: ${error.message}`);
        return ctx.exit(2);
      }
      ctx.exit(0);
    });
}
