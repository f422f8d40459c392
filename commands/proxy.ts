/**
 * `astrix proxy`: the HTTP API in front of the PBX, with JWT auth, roles,
 * the fail-closed audit, jobs and live events.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "commander";
import { readFileSync } from "node:fs";
import process from "node:process";
import { defaultKeyFile, isPostgresUrl } from "../src/audit/mod.ts";
import { parseCount, parseLifetime, parsePort, parsePublicUrl } from "../src/config.ts";
import { HttpListenError } from "../src/http/serve.ts";
import { createLogger } from "../src/log.ts";
import { DEFAULT_MAX_TOKEN_LIFETIME_S } from "../src/proxy/auth.ts";
import { ProxyConfigError } from "../src/proxy/errors.ts";
import {
  type BackendConfig,
  type NamedAmiLogin,
  type ProxyConfig,
  startProxy,
} from "../src/proxy/proxy.ts";
import { DEFAULT_PBX, isPbxName, PBX_NAME_RULE } from "../src/proxy/pbx_names.ts";
import { AuditUnavailableError } from "../src/audit/errors.ts";
import { RecordingsDirectoryError } from "../src/recordings/errors.ts";
import type { CliContext } from "./context.ts";

interface ProxyFlags {
  host: string;
  port: number;
  ami?: AmiTargetFlag[];
  amiUser?: string;
  amiSecret?: string;
  amiSecretFile?: string;
  amiMd5: boolean;
  forward?: string;
  auditDb: string;
  auditKeyFile?: string;
  auditBusyTimeout: number;
  jwtSecret?: string;
  jwtSecretFile?: string;
  jwksUrl?: string;
  jwtIssuer: string;
  jwtAudience: string;
  maxTokenLifetime: number;
  recordings?: string;
  spoolDir: string;
  dialTemplate: string;
  devToken: boolean;
  jobRetention: number;
  fleetDeadAfter: number;
  logFormat: "json" | "pretty";
  corsOrigin?: string[];
  publicUrl?: string;
}

/** `host:port`, `[::1]:5038`, or a host alone (port 5038). */
export function parseHostPort(value: string): { host: string; port: number } {
  const match = value.trim().match(/^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/);
  const port = Number(match?.[3] ?? 5038);
  if (!match || port < 1 || port > 65_535) {
    throw new InvalidArgumentError(`"${value}" is not HOST:PORT (e.g. 127.0.0.1:5038).`);
  }
  return { host: match[1] ?? match[2], port };
}

/**
 * One PBX behind the proxy, as `--ami [NAME=]HOST:PORT` (or a config file's
 * `[ami.NAME]` table) gives it: a user, secret or md5 of its own overrides
 * the proxy-wide `--ami-user`, `--ami-secret`/`--ami-secret-file`, `--ami-md5`.
 */
export interface AmiTargetFlag {
  name: string;
  host: string;
  port: number;
  user?: string;
  secret?: string;
  secretFile?: string;
  md5?: boolean;
}

/**
 * `--ami`'s parser: `NAME=HOST:PORT`, or `HOST:PORT` alone for the PBX named
 * `default`; several comma-separated (as `ASTRIX_AMI` may hold them), added to
 * those of the earlier `--ami` flags. Names are checked by {@linkcode amiLogins}.
 *
 * @example
 * ```ts
 * parseAmiTargets("floor1=10.1.0.5:5038,floor2=10.2.0.5");
 * // [{ name: "floor1", host: "10.1.0.5", port: 5038 }, { name: "floor2", host: "10.2.0.5", port: 5038 }]
 * ```
 */
export function parseAmiTargets(value: string, previous: AmiTargetFlag[] = []): AmiTargetFlag[] {
  const parts = value.split(",").map((part) => part.trim()).filter(Boolean);
  if (parts.length === 0) {
    throw new InvalidArgumentError(`"${value}" names no PBX: give [NAME=]HOST:PORT`);
  }
  return [
    ...previous,
    ...parts.map((part) => {
      const equals = part.indexOf("=");
      const name = equals < 0 ? DEFAULT_PBX : part.slice(0, equals).trim();
      return { name, ...parseHostPort(part.slice(equals + 1)) };
    }),
  ];
}

