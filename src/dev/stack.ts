/**
 * The whole mock stack in one process, for developers: mock-ami (the
 * simulated PBX), mock-recordings (synthetic recordings), and the proxy in
 * AMI mode against them, its audit and signing secret kept in a data folder,
 * with a token per role ready to use. Its pid is in `<data-dir>/dev.pid`
 * while it runs.
 *
 * @module
 */

import { AuditTamperedError } from "../audit/errors.ts";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HttpListenError, type HttpServer, serveHttp } from "../http/serve.ts";
import type { Logger } from "../log.ts";
import { createMockAmi, MOCK_AMI_DEFAULTS, type MockAmi } from "../pbx/mock_ami.ts";
import type { AsteriskMajor } from "../ami/versions.ts";
import { type RunningProxy, startProxy } from "../proxy/proxy.ts";
import type { Role } from "../proxy/roles.ts";
import { signToken } from "../proxy/tokens.ts";
import { createRecordingsApp } from "../recordings/app.ts";
import { SyntheticCatalog } from "../recordings/synthetic.ts";
import { DevAuditTamperedError, DevDataDirError, DevError, DevPortError } from "./errors.ts";
import { claimPidFile, type PidFile } from "./pid_file.ts";

export {
  DevAlreadyRunningError,
  DevAuditTamperedError,
  DevDataDirError,
  DevError,
  DevPortError,
} from "./errors.ts";

/** Options of {@linkcode startDevStack}. */
export interface DevOptions {
  host: string;
  port: number;
  amiPort: number;
  recordingsPort: number;
  dataDir: string;
  /** New calls per second on the simulated PBX. */
  churn: number;
  /** The Asterisk major the simulated PBX answers as. Default 22. */
  asterisk?: AsteriskMajor;
  logger: Logger;
}

/** Each role's phone in the stack (the simulated PBX has phones 201 to 210). */
export const DEV_EXTENSIONS: Readonly<Record<Role, string>> = {
  user: "205",
  qa: "206",
  supervisor: "209",
  admin: "210",
};

/** How long the printed tokens are valid. */
export const DEV_TOKEN_TTL_S = 12 * 3600;

/** How long the stack waits for its proxy to log in to the simulated PBX before saying it is up. */
const DEV_READY_TIMEOUT_MS = 10_000;

