/**
 * Two proxies writing one audit on PostgreSQL: 2,000 audited requests
 * spread over both, one proxy SIGKILLed in the middle. Every 2xx answer has
 * exactly its one row, no request has two, the chain verifies, its ids
 * follow each other without a gap (verify names any gap as a deleted row).
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { startFleet } from "../_support/fleet.ts";
import { anchorFile, loadKey, openAuditSource, readAnchor } from "../../src/audit/mod.ts";

const REQUESTS = 2_000;
const CONCURRENCY = 16;

Deno.test("two proxies, one PostgreSQL audit: 2,000 requests, one proxy killed midway, every 2xx audited once, one chain", async () => {
  await using fleet = await startFleet(2);
  const [a, b] = fleet.proxies;
  const token = await fleet.token("supervisor", "sup-201", "201");
  const answered: { requestId: string; status: number }[] = [];
  let next = 0;
  let killed: Promise<void> | undefined;
  const worker = async () => {
    while (next < REQUESTS) {
      const n = next++;
      if (n === REQUESTS / 2) killed = a.kill(); // the other proxy goes on alone
      const requestId = `fleet-${n}`;
      const proxy = n % 2 ? b : a;
      try {
        const response = await fetch(`${proxy.url}/ami/jobs`, {
          headers: { authorization: `Bearer ${token}`, "x-request-id": requestId },
        });
        await response.body?.cancel();
        answered.push({ requestId, status: response.status });
      } catch {
        answered.push({ requestId, status: 0 }); // the killed proxy: no answer
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await killed;
  const ok = answered.filter((r) => r.status === 200);
  assert(ok.length > REQUESTS / 2, `most requests answered 200 (${ok.length})`);
  assertEquals(
    answered.filter((r) => r.status !== 200 && r.status !== 0).map((r) => r.status),
    [],
    "no answer but 200 or none (the killed proxy)",
  );

  const source = await openAuditSource(fleet.db);
  const rows = [];
  for (let cursor: string | undefined, more = true; more;) {
    const page = await source.query({ action: "jobs.list" }, { limit: 1000, order: "asc", cursor });
    rows.push(...page.rows);
    cursor = page.nextCursor;
    more = cursor !== undefined;
  }
  const byRequest = new Map<string, number>();
  for (const row of rows) byRequest.set(row.requestId!, (byRequest.get(row.requestId!) ?? 0) + 1);
  assertEquals([...byRequest].filter(([, n]) => n > 1), [], "no request audited twice");
  assertEquals(
    ok.filter((r) => byRequest.get(r.requestId) !== 1).map((r) => r.requestId),
    [],
    "every 200 has its row",
  );
  // Rows of requests that got no answer are those the killed proxy committed before it died.
  const unanswered = rows.filter((row) => !ok.some((r) => r.requestId === row.requestId));
  assert(unanswered.length <= CONCURRENCY, `${unanswered.length} rows of unanswered requests`);

  const key = loadKey(fleet.keyFile, { create: false });
  const result = await source.verify(key, { start: readAnchor(anchorFile(fleet.keyFile)) });
  await source.close();
  assertEquals([result.ok, result.firstBad], [true, undefined]);
  assertEquals(
    result.chained,
    rows.length,
    "every row is in the chain (the audit holds only these)",
  );
  assertEquals(result.head?.id, rows.length, "ids 1..n without a gap");
});

Deno.test("either proxy's GET /audit shows every proxy's rows, and /audit/verify checks the one chain", async () => {
  await using fleet = await startFleet(2);
  const [a, b] = fleet.proxies;
  const admin = await fleet.token("admin", "admin-202", "202");
  const get = async (proxy: typeof a, path: string, requestId: string) => {
    const response = await fetch(`${proxy.url}${path}`, {
      headers: { authorization: `Bearer ${admin}`, "x-request-id": requestId },
    });
    assertEquals(response.status, 200, `${path} on ${proxy.url}`);
    return await response.json();
  };
  await get(a, "/ami/jobs", "on-a");
  await get(b, "/ami/jobs", "on-b");
  for (const proxy of [a, b]) {
    const page = await get(proxy, "/audit?action=jobs.list&order=asc", `read-${proxy.pid}`);
    assertEquals(page.rows.map((r: { requestId: string }) => r.requestId), ["on-a", "on-b"]);
    const verification = await get(proxy, "/audit/verify", `verify-${proxy.pid}`);
    assertEquals(verification.ok, true, JSON.stringify(verification));
    assert(verification.chained >= 3, "the rows of both proxies, reads included");
  }
});

Deno.test("a second proxy given another key for the same PostgreSQL audit refuses to start, and writes nothing", async () => {
  await using fleet = await startFleet(1);
  const token = await fleet.token("supervisor", "sup-201", "201");
  const answer = await fetch(`${fleet.proxies[0].url}/ami/jobs`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await answer.body?.cancel();
  const dir = Deno.makeTempDirSync({ prefix: "astrix-fleet-key-" });
  const refused = await runCli([
    "proxy",
    "--port",
    "0",
    "--dev-token",
    "--audit-db",
    fleet.db,
    "--audit-key-file",
    `${dir}/another.key`,
  ]);
  assertEquals(refused.code, 2, refused.stderr);
  assertMatch(
    refused.stderr,
    /does not match the key .*another\.key: the chain was written with another key/,
  );
  const source = await openAuditSource(fleet.db);
  const result = await source.verify(loadKey(fleet.keyFile, { create: false }), {
    start: readAnchor(anchorFile(fleet.keyFile)),
  });
  await source.close();
  assertEquals([result.ok, result.chained], [true, 1]);
  Deno.removeSync(dir, { recursive: true });
});