/** The proxy-wide AMI login, for the PBXs that have none of their own. */
export interface SharedAmiLogin {
  user?: string;
  secret?: string;
  secretFile?: string;
  md5?: boolean;
}

/**
 * Each PBX's AMI login: its own user, secret (or secret file) and md5, else
 * the proxy-wide ones. Throws ProxyConfigError for a bad or repeated name,
 * or a PBX left without a user or secret.
 */
export function amiLogins(
  targets: readonly AmiTargetFlag[],
  shared: SharedAmiLogin,
): NamedAmiLogin[] {
  const needsShared = targets.some((t) => t.secret === undefined && t.secretFile === undefined);
  const sharedSecret = needsShared
    ? shared.secret ?? readSecretFile(shared.secretFile, "--ami-secret-file")
    : undefined;
  const seen = new Set<string>();
  return targets.map((target) => {
    const { name } = target;
    if (!isPbxName(name)) {
      throw new ProxyConfigError(`--ami: the PBX name "${name}" is not ${PBX_NAME_RULE}`);
    }
    if (seen.has(name)) {
      throw new ProxyConfigError(
        `--ami names the PBX "${name}" twice: give each PBX its own name (NAME=HOST:PORT)`,
      );
    }
    seen.add(name);
    const which = targets.length > 1 || name !== DEFAULT_PBX ? ` for the PBX "${name}"` : "";
    const username = target.user ?? shared.user;
    if (!username) {
      throw new ProxyConfigError(`--ami needs --ami-user (or ASTRIX_AMI_USER)${which}`);
    }
    const secret = target.secret ??
      readSecretFile(target.secretFile, `the secret file of the PBX "${name}"`) ?? sharedSecret;
    if (!secret) {
      throw new ProxyConfigError(
        `--ami needs the AMI secret${which}: ASTRIX_AMI_SECRET, --ami-secret-file or --ami-secret`,
      );
    }
    const md5 = target.md5 ?? shared.md5 ?? false;
    return { name, host: target.host, port: target.port, username, secret, md5 };
  });
}

function parseDialTemplate(value: string): string {
  if (
    !/^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_@.+#*:;=\-]*\{ext\}[A-Za-z0-9_@.+#*:;=\-]*$/.test(value)
  ) {
    throw new InvalidArgumentError(
      `"${value}" is not a dial template like SIP/{ext}, PJSIP/{ext} or Local/{ext}@from-internal.`,
    );
  }
  return value;
}