/** A running stack. */
export interface DevStack {
  amiPort: number;
  recordingsUrl: string;
  proxyUrl: string;
  auditDb: string;
  /** `<data-dir>/dev.pid`, holding this process's pid until close. */
  pidFile: PidFile;
  tokens: Record<Role, string>;
  /** A console login link per role: each works once, within 10 minutes of the start. */
  loginLinks: Record<Role, string>;
  /** A channel in a live call, for the examples. */
  liveChannel: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the stack; throws a DevError when it cannot: DevAlreadyRunningError
 * (the pid file names a running process), DevDataDirError, DevPortError.
 */
export async function startDevStack(options: DevOptions): Promise<DevStack> {
  const { pidFile, secret } = claimDataDir(options.dataDir);
  const closers: (() => Promise<void>)[] = [() => Promise.resolve(pidFile.release())];
  let closed: Promise<void> | undefined;
  const closeAll = () =>
    closed ??= (async () => {
      for (const close of [...closers].reverse()) await close().catch(() => {});
    })();
  try {
    const catalog = new SyntheticCatalog({ count: 20, seed: 1 });
    const durations = new Map(
      (await catalog.list({ limit: 1_000 })).recordings.map((r) => [r.file, r.durationMs ?? 0]),
    );
    const mock: MockAmi = createMockAmi({
      asterisk: options.asterisk,
      users: [{
        username: MOCK_AMI_DEFAULTS.username,
        secret: MOCK_AMI_DEFAULTS.secret,
        read: ["all"],
        write: ["all"],
      }],
      calls: 2,
      churn: options.churn,
      registerPhones: true,
      // A playback of a recording lasts as long as the recording: Asterisk plays
      // <spool>/<file>, and the last path segment is the recording's file.
      soundDurationMs: (file) => durations.get(file.slice(file.lastIndexOf("/") + 1)),
    });
    const ami = await listening(
      () => mock.listen({ hostname: options.host, port: options.amiPort }),
      options.amiPort,
      "--ami-port",
    );
    closers.push(() => mock.close());

    const recordings: HttpServer = await listening(
      () =>
        serveHttp(
          createRecordingsApp({ catalog }).fetch,
          {
            hostname: options.host,
            port: options.recordingsPort,
          },
        ),
      options.recordingsPort,
      "--recordings-port",
    );
    closers.push(() => recordings.close());

    const auditDb = join(options.dataDir, "ami_audit.db");
    const proxy: RunningProxy = await listening(
      () =>
        startProxy({
          host: options.host,
          port: options.port,
          backend: {
            kind: "ami",
            host: "127.0.0.1",
            port: ami.port,
            username: MOCK_AMI_DEFAULTS.username,
            secret: MOCK_AMI_DEFAULTS.secret,
          },
          auditDb,
          auditKeyFile: join(options.dataDir, "ami_audit.db.key"),
          auth: { kind: "hs256", secret },
          devToken: true,
          loginCodes: true,
          corsOrigins: ["*"], // a web app under development runs on another origin
          recordings: recordings.url,
          logger: options.logger,
        }).catch((error) => {
          if (error instanceof AuditTamperedError) throw new DevAuditTamperedError(auditDb, error);
          throw error;
        }),
      options.port,
      "--port",
    );
    closers.push(() => proxy.close());
    // "Up" means usable: the proxy has logged in to its PBX (on loopback, at once).
    if (!(await proxy.whenReady(DEV_READY_TIMEOUT_MS))) {
      options.logger.warn("the proxy has not logged in to the simulated PBX yet: see /readyz");
    }

    const tokens = {} as Record<Role, string>;
    for (const [role, ext] of Object.entries(DEV_EXTENSIONS) as [Role, string][]) {
      tokens[role] = await signToken(secret, {
        sub: `dev-${role}`,
        role,
        ext,
        ttlSeconds: DEV_TOKEN_TTL_S,
      });
    }
    // Links stand for the tokens by a single-use code: a token is never put in a URL.
    const loginLinks = {} as Record<Role, string>;
    for (const role of Object.keys(tokens) as Role[]) {
      loginLinks[role] = `${proxy.url}/console/login?code=${proxy.loginCode(tokens[role])}`;
    }
    const tokensFile = join(options.dataDir, "tokens.json");
    writeFileSync(tokensFile, JSON.stringify(tokens, null, 2) + "\n", { mode: 0o600 });
    chmodSync(tokensFile, 0o600);
    const live = mock.pbx.channels.find((c) =>
      c.state === 6 && c.role === "endpoint" &&
      !Object.values(DEV_EXTENSIONS).some((e) => c.name.startsWith(`SIP/${e}-`))
    );
    return {
      amiPort: ami.port,
      recordingsUrl: recordings.url,
      proxyUrl: proxy.url,
      auditDb,
      pidFile,
      tokens,
      loginLinks,
      liveChannel: live?.name,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Makes the data folder, claims its pid file, reads (or makes) its token secret. */
function claimDataDir(dataDir: string): { pidFile: PidFile; secret: Uint8Array } {
  let pidFile: PidFile | undefined;
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    pidFile = claimPidFile(join(dataDir, "dev.pid"));
    return { pidFile, secret: dataDirSecret(dataDir) };
  } catch (error) {
    pidFile?.release();
    if (error instanceof DevError) throw error;
    throw new DevDataDirError(dataDir, { cause: error });
  }
}

/** The data folder's token secret: made once (48 random bytes, mode 0600), then reused. */
function dataDirSecret(dataDir: string): Uint8Array {
  const path = join(dataDir, "jwt.secret");
  if (!existsSync(path)) {
    const bytes = crypto.getRandomValues(new Uint8Array(48));
    writeFileSync(path, btoa(String.fromCharCode(...bytes)) + "\n", { mode: 0o600, flag: "wx" });
  }
  return new TextEncoder().encode(readFileSync(path, "utf8").trim());
}

/** Runs a listen; a port in use becomes a DevPortError naming the flag. */
async function listening<T>(listen: () => Promise<T>, port: number, flag: string): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    const text = `${(error as Error)?.name} ${(error as Error)?.message} ${
      (error as { code?: string })?.code
    }`;
    if (
      (error instanceof HttpListenError && /in use/.test(error.message)) ||
      /AddrInUse|EADDRINUSE|in use/i.test(text)
    ) {
      throw new DevPortError(port, flag, { cause: error });
    }
    throw error;
  }
}
