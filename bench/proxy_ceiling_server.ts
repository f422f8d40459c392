/**
 * The ceiling of the proxy benchmark: bare Hono on Deno.serve doing, per
 * request, one jose HS256 verification (no cache) and one single-row SQLite
 * INSERT into the audit table with the audit's pragmas (WAL,
 * synchronous=FULL), and nothing else. With `bare`, it does neither (Hono
 * alone). Prints its port on the first line.
 *
 *   deno run -A bench/proxy_ceiling_server.ts <secret> <db> [bare]
 */

import { Hono } from "hono";
import { jwtVerify } from "jose";
import { openForWriting } from "../src/audit/schema.ts";

const [secret, dbPath, mode] = Deno.args;
const key = new TextEncoder().encode(secret);
const db = openForWriting(dbPath);
const insert = db.prepare(
  "INSERT INTO ami_audit (user_id, action, target, job_id, timestamp, role, outcome, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
);
const app = new Hono();
app.get("/ami/jobs/:id", async (c) => {
  if (mode !== "bare") {
    const token = c.req.header("authorization")!.slice(7);
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: "astrix",
      audience: "astrix",
    });
    insert.run(
      payload.sub!,
      "job.read",
      c.req.param("id"),
      c.req.param("id"),
      Date.now(),
      String(payload.role),
      "ok",
      200,
    );
  }
  return c.json({ job: { id: c.req.param("id"), status: "active" } });
});
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(`ceiling server on 127.0.0.1:${port}`),
}, app.fetch);
Deno.addSignalListener("SIGTERM", () => server.shutdown());
