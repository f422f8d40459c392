/**
 * Builds and starts the backend of each PBX behind the proxy, from its
 * configuration: one AMI link per PBX (`--ami NAME=HOST:PORT` repeated, or
 * one unnamed `--ami HOST:PORT`), the simulated PBX in this process over
 * loopback, or an upstream adapter. Each AMI backend's events, state and
 * permissions feed the SSE hub, the metrics and the log under its PBX's
 * name; its jobs are its own.
 *
 * @module
 */

import { AmiClient, describePbx } from "../../ami/mod.ts";
import type { Logger } from "../../log.ts";
import { createMockAmi, type MockAmi } from "../../pbx/mock_ami.ts";
import { AMI_FEATURES, describeMissing } from "../ami_features.ts";
import type { EventHub } from "../event_hub.ts";
import type { JobStore } from "../jobs.ts";
import type { ProxyMetrics } from "../metrics.ts";
import { DEFAULT_PBX } from "../pbx_names.ts";
import { amiEventData } from "../stream_data.ts";
import { AmiBackend } from "./ami.ts";
import type { Backend } from "./backend.ts";
import { ForwardBackend } from "./forward.ts";
import { Pbxs } from "./pbxs.ts";

/** How the proxy logs in to one PBX's AMI. */
export interface AmiLogin {
  host: string;
  port: number;
  username: string;
  secret: string;
  md5?: boolean;
}

/** One of several PBXs, by name. */
export interface NamedAmiLogin extends AmiLogin {
  name: string;
}

/** Where the proxy sends PBX actions. */
export type BackendConfig =
  /** One PBX, named `default`. */
  | ({ kind: "ami" } & AmiLogin)
  /** Several PBXs (or one with a name), each with its own login. */
  | { kind: "ami"; pbxs: readonly NamedAmiLogin[] }
  | { kind: "forward"; url: URL; token?: string }
  | { kind: "simulate" };

/** What the backends are wired to. */
export interface PbxWiring {
  jobs: JobStore;
  hub: EventHub;
  metrics: ProxyMetrics;
  logger: Logger;
  /** AMI events each backend buffers before the oldest are dropped; default 100,000. */
  amiEventBufferSize?: number;
}

/** The started backends. */
export interface StartedPbxs {
  pbxs: Pbxs;
  /** One line per PBX, for the startup banner. */
  facts: string[];
  /** The in-process simulated PBX (simulate mode). */
  simulated?: MockAmi;
  /** Logs off every PBX (and stops the simulated one). */
  close(): Promise<void>;
}

/** Builds the backend of each PBX `config` names and starts connecting; returns at once. */
export async function startPbxs(config: BackendConfig, wiring: PbxWiring): Promise<StartedPbxs> {
  if (config.kind === "forward") {
    const forward = new ForwardBackend({ url: config.url, jobs: wiring.jobs, token: config.token });
    return started(new Map([[DEFAULT_PBX, forward]]), [`backend: forward to ${config.url.href}`]);
  }
  if (config.kind === "simulate") {
    // The simulated PBX, in this process, reached over loopback like a real one.
    const secret = crypto.randomUUID();
    const simulated = createMockAmi({
      users: [{ username: "astrix-proxy", secret, read: ["all"], write: ["all"] }],
      calls: 2,
    });
    const { port } = await simulated.listen({ hostname: "127.0.0.1", port: 0 });
    const login = { name: DEFAULT_PBX, host: "127.0.0.1", port, username: "astrix-proxy", secret };
    const backend = amiBackend(login, "simulate", wiring);
    const fact = `backend: simulate (the simulated PBX in this process, AMI on 127.0.0.1:${port})`;
    const result = started(new Map([[DEFAULT_PBX, backend]]), [fact]);
    return {
      ...result,
      simulated,
      async close() {
        await result.close();
        await simulated.close();
      },
    };
  }
  const logins = "pbxs" in config ? config.pbxs : [{ name: DEFAULT_PBX, ...config }];
  // One PBX of its own: named only when it was given a name.
  const unnamed = logins.length === 1 && logins[0].name === DEFAULT_PBX;
  return started(
    new Map(logins.map((login) => [login.name, amiBackend(login, "ami", wiring)])),
    logins.map((login) =>
      `backend: AMI ${
        unnamed ? "" : `${login.name} `
      }${login.host}:${login.port} as ${login.username}`
    ),
  );
}

function started(backends: Map<string, Backend>, facts: string[]): StartedPbxs {
  const pbxs = new Pbxs(backends);
  pbxs.start();
  return { pbxs, facts, close: () => pbxs.close() };
}

/** An AMI backend whose events feed the hub, the metrics and the log under its PBX's name. */
function amiBackend(
  login: NamedAmiLogin,
  kind: "ami" | "simulate",
  { jobs, hub, metrics, logger, amiEventBufferSize }: PbxWiring,
): AmiBackend {
  const pbx = login.name;
  const client = new AmiClient({
    host: login.host,
    port: login.port,
    username: login.username,
    secret: login.secret,
    authType: login.md5 ? "md5" : "plain",
    events: "on",
  });
  const where = { pbx, host: login.host, port: login.port };
  metrics.amiConnected.set({ pbx }, 0);
  return new AmiBackend({
    client,
    jobs,
    pbx,
    name: kind,
    username: login.username,
    eventBufferSize: amiEventBufferSize,
    onPermissions: (missing) => {
      for (const feature of Object.keys(AMI_FEATURES)) {
        const allowed = !missing.some((m) => m.feature === feature);
        metrics.amiFeatureAllowed.set({ pbx, feature }, allowed ? 1 : 0);
      }
      if (missing.length > 0) {
        logger.warn(describeMissing(missing, login.username), {
          pbx,
          cannotWork: missing.map((m) => m.feature),
        });
      }
    },
    onEvent: (event, job) => {
      metrics.amiEvents.inc({ pbx });
      hub.publish({
        event: "ami",
        data: amiEventData(event, pbx),
        jobId: job?.id,
        owner: job?.owner,
        pbx,
      });
    },
    onEventsLost: (lost) => {
      logger.warn("AMI events lost: the proxy fell behind the PBX's event stream", {
        pbx,
        lost,
      });
      metrics.amiEventsLost.inc({ pbx }, lost);
      hub.publish({ event: "gap", data: { source: "ami", pbx, lost }, pbx });
    },
    onState: (change) => {
      metrics.amiConnected.set({ pbx }, change.state === "connected" ? 1 : 0);
      if (change.state === "connected") {
        if (change.previous === "reconnecting") metrics.amiReconnects.inc({ pbx });
        const identity = client.pbx;
        const speaks = identity ? describePbx(identity) : client.banner;
        logger.info("AMI connected", { ...where, speaks });
        if (identity && !identity.exact) logger.warn(`The PBX ${pbx} speaks ${speaks}`);
      } else if (change.state === "reconnecting") {
        logger.warn("AMI not connected, retrying", {
          ...where,
          attempt: change.attempt,
          inMs: change.delayMs,
          error: change.error,
        });
      }
    },
  });
}
