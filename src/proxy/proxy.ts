/**
 * Assembles a running proxy from its configuration: the audit log (opened
 * first: no audit, no proxy), the token verifier, the backend of each PBX
 * (AMI, or the simulated PBX in-process over loopback), the job store and
 * SSE hub wired together, the recordings source, and the HTTP server. `close()` stops in
 * the order that loses nothing: end the event streams with a final event,
 * stop accepting and finish the requests in flight, log off the PBX, close
 * the database.
 *
 * @module
 */

import process from "node:process";
import { isPostgresUrl } from "../audit/mod.ts";
import { serveHttp } from "../http/serve.ts";
import type { Logger } from "../log.ts";
import type { MockAmi } from "../pbx/mock_ami.ts";
import { DirectoryCatalog } from "../recordings/directory.ts";
import { SyntheticCatalog } from "../recordings/synthetic.ts";
import { createProxyApp } from "./app.ts";
import { AuditBrowser } from "./audit_browser.ts";
import { auditEventHandler } from "./audit_events.ts";
import { openAuditWriter } from "./audit_sink.ts";
import { AuditTrail } from "./audit_trail.ts";
import { Authenticator, describeLifetime } from "./auth.ts";
import { type BackendConfig, startPbxs } from "./backends/start_pbxs.ts";
import { EventHub } from "./event_hub.ts";
import { eventIdBlock, openFleetDb } from "./fleet/fleet_db.ts";
import { JobSharing } from "./fleet/job_sharing.ts";
import { SharedSessions } from "./fleet/shared_sessions.ts";
import { JobStore } from "./jobs.ts";
import { ProxyConfigError } from "./errors.ts";
import { createProxyMetrics } from "./metrics.ts";
import { RecordingsSource } from "./recordings_source.ts";
import { jobEventData } from "./stream_data.ts";
import { LoginCodes } from "./session/login_codes.ts";
import { SessionStore } from "./session/session_store.ts";

export type { BackendConfig, NamedAmiLogin } from "./backends/start_pbxs.ts";

/** Everything `astrix proxy` is told. */
export interface ProxyConfig {
  host: string;
  port: number;
  backend: BackendConfig;
  auditDb: string;
  auditKeyFile: string;
  /** How long an audit write waits for another process's lock, in ms; default 10,000. */
  auditBusyTimeoutMs?: number;
  /** Least time between two checkpoints of the audit's WAL, in ms; default 1,000. */
  auditCheckpointIntervalMs?: number;
  auth: { kind: "hs256"; secret: Uint8Array } | { kind: "jwks"; url: URL };
  issuer?: string;
  audience?: string;
  /** Accept the seed's development token (simulate mode only). */
  devToken?: boolean;
  /**
   * AMI events the proxy holds while its job tracking and SSE fan-out catch up; beyond, the
   * oldest are dropped and SSE carries a `gap` event with their count. Default 100,000.
   */
  amiEventBufferSize?: number;
  /** Longest token lifetime accepted, in seconds (`--max-token-lifetime`); default 24 h. */
  maxTokenLifetimeSeconds?: number;
  /** `http(s)://...` of a recordings server, or a folder; default: synthetic set in simulate mode. */
  recordings?: string;
  /** Where Asterisk finds recordings. Default `/var/spool/asterisk/monitor`. */
  spoolDir?: string;
  /** Default `SIP/{ext}`. */
  dialTemplate?: string;
  /** How long ended jobs stay readable, in ms. */
  jobRetentionMs?: number;
  /**
   * How long a silent proxy's live jobs wait before another takes them over, in ms; default
   * 10,000. Each proxy says it is alive five times in that time.
   */
  fleetDeadAfterMs?: number;
  /** Interval of SSE heartbeats, in ms. Default 15,000. */
  heartbeatMs?: number;
  /** Browser origins allowed to call the API (`*` for any). */
  corsOrigins?: string[];
  /**
   * The URL browsers open the console at, when a proxy in front changes it (TLS terminated by
   * nginx: `https://console.example.com`): logins must come from its origin; cookies are Secure
   * when it is `https:`.
   */
  publicUrl?: string;
  /** Lets {@linkcode RunningProxy.loginCode} mint console login links (`astrix dev` only). */
  loginCodes?: boolean;
  /** Seconds since the epoch, for tests: tokens, console sessions and login codes. */
  now?: () => number;
  logger: Logger;
}