/** Builds the `proxy` subcommand. */
export function proxyCommand(ctx: CliContext): Command {
  return new Command("proxy")
    .summary("the HTTP API in front of the PBX (JWT, roles, audit, live events)")
    .description(
      "Run the HTTP API in front of the PBX: JWT auth, roles, an audit row before every PBX " +
        "action (nothing is sent when the audit cannot be written), jobs and live events. " +
        "Backend: --ami HOST:PORT (production; several PBXs: --ami NAME=HOST:PORT repeated), " +
        "--forward URL, or neither: the simulated PBX.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  ASTRIX_AMI_SECRET_FILE=/etc/astrix/ami.secret \\\n" +
        "  ASTRIX_JWT_SECRET_FILE=/etc/astrix/jwt.secret \\\n" +
        "    astrix proxy --ami 127.0.0.1:5038 --ami-user astrix \\\n" +
        "      --recordings /var/spool/asterisk/monitor\n" +
        "  ASTRIX_JWT_SECRET_FILE=/etc/astrix/jwt.secret astrix proxy --ami-user astrix \\\n" +
        "    --ami-secret-file /etc/astrix/ami.secret \\\n" +
        "    --ami floor1=10.1.0.5:5038 --ami floor2=10.2.0.5:5038   # two PBXs\n" +
        "  astrix proxy --dev-token      # the simulated PBX; the seed's dev token works\n" +
        "  astrix proxy --jwt-issuer https://id.example.com \\\n" +
        "    --jwks-url https://id.example.com/.well-known/jwks.json",
    )
    .addOption(
      new Option("--host <host>", "address to listen on; 0.0.0.0 for every interface")
        .env("ASTRIX_PROXY_HOST").default("127.0.0.1"),
    )
    .addOption(
      new Option("--port <port>", "port to listen on; the seed's AMI_PROXY_PORT works too")
        .env("ASTRIX_PROXY_PORT").default(8080).argParser(parsePort),
    )
    .addOption(
      new Option(
        "--ami <[name=]host:port>",
        "a PBX's AMI: the production backend; NAME=HOST:PORT repeated for several PBXs, " +
          "comma-separated in the env var",
      ).env("ASTRIX_AMI").argParser(parseAmiTargets),
    )
    .addOption(
      new Option("--ami-user <name>", "AMI user, from manager.conf").env("ASTRIX_AMI_USER"),
    )
    .addOption(
      new Option("--ami-secret <secret>", "AMI secret; prefer the env var or --ami-secret-file")
        .env("ASTRIX_AMI_SECRET"),
    )
    .addOption(
      new Option("--ami-secret-file <path>", "file holding the AMI secret").env(
        "ASTRIX_AMI_SECRET_FILE",
      ),
    )
    .addOption(new Option("--ami-md5", "log in with the MD5 challenge").default(false))
    .addOption(
      new Option(
        "--forward <url>",
        "send requests to an upstream adapter; the seed's AMI_PROXY_FORWARD works too",
      )
        .env("ASTRIX_PROXY_FORWARD"),
    )
    .addOption(
      new Option(
        "--audit-db <file|url>",
        "the audit database: a SQLite file, or postgres://... shared by several proxies",
      ).env("ASTRIX_AUDIT_DB").default(
        "ami_audit.db",
      ),
    )
    .addOption(
      new Option("--audit-key-file <file>", "the audit's HMAC key, created if absent")
        .env("ASTRIX_AUDIT_KEY_FILE").default(undefined, "<db>.key"),
    )
    .addOption(
      new Option(
        "--audit-busy-timeout <ms>",
        "how long a request waits for another process's lock on the audit before it answers 503",
      ).env("ASTRIX_AUDIT_BUSY_TIMEOUT").default(10_000).argParser(parseCount),
    )
    .addOption(
      new Option("--jwt-secret <secret>", "HS256 secret, ≥ 32 bytes; prefer the env var or a file")
        .env("ASTRIX_JWT_SECRET"),
    )
    .addOption(
      new Option("--jwt-secret-file <path>", "file holding the HS256 secret").env(
        "ASTRIX_JWT_SECRET_FILE",
      ),
    )
    .addOption(
      new Option("--jwks-url <url>", "verify RS256/ES256 tokens with this JWKS").env(
        "ASTRIX_JWKS_URL",
      ),
    )
    .addOption(
      new Option("--jwt-issuer <iss>", "required iss claim").env("ASTRIX_JWT_ISSUER").default(
        "astrix",
      ),
    )
    .addOption(
      new Option("--jwt-audience <aud>", "required aud claim").env("ASTRIX_JWT_AUDIENCE").default(
        "astrix",
      ),
    )
    .addOption(
      new Option(
        "--max-token-lifetime <lifetime>",
        "longest token lifetime accepted (exp - iat): seconds, or 15m, 8h, 7d",
      ).env("ASTRIX_MAX_TOKEN_LIFETIME").default(DEFAULT_MAX_TOKEN_LIFETIME_S, "24h")
        .argParser(parseLifetime),
    )
    .addOption(
      new Option(
        "--recordings <url|dir>",
        "recordings server URL or folder; synthetic ones by default in simulate mode",
      )
        .env("ASTRIX_RECORDINGS"),
    )
    .addOption(
      new Option("--spool-dir <dir>", "where Asterisk finds recordings").env("ASTRIX_SPOOL_DIR")
        .default("/var/spool/asterisk/monitor"),
    )
    .addOption(
      new Option("--dial-template <template>", "how an extension becomes a channel to call")
        .env("ASTRIX_DIAL_TEMPLATE").default("SIP/{ext}").argParser(parseDialTemplate),
    )
    .addOption(
      new Option(
        "--dev-token",
        "accept the seed's token test-token-for-local-dev; simulated PBX only",
      )
        .default(false),
    )
    .addOption(
      new Option(
        "--fleet-dead-after <ms>",
        "with a postgres:// audit, jobs are shared by its proxies: a proxy silent this long has " +
          "its live jobs taken over by another",
      ).env("ASTRIX_FLEET_DEAD_AFTER").default(10_000).argParser(parseCount),
    )
    .addOption(
      new Option("--job-retention <ms>", "how long ended jobs stay readable").env(
        "ASTRIX_JOB_RETENTION",
      ).default(3_600_000).argParser(parseCount),
    )
    .addOption(
      new Option(
        "--cors-origin <origins>",
        "browser origins allowed to call the API: comma-separated, or *; none by default",
      ).env("ASTRIX_CORS_ORIGINS").argParser((value) =>
        value.split(",").map((o) => o.trim()).filter(Boolean)
      ),
    )
    .addOption(
      new Option(
        "--public-url <url>",
        "where browsers open the console when a proxy in front changes it (TLS in nginx: " +
          "https://console.example.com): console logins must come from it, its cookie is Secure " +
          "when it is https",
      ).env("ASTRIX_PUBLIC_URL").argParser(parsePublicUrl),
    )
    .addOption(
      new Option("--log-format <format>", "request and event logs on stderr").choices([
        "json",
        "pretty",
      ])
        .env("ASTRIX_LOG_FORMAT").default("json"),
    )
    .action(async (flags: ProxyFlags, command: Command) => {
      const logger = createLogger({ format: flags.logFormat });
      let config: ProxyConfig;
      try {
        config = proxyConfig(flags, command, logger);
      } catch (error) {
        if (!(error instanceof ProxyConfigError)) throw error;
        ctx.err(`astrix proxy: ${error.message}`);
        return ctx.exit(2);
      }
      let proxy;
      try {
        proxy = await startProxy(config);
      } catch (error) {
        if (error instanceof RecordingsDirectoryError) {
          // The library's message names mock-recordings' flag; here it is --recordings.
          ctx.err(
            `astrix proxy: --recordings "${flags.recordings}" is not a readable directory ` +
              `(${(error.cause as Error)?.message}): give a folder or an http(s):// URL`,
          );
          return ctx.exit(2);
        }
        if (
          error instanceof ProxyConfigError || error instanceof AuditUnavailableError ||
          error instanceof HttpListenError
        ) {
          // A port in use or an audit file that cannot be opened is configuration too.
          ctx.err(`astrix proxy: ${error.message}`);
          return ctx.exit(2);
        }
        throw error;
      }
      // Listening before it says so: a SIGTERM right after the banner still stops it cleanly.
      const stopping = ctx.stopSignal();
      for (const fact of proxy.facts) ctx.out(fact);
      const signal = await stopping;
      ctx.err(`astrix proxy: ${signal}, stopping`);
      await proxy.close();
      ctx.exit(0);
    });
}

