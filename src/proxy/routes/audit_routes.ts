/**
 * The admin's audit browser: `GET /audit`, a page of the rows matching
 * audit-query's filters (with `format=csv`, every one of them, at most
 * 100,000, as a file), and `GET /audit/verify`, the hash chain checked with
 * the proxy's key. Reading the audit is audited too: one `ok` row per
 * request (`audit-read`, `audit-verify`), a `denied` row for a refusal.
 *
 * @module
 */

import { Hono } from "hono";
import type { z } from "zod";
import type { AuditFilter } from "../../audit/mod.ts";
import { parseTimeSpec } from "../../time_spec.ts";
import type { ProxyDeps, ProxyEnv } from "../app.ts";
import { auditQuery } from "../api/schemas.ts";
import { CSV_ROW_CAP } from "../audit_browser.ts";
import { BadRequestError } from "../errors.ts";
import { parseWith } from "../validation.ts";
import { auditRead, guard } from "./guard.ts";

/** `GET /audit` and `GET /audit/verify`. */
export function auditRoutes(deps: ProxyDeps): Hono<ProxyEnv> {
  const app = new Hono<ProxyEnv>();

  app.get("/audit", async (c) => {
    guard(c, { action: "audit-read" }, "audit");
    const query = parseWith(auditQuery, c.req.query(), "query");
    const filter = filterOf(query, Date.now());
    const order = query.order ?? "desc";
    if (query.format !== "csv") {
      const page = await deps.auditReader.page(filter, {
        limit: query.limit ?? 100,
        order,
        cursor: query.cursor,
      });
      await auditRead(deps, c, 200, { query });
      return c.json(page);
    }
    for (const field of ["limit", "cursor"] as const) {
      if (query[field] !== undefined) {
        throw new BadRequestError(
          `${field}: format=csv exports every matching row (at most ${CSV_ROW_CAP}): leave ` +
            `${field} out, or narrow since and until`,
          field,
        );
      }
    }
    await auditRead(deps, c, 200, { query });
    return c.body(deps.auditReader.csv(filter, order), 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": 'attachment; filename="astrix-audit.csv"',
      "x-astrix-row-cap": String(CSV_ROW_CAP),
    });
  });

  app.get("/audit/verify", async (c) => {
    guard(c, { action: "audit-verify" }, "audit");
    const verification = await deps.auditReader.verify();
    const { ok, rows, broken } = verification;
    await auditRead(deps, c, 200, { ok, rows, ...(broken ? { broken } : {}) });
    return c.json(verification);
  });

  return app;
}

/** audit-query's filter from the query: times as `src/time_spec.ts` reads them, in UTC. */
function filterOf(query: z.infer<typeof auditQuery>, now: number): AuditFilter {
  const time = (field: "since" | "until") => {
    const value = query[field];
    if (value === undefined) return undefined;
    const ms = parseTimeSpec(value, now, { utc: true });
    if (ms === undefined) {
      throw new BadRequestError(
        `${field}: "${value}" is not a time: use ISO 8601 (2026-11-20T14:00:00Z), today, ` +
          "yesterday, or 15m / 24h / 7d ago",
        field,
      );
    }
    return ms;
  };
  const { user, role, action, target, job, outcome } = query;
  return { user, role, action, target, job, outcome, since: time("since"), until: time("until") };
}
