/**
 * AuditWriter: the audit written by its worker thread. Rows queued together
 * are one transaction (counted in batches), each `append` resolves only once
 * its row can be read back by another connection, and it fails closed: an
 * open error reaches the caller with its class and message, a crashed
 * worker rejects the rows it held and is started again, a worker that does
 * not answer rejects them at their deadline. The misbehaving worker is a
 * stand-in speaking the same protocol (`tests/_support/misbehaving_audit_worker.ts`).
 */

import {
  AuditKeyError,
  AuditLog,
  AuditReader,
  AuditUnavailableError,
} from "../../src/audit/mod.ts";
import { AuditWriter, type AuditWriterEvent } from "../../src/audit/worker_writer.ts";
import { fromWire, toWire } from "../../src/audit/worker_protocol.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { waitFor } from "../_support/wait.ts";

const MISBEHAVING = new URL("../_support/misbehaving_audit_worker.ts", import.meta.url);

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-writer-" });
  return { dir, [Symbol.dispose]: () => Deno.removeSync(dir, { recursive: true }) };
}

function entry(action: string, userId = "u1") {
  return { userId, action, outcome: "attempt" as const };
}

Deno.test("AuditWriter commits the rows queued together in one batch, each readable once its append resolves", async () => {
  using tmp = tempDir();
  const db = `${tmp.dir}/audit.db`;
  const writer = await AuditWriter.open(db, { keyFile: `${tmp.dir}/audit.key` });
  try {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => writer.append(entry("listen", `u${i}`))),
    );
    assertEquals(writer.batches, 1);
    await writer.append(entry("hangup"));
    assertEquals(writer.batches, 2);
    const reader = AuditReader.open(db);
    try {
      const rows = reader.query({}, { limit: 100, order: "asc" }).rows;
      assertEquals(rows.length, 51);
      assertEquals(rows.at(-1)?.action, "hangup");
    } finally {
      reader.close();
    }
    assertEquals(writer.problem, null);
  } finally {
    await writer.close();
  }
  await assertRejects(() => writer.append(entry("late")), AuditUnavailableError, "is closed");
});

Deno.test("AuditWriter.open rejects with AuditLog.open's own error: same class, same message", async () => {
  using tmp = tempDir();
  const db = `${tmp.dir}/no-such-folder/audit.db`;
  const options = { keyFile: `${tmp.dir}/audit.key` };
  let expected: Error | undefined;
  try {
    AuditLog.open(db, options);
  } catch (error) {
    expected = error as Error;
  }
  assert(expected instanceof AuditUnavailableError);
  const error = await assertRejects(() => AuditWriter.open(db, options), AuditUnavailableError);
  assertEquals(error.message, expected.message);
  assertMatch(error.message, /^Cannot open the audit database .*no-such-folder\/audit\.db: /);
});

Deno.test("fromWire gives back the audit error class of that name, else AuditUnavailableError", () => {
  const key = fromWire(toWire(new AuditKeyError("The key file is empty")));
  assert(key instanceof AuditKeyError);
  assertEquals([key.name, key.message], ["AuditKeyError", "The key file is empty"]);
  const other = fromWire(toWire(new TypeError("odd")));
  assert(other instanceof AuditUnavailableError);
  assertEquals(other.message, "odd");
});

Deno.test("AuditWriter whose worker cannot start: open rejects with AuditUnavailableError naming why", async () => {
  using tmp = tempDir();
  const error = await assertRejects(
    () =>
      AuditWriter.open(`${tmp.dir}/audit.db`, {
        keyFile: `${tmp.dir}/audit.key`,
        workerUrl: new URL("./no_such_worker.ts", import.meta.url),
      }),
    AuditUnavailableError,
  );
  assertMatch(error.message, /^The audit worker stopped: /);
});

Deno.test("AuditWriter whose worker crashes: the rows it held are refused, it is started again, later rows are written", async () => {
  using tmp = tempDir();
  const db = `${tmp.dir}/audit.db`;
  Deno.writeTextFileSync(db, "");
  const events: AuditWriterEvent[] = [];
  const writer = await AuditWriter.open(db, {
    keyFile: `${tmp.dir}/audit.key`,
    workerUrl: MISBEHAVING,
    onEvent: (event) => events.push(event),
  });
  try {
    const [crashed, alongside] = await Promise.allSettled([
      writer.append(entry("crash")),
      writer.append(entry("listen")),
    ]);
    for (const result of [crashed, alongside]) {
      assert(result.status === "rejected" && result.reason instanceof AuditUnavailableError);
      assertMatch(result.reason.message, /^The audit worker stopped \(.*crashed on purpose/);
    }
    assertEquals(events[0]?.kind, "worker-crashed");
    await waitFor(() => events.some((e) => e.kind === "worker-restarted"), "the restart");
    assertEquals(writer.problem, null);
    await writer.append(entry("listen"));
  } finally {
    await writer.close();
  }
});

Deno.test("AuditWriter whose worker does not answer: rows are refused at their deadline and /readyz's problem says so", async () => {
  using tmp = tempDir();
  const db = `${tmp.dir}/audit.db`;
  Deno.writeTextFileSync(db, "");
  const writer = await AuditWriter.open(db, {
    keyFile: `${tmp.dir}/audit.key`,
    workerUrl: MISBEHAVING,
    answerTimeoutMs: 100,
  });
  try {
    const stuck = writer.append(entry("hang"));
    await assertRejects(() => stuck, AuditUnavailableError, "did not commit the row within 100 ms");
    // Queued behind the unanswered batch: refused at its own deadline, never written later.
    await assertRejects(
      () => writer.append(entry("listen")),
      AuditUnavailableError,
      "within 100 ms",
    );
    assertMatch(writer.problem?.reason ?? "", /has not answered for 100 ms/);
    assertEquals(writer.batches, 1);
  } finally {
    await writer.close();
  }
});
