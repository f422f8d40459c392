/**
 * The admin's health panel, `GET /status`: what `/readyz` says (each PBX's
 * link and identity, its AMI user's missing rights, the audit's problem)
 * and what `/metrics` counts (AMI reconnects and lost events, SSE
 * subscribers), read from the same sources, with the jobs by state and the
 * uptime, as one JSON object. Not audited when allowed (a panel polls it);
 * a refusal writes its `denied` row.
 *
 * @module
 */

import { Hono } from "hono";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import { pbxsHealth } from "../pbx_health.ts";
import { guard } from "./guard.ts";

/** `GET /status`. */
export function statusRoutes(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.get("/status", (c) => {
    guard(c, { action: "status" }, "status");
    const { metrics } = deps;
    const problem = deps.trail.problem;
    const { ami, pbxs } = pbxsHealth(deps.pbxs, metrics);
    return c.json({
      uptimeSeconds: Math.max(0, Math.floor((Date.now() - deps.startedAt) / 1000)),
      backend: deps.pbxs.all()[0].backend.name,
      ami,
      pbxs,
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
