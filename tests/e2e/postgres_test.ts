/**
 * The compiled binary on a real PostgreSQL (its driver is pure JavaScript
 * over `node:net`, which must work inside `bun build --compile`): two
 * binary proxies writing one audit, the binary's audit-query verifying it,
 * the binary's audit-migrate copying a SQLite audit there.
 */

import { assertEquals, assertMatch } from "../_support/assert.ts";
import { BINARY, NO_BINARY, run } from "../_support/binary.ts";
import { startFleet } from "../_support/fleet.ts";
import { testDatabase } from "../_support/postgres.ts";
import { AuditLog } from "../../src/audit/log.ts";

Deno.test({
  name:
    "binary: two proxies on one PostgreSQL audit, verified by audit-query; audit-migrate from SQLite",
  ignore: NO_BINARY,
  async fn() {
    await using fleet = await startFleet(2, { binary: BINARY });
    const token = await fleet.token("supervisor", "sup-201", "201");
    for (const proxy of fleet.proxies) {
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${proxy.url}/ami/jobs`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assertEquals(response.status, 200);
        await response.body?.cancel();
      }
    }
    const dir = Deno.makeTempDirSync({ prefix: "astrix-e2e-pg-" });
    const verify = await run(
      ["audit-query", "--db", fleet.db, "--verify", "--key-file", fleet.keyFile],
      dir,
    );
    assertEquals(verify.code, 0, verify.stderr);
    assertMatch(verify.stdout, /chain OK · 10 rows: 10 chained/);

    const sqlite = `${dir}/ami_audit.db`;
    const log = AuditLog.open(sqlite, { keyFile: `${dir}/audit.key` });
    log.appendAll(Array.from({ length: 50 }, (_, i) => ({
      userId: `u${i}`,
      action: "listen",
      outcome: "ok" as const,
    })));
    log.close();
    await using target = await testDatabase();
    const migrate = await run(
      ["audit-migrate", "--from", sqlite, "--to", target.url, "--key-file", `${dir}/audit.key`],
      dir,
    );
    assertEquals(migrate.code, 0, migrate.stderr);
    assertMatch(migrate.stdout, /copied 50 rows .* chain OK there: 50 chained/);
    Deno.removeSync(dir, { recursive: true });
  },
});
