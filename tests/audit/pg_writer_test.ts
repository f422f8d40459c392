/**
 * The PostgreSQL writer on a real server: concurrent rows group-committed,
 * several writers (as several proxies) appending to one gapless chain, and
 * fail-closed when the server goes away, with `problem` saying what to do.
 */

import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { startServer, testDatabase } from "../_support/postgres.ts";
import { anchorFile, loadKey, openAuditSource, readAnchor } from "../../src/audit/mod.ts";
import { AuditUnavailableError, AuditValueError } from "../../src/audit/errors.ts";
import { PgAuditLog } from "../../src/audit/pg/log.ts";
import { PgAuditWriter } from "../../src/audit/pg/writer.ts";

function keyIn(): { keyFile: string; [Symbol.dispose](): void } {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-pg-writer-" });
  return {
    keyFile: `${dir}/audit.key`,
    [Symbol.dispose]: () => Deno.removeSync(dir, { recursive: true }),
  };
}

async function verified(url: string, keyFile: string) {
  const source = await openAuditSource(url);
  try {
    return await source.verify(loadKey(keyFile, { create: false }), {
      start: readAnchor(anchorFile(keyFile)),
    });
  } finally {
    await source.close();
  }
}

Deno.test("PgAuditWriter commits concurrent rows in a few batches, each durable once its append resolves", async () => {
  await using db = await testDatabase();
  using key = keyIn();
  const writer = await PgAuditWriter.open(db.url, { keyFile: key.keyFile });
  const appends = Array.from(
    { length: 300 },
    (_, i) => writer.append({ userId: `u${i}`, action: "listen", outcome: "attempt" }),
  );
  await Promise.all(appends);
  assert(writer.batches < 30, `300 rows in ${writer.batches} batches`);
  const result = await verified(db.url, key.keyFile);
  assertEquals([result.ok, result.chained, result.head?.id], [true, 300, 300]);
  // A value the database would not keep exactly is refused alone; the others are written.
  const [bad, good] = await Promise.allSettled([
    writer.append({ userId: "x\0y", action: "listen", outcome: "ok" }),
    writer.append({ userId: "fine", action: "listen", outcome: "ok" }),
  ]);
  assertEquals([bad.status, good.status], ["rejected", "fulfilled"]);
  assert((bad as PromiseRejectedResult).reason instanceof AuditValueError);
  await writer.close();
  await assertRejects(
    () => writer.append({ userId: "late", action: "listen", outcome: "ok" }),
    AuditUnavailableError,
    "closed",
  );
});

Deno.test("four writers at once (four proxies) append one chain, ids without a gap", async () => {
  await using db = await testDatabase();
  using key = keyIn();
  const logs = [];
  for (let i = 0; i < 4; i++) logs.push(await PgAuditLog.open(db.url, { keyFile: key.keyFile }));
  await Promise.all(logs.map(async (log, w) => {
    for (let batch = 0; batch < 25; batch++) {
      await log.appendAll(
        Array.from(
          { length: 1 + (batch % 4) },
          (_, i) => ({
            userId: `w${w}`,
            action: "listen",
            outcome: "ok" as const,
            detail: { batch, i },
          }),
        ),
      );
    }
  }));
  for (const log of logs) await log.close();
  const result = await verified(db.url, key.keyFile);
  const perWriter = Array.from({ length: 25 }, (_, batch) => 1 + (batch % 4)).reduce((a, b) =>
    a + b
  );
  assertEquals([result.ok, result.chained, result.head?.id], [true, 4 * perWriter, 4 * perWriter]);
});

Deno.test("PgAuditWriter fails closed when PostgreSQL goes away, and problem names the server and the fix", async () => {
  const server = await startServer();
  let stopped = false;
  try {
    using key = keyIn();
    const writer = await PgAuditWriter.open(server.url, {
      keyFile: key.keyFile,
      answerTimeoutMs: 5_000,
      probeIntervalMs: 100,
    });
    await writer.append({ userId: "u1", action: "listen", outcome: "attempt" });
    assertEquals(writer.problem, null);
    await server.stop();
    stopped = true;
    const error = await assertRejects(
      () => writer.append({ userId: "u2", action: "listen", outcome: "attempt" }),
      AuditUnavailableError,
    );
    assertMatch(
      error.message,
      /Cannot write to the audit database postgres:\/\/astrix@127\.0\.0\.1/,
    );
    assertMatch(writer.problem?.reason ?? "", /the last audit write failed/);
    assertMatch(writer.problem?.fix ?? "", /pg_isready/);
    await writer.close();
  } finally {
    if (!stopped) await server.stop();
  }
});

Deno.test("one append of 5,000 rows (more parameters than one statement takes) is one chain", async () => {
  await using db = await testDatabase();
  using key = keyIn();
  const log = await PgAuditLog.open(db.url, { keyFile: key.keyFile });
  const appended = await log.appendAll(
    Array.from(
      { length: 5_000 },
      (_, i) => ({ userId: `u${i}`, action: "listen", outcome: "ok" as const }),
    ),
  );
  await log.close();
  assertEquals([appended[0].id, appended.at(-1)!.id], [1, 5_000]);
  const result = await verified(db.url, key.keyFile);
  assertEquals([result.ok, result.chained], [true, 5_000]);
});