function proxyConfig(
  flags: ProxyFlags,
  command: Command,
  logger: ReturnType<typeof createLogger>,
): ProxyConfig {
  // The seed's environment names keep working.
  const env = process.env;
  let port = flags.port;
  // Environment variables win over the config file, the seed's too.
  const fromFile = (option: string) =>
    ["default", "config", undefined].includes(command.getOptionValueSource(option));
  if (fromFile("port") && env.AMI_PROXY_PORT) {
    port = parsePort(env.AMI_PROXY_PORT);
  }
  const forward = fromFile("forward") && env.AMI_PROXY_FORWARD !== undefined
    ? env.AMI_PROXY_FORWARD
    : flags.forward;
  if (forward !== undefined && flags.ami) {
    throw new ProxyConfigError("Give either --ami or --forward, not both");
  }
  let backend: BackendConfig;
  if (flags.ami) {
    const pbxs = amiLogins(flags.ami, {
      user: flags.amiUser,
      secret: flags.amiSecret,
      secretFile: flags.amiSecretFile,
      md5: flags.amiMd5,
    });
    backend = { kind: "ami", pbxs };
  } else if (forward !== undefined) {
    let url: URL;
    try {
      url = new URL(forward);
    } catch {
      throw new ProxyConfigError(`--forward "${forward}" is not a URL`);
    }
    backend = { kind: "forward", url };
  } else {
    backend = { kind: "simulate" };
  }
  if (flags.devToken && backend.kind !== "simulate") {
    throw new ProxyConfigError(
      "--dev-token is for the simulated PBX only: a known token must never open a real PBX",
    );
  }
  const secretText = flags.jwtSecret ?? readSecretFile(flags.jwtSecretFile, "--jwt-secret-file");
  if (secretText !== undefined && flags.jwksUrl !== undefined) {
    throw new ProxyConfigError("Give either a JWT secret or --jwks-url, not both");
  }
  if (secretText === undefined && flags.jwksUrl === undefined && !flags.devToken) {
    throw new ProxyConfigError(
      "Tokens need a key: ASTRIX_JWT_SECRET_FILE / --jwt-secret-file, ASTRIX_JWT_SECRET, or --jwks-url " +
        "(or --dev-token with the simulated PBX)",
    );
  }
  let auth: ProxyConfig["auth"];
  if (flags.jwksUrl) {
    try {
      auth = { kind: "jwks", url: new URL(flags.jwksUrl) };
    } catch {
      throw new ProxyConfigError(`--jwks-url "${flags.jwksUrl}" is not a URL`);
    }
  } else {
    // With --dev-token alone, a random secret: only the dev token gets in.
    auth = {
      kind: "hs256",
      secret: secretText !== undefined
        ? new TextEncoder().encode(secretText)
        : crypto.getRandomValues(new Uint8Array(48)),
    };
  }
  return {
    host: flags.host,
    port,
    backend,
    auditDb: flags.auditDb,
    auditKeyFile: flags.auditKeyFile ?? defaultAuditKeyFile(flags.auditDb),
    auditBusyTimeoutMs: flags.auditBusyTimeout,
    auth,
    issuer: flags.jwtIssuer,
    audience: flags.jwtAudience,
    maxTokenLifetimeSeconds: flags.maxTokenLifetime,
    devToken: flags.devToken,
    recordings: flags.recordings,
    spoolDir: flags.spoolDir,
    dialTemplate: flags.dialTemplate,
    jobRetentionMs: flags.jobRetention,
    fleetDeadAfterMs: flags.fleetDeadAfter,
    corsOrigins: flags.corsOrigin,
    publicUrl: flags.publicUrl,
    logger,
  };
}

/** `<db>.key` beside a SQLite file; a PostgreSQL audit's key must be named (every proxy shares it). */
function defaultAuditKeyFile(db: string): string {
  if (isPostgresUrl(db)) {
    throw new ProxyConfigError(
      "A postgres:// --audit-db needs --audit-key-file (or ASTRIX_AUDIT_KEY_FILE): the same key " +
        "file on every proxy writing to that database (the first proxy creates it; copy it to " +
        "the others with mode 0600)",
    );
  }
  return defaultKeyFile(db);
}

function readSecretFile(path: string | undefined, flag: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new ProxyConfigError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}
