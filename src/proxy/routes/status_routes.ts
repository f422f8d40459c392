/**
 * The admin's health panel, `GET /status`: what `/readyz` says (the PBX
 * link and identity, the AMI user's missing rights, the audit's problem)
 * and what `/metrics` counts (AMI reconnects and lost events, SSE
 * subscribers), read from the same sources, with the jobs by state and the
 * uptime, as one JSON object. Not audited when allowed (a panel polls it);
 * a refusal writes its `denied` row.
 *
 * @module
 */

import { Hono } from "hono";
import type { MissingFeature } from "../ami_features.ts";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import { guard } from "./guard.ts";

/** `GET /status`. */
export function statusRoutes(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.get("/status", (c) => {
    guard(c, { action: "status" }, "status");
    const { metrics } = deps;
    const { backend } = deps;
    const pbx = backend.pbx;
    const problem = deps.trail.problem;
    return c.json({
      uptimeSeconds: Math.max(0, Math.floor((Date.now() - deps.startedAt) / 1000)),
      backend: backend.name,
      ami: {
        connected: backend.ready,
        pbx: pbx ? { asterisk: pbx.asterisk, amiVersion: pbx.amiVersion, exact: pbx.exact } : null,
        permissionsChecked: backend.permissions.checked,
        cannotWork: cannotWork(backend.permissions.missing),
        reconnects: metrics.amiReconnects.value(),
        eventsLost: metrics.amiEventsLost.value(),
      },
      sse: {
        subscribers: metrics.sseSubscribers.value(),
        behind: metrics.sseSubscribersBehind.value(),
      },
      audit: { writable: problem === null, problem },
      jobs: deps.jobs.counts(),
    });
  });

  return app;
}

/** The features the AMI user may not use, as `/readyz` and `/status` list them. */
export function cannotWork(missing: readonly MissingFeature[]) {
  return missing.map((m) => ({
    feature: m.feature,
    what: m.what,
    refusedActions: m.actions,
    grant: m.grant,
  }));
}