/** A running proxy. */
export interface RunningProxy {
  url: string;
  port: number;
  /** One line per fact, for the startup banner. */
  facts: string[];
  /** The in-process simulated PBX (simulate mode), for tests. */
  simulated?: MockAmi;
  /**
   * Resolves true once every PBX's backend is ready (logged in, its permissions checked),
   * false when one is not within `timeoutMs`; `/readyz` says why.
   */
  whenReady(timeoutMs: number): Promise<boolean>;
  /**
   * A single-use code for `GET /console/login?code=`, standing for `token` for 10 minutes;
   * throws ProxyConfigError unless the proxy was started with `loginCodes: true`.
   */
  loginCode(token: string): string;
  close(): Promise<void>;
}

/** Starts a proxy; throws ProxyConfigError / AuditUnavailableError / HttpListenError. */
export async function startProxy(config: ProxyConfig): Promise<RunningProxy> {
  const logger = config.logger;
  const startedAt = Date.now();
  const auth = config.auth.kind === "hs256"
    ? Authenticator.hs256(config.auth.secret, config)
    : Authenticator.jwks(config.auth.url, config);
  const metrics = createProxyMetrics();
  const audit = await openAuditWriter({
    db: config.auditDb,
    keyFile: config.auditKeyFile,
    busyTimeoutMs: config.auditBusyTimeoutMs,
    checkpointIntervalMs: config.auditCheckpointIntervalMs,
    onEvent: auditEventHandler(metrics, logger),
  });
  const cleanup: (() => Promise<void> | void)[] = [() => audit.close()];
  try {
    // Read back beside the writer (SQLite's WAL, PostgreSQL's MVCC: readers never block it) for
    // GET /audit and /audit/verify.
    const auditReader = await AuditBrowser.open(config.auditDb, { keyFile: config.auditKeyFile });
    cleanup.push(() => auditReader.close());
    // The proxies writing one PostgreSQL audit share their jobs and console sessions through its
    // database: they act as one.
    const fleetDb = isPostgresUrl(config.auditDb) ? await openFleetDb(config.auditDb) : undefined;
    if (fleetDb) cleanup.push(() => fleetDb.end({ timeout: 5 }));
    // Event ids: from the start time, or, in a fleet, from a block no other proxy's ids reach (a
    // stream resumed on another proxy with this one's Last-Event-ID gets a reset, not a replay).
    const firstId = fleetDb ? await eventIdBlock(fleetDb) : Date.now() * 1000;
    const hub = new EventHub({ firstId, heartbeatMs: config.heartbeatMs });
    metrics.sseSubscribers.readFrom(() => hub.subscriberCount);
    metrics.sseSubscribersBehind.readFrom(() => hub.behindCount);
    cleanup.unshift(() => hub.close());
    let sharing: JobSharing | undefined;
    const jobs = new JobStore({
      retentionMs: config.jobRetentionMs,
      onChange: (job, origin) => {
        hub.publish({
          event: "job",
          data: jobEventData(job),
          jobId: job.id,
          owner: job.owner,
          pbx: job.pbx,
        });
        // Changes taken in from the fleet are already in the database.
        if (origin === "local") sharing?.publish(job);
      },
    });

    const backends = await startPbxs(config.backend, {
      jobs,
      hub,
      metrics,
      logger,
      amiEventBufferSize: config.amiEventBufferSize,
    });
    cleanup.splice(1, 0, () => backends.close());
    const { pbxs, simulated } = backends;
    if (fleetDb) {
      sharing = await JobSharing.start(fleetDb, {
        proxyId: crypto.randomUUID(),
        description: `astrix proxy pid ${process.pid} on ${config.host}:${config.port}`,
        store: jobs,
        logger,
        retentionMs: config.jobRetentionMs ?? 3_600_000,
        heartbeatMs: (config.fleetDeadAfterMs ?? 10_000) / 5,
        deadAfterMs: config.fleetDeadAfterMs ?? 10_000,
        onTakeover: () => {
          for (const { name, backend } of pbxs.all()) {
            backend.recheckJobs?.().catch((error) =>
              logger.warn("could not look the taken-over jobs' calls up", {
                pbx: name,
                error: (error as Error).message,
              })
            );
          }
        },
      });
      cleanup.splice(2, 0, () => sharing!.close());
    }

    const recordings = await recordingsSource(config);
    const trail = new AuditTrail(audit, metrics);
    metrics.auditWritable.readFrom(() => trail.problem === null ? 1 : 0);
    // In memory (a restart ends every console session: the browser logs in again), or the fleet's.
    const sessions = new SessionStore({
      now: config.now,
      shared: fleetDb && new SharedSessions(fleetDb),
    });
    const loginCodes = new LoginCodes({ now: config.now });
    const app = createProxyApp({
      auth,
      pbxs,
      jobs,
      hub,
      trail,
      sessions,
      loginCodes,
      auditReader,
      startedAt,
      recordings,
      dialTemplate: config.dialTemplate ?? "SIP/{ext}",
      spoolDir: config.spoolDir ?? "/var/spool/asterisk/monitor",
      metrics,
      logger,
      corsOrigins: config.corsOrigins,
      publicOrigin: config.publicUrl === undefined ? undefined : new URL(config.publicUrl).origin,
    });
    const server = await serveHttp(app.fetch, { hostname: config.host, port: config.port });
    const facts = [
      `astrix proxy listening on ${server.url}`,
      ...backends.facts,
      `audit: ${audit.description} (key ${config.auditKeyFile})`,
      ...(sharing
        ? [`jobs and console sessions: shared with every proxy writing to ${audit.description}`]
        : []),
      `auth: ${
        config.auth.kind === "hs256" ? "HS256 shared secret" : `JWKS ${config.auth.url}`
      }, ` +
      `iss ${config.issuer ?? "astrix"}, aud ${config.audience ?? "astrix"}, ` +
      `lifetime at most ${describeLifetime(auth.maxTokenLifetimeSeconds)}`,
      `recordings: ${recordings?.description ?? "none (start with --recordings URL|DIR)"}`,
      `console: ${config.publicUrl ?? server.url}/ (API docs at /docs)`,
    ];
    if (config.devToken) {
      facts.push(
        "WARNING: the development token test-token-for-local-dev is accepted (admin, ext 201)",
      );
    }
    return {
      url: server.url,
      port: server.port,
      facts,
      simulated,
      async whenReady(timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        const isReady = () =>
          pbxs.all().every(({ backend }) => backend.ready && backend.permissions.checked);
        while (!isReady() && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return isReady();
      },
      loginCode(token) {
        if (!config.loginCodes) {
          throw new ProxyConfigError(
            "Login codes are off: start the proxy with loginCodes: true (astrix dev does)",
          );
        }
        return loginCodes.mint(token);
      },
      async close() {
        // Event streams end first, with a final event: they would otherwise hold the server open.
        hub.close();
        await server.close();
        for (const step of cleanup) await step();
      },
    };
  } catch (error) {
    for (const step of cleanup) await step();
    throw error;
  }
}

async function recordingsSource(config: ProxyConfig): Promise<RecordingsSource | null> {
  const where = config.recordings;
  if (where === undefined) {
    // The seed's upstream adapter serves /recordings too.
    if (config.backend.kind === "forward") return RecordingsSource.http(config.backend.url);
    if (config.backend.kind !== "simulate") return null;
    return RecordingsSource.inProcess(
      new SyntheticCatalog({ count: 20, seed: 1 }),
      "20 synthetic recordings in this process",
    );
  }
  if (/^https?:\/\//i.test(where)) return RecordingsSource.http(new URL(where));
  const catalog = await DirectoryCatalog.open(where, {
    onSkip: (path, reason) => config.logger.warn("recording skipped", { path, reason }),
  });
  return RecordingsSource.inProcess(catalog, `${catalog.root} (read-only, in this process)`);
}
