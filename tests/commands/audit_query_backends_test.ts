/**
 * `astrix audit-query` as a process on both databases: the same flags give
 * the same output from a SQLite file and from PostgreSQL (filters, formats,
 * counts, --head, --verify with --expect-head), and --follow prints rows as
 * they are committed (PostgreSQL: LISTEN/NOTIFY; SQLite: a poll).
 */

import { assertEquals, assertMatch } from "../_support/assert.ts";
import { AUDIT_BACKENDS, type TestAudit } from "../_support/audit_backends.ts";
import { denoArgs, runCli } from "../_support/cli.ts";
import { LineReader } from "../_support/lines.ts";

const CLOCK = Date.UTC(2026, 10, 20, 9, 0, 0);

async function fixture(audit: TestAudit): Promise<void> {
  await audit.append(Array.from({ length: 12 }, (_, i) => ({
    userId: i % 3 ? "sup-1" : "qa-2",
    role: i % 3 ? "supervisor" : "qa",
    action: i % 2 ? "listen" : "playback",
    target: i % 2 ? `SIP/20${i % 4}-0000000a` : `rec-${i}`,
    outcome: i % 4 === 3 ? "denied" as const : "ok" as const,
    status: i % 4 === 3 ? 403 : 200,
    timestamp: CLOCK + i * 3_600_000,
  })));
}

const query = (audit: TestAudit, ...args: string[]) =>
  runCli(["audit-query", "--db", audit.db, "--utc", ...args]);

/** What each database's runs printed, by run (hashes masked). */
const outputs: Record<string, Record<string, string>> = {};

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query lists, filters, counts, prints the head and verifies`, async () => {
    await using audit = await backend.create();
    await fixture(audit);
    const runs: Record<string, string[]> = {
      table: ["--limit", "5"],
      json: ["--action", "listen", "--format", "json"],
      ndjson: ["--target", "203", "--order", "asc", "--format", "ndjson"],
      csv: ["--outcome", "denied", "--format", "csv"],
      since: [
        "--since",
        "2026-11-20T15:00:00Z",
        "--until",
        "2026-11-20T17:00:00Z",
        "--format",
        "ndjson",
      ],
      stats: ["--stats", "--by", "user"],
      days: ["--stats", "--by", "day", "--format", "csv"],
    };
    outputs[backend.name] = {};
    for (const [name, args] of Object.entries(runs)) {
      const result = await query(audit, ...args);
      assertEquals(result.code, 0, `${name}: ${result.stderr}`);
      // Each audit has its own random key: hashes differ, nothing else may.
      outputs[backend.name][name] = result.stdout.replace(/[0-9a-f]{64}/g, "<hash>");
    }
    assertEquals(JSON.parse(outputs[backend.name].json).length, 6);
    assertEquals(outputs[backend.name].ndjson.trim().split("\n").map((l) => JSON.parse(l).id), [
      4,
      8,
      12,
    ]);
    assertEquals(outputs[backend.name].since.trim().split("\n").length, 3);
    assertMatch(outputs[backend.name].stats, /SUP-1\s+8\n|USER\s+COUNT\nsup-1\s+8\nqa-2\s+4/);

    const head = await query(audit, "--head");
    assertEquals(head.code, 0, head.stderr);
    assertMatch(head.stdout, /^12:[0-9a-f]{64} 1:[0-9a-f]{64}\n$/);
    const verifyHead = () =>
      query(audit, "--verify", "--key-file", audit.keyFile, "--expect-head", head.stdout.trim());
    const ok = await verifyHead();
    assertEquals(ok.code, 0, ok.stderr);
    assertMatch(ok.stdout, /chain OK · 12 rows: 12 chained/);
    await audit.exec("DELETE FROM ami_audit WHERE id > 10");
    const cut = await verifyHead();
    assertEquals(cut.code, 1);
    assertMatch(cut.stdout + cut.stderr, /row 12/);
  });
}

Deno.test("audit-query prints the same from SQLite and from PostgreSQL", () => {
  const { sqlite, postgres } = outputs;
  if (!sqlite || !postgres) throw new Error("the two runs above must pass first");
  assertEquals(postgres, sqlite);
});

for (const backend of AUDIT_BACKENDS) {
  Deno.test(`[${backend.name}] audit-query --follow prints the last rows, then each committed one`, async () => {
    await using audit = await backend.create();
    await fixture(audit);
    const follower = new Deno.Command(Deno.execPath(), {
      args: denoArgs([
        "audit-query",
        "--db",
        audit.db,
        "--follow",
        "--format",
        "ndjson",
        "--limit",
        "2",
        "--user",
        "late",
      ]),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const deadline = setTimeout(() => follower.kill("SIGTERM"), 30_000);
    const reader = new LineReader(follower.stdout);
    const lines: string[] = [];
    const read = async (count: number) => lines.push(...await reader.read(count - lines.length));
    await audit.append([{ userId: "late", action: "listen", outcome: "ok", timestamp: CLOCK }]);
    await read(1);
    await audit.append([
      { userId: "other", action: "listen", outcome: "ok" },
      { userId: "late", action: "hangup", outcome: "ok" },
    ]);
    await read(2);
    clearTimeout(deadline);
    assertEquals(lines.map((l) => [JSON.parse(l).id, JSON.parse(l).action]), [[13, "listen"], [
      15,
      "hangup",
    ]]);
    follower.kill("SIGTERM");
    await reader.cancel();
    assertEquals((await follower.status).code, 0);
    await follower.stderr.cancel();
  });
}

Deno.test("[postgres] audit-query --verify without --key-file says the proxies' key is needed", async () => {
  const backend = AUDIT_BACKENDS.find((b) => b.name === "postgres")!;
  await using audit = await backend.create();
  await fixture(audit);
  const result = await runCli(["audit-query", "--db", audit.db, "--verify"]);
  assertEquals(result.code, 2);
  assertMatch(
    result.stderr,
    /--verify on a postgres:\/\/ --db needs --key-file .*--audit-key-file/,
  );
});
