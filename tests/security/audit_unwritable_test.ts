/**
 * Issue 11, item 10: an audit database whose main file cannot be written
 * (made immutable with `chattr +i`, which stops root too) must not go
 * unnoticed. Commits still land in the WAL (the rows are durable, the
 * request is answered), but the audit worker's checkpoint fails: `/readyz`
 * turns 503 with the reason and the fix, `/metrics` counts the failures,
 * the log says what to do once, and all of it clears by itself once the
 * file can be written again. Before the fix nothing checked checkpoints:
 * the WAL grew silently.
 *
 * Needs `chattr` and a filesystem and privileges that honour `+i`; where
 * they are missing the test is ignored, saying why.
 */

import { createLogger } from "../../src/log.ts";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { startTestProxy } from "../_support/proxy.ts";
import { eventually } from "../_support/wait.ts";

function chattr(flag: "+i" | "-i", path: string): { ok: boolean; error: string } {
  const output = new Deno.Command("chattr", { args: [flag, path], stderr: "piped" }).outputSync();
  return { ok: output.success, error: new TextDecoder().decode(output.stderr).trim() };
}

/** Why an immutable file cannot be made here, or undefined when it can. */
function immutableUnsupported(): string | undefined {
  const dir = Deno.makeTempDirSync({ prefix: "astrix-chattr-probe-" });
  const file = `${dir}/probe`;
  Deno.writeTextFileSync(file, "probe");
  try {
    const set = chattr("+i", file);
    if (!set.ok) return `chattr +i does not work here: ${set.error}`;
    try {
      Deno.openSync(file, { write: true }).close();
      return "a file made immutable can still be opened for writing here";
    } catch {
      return undefined;
    }
  } catch (error) {
    return `chattr cannot be run: ${(error as Error).message}`;
  } finally {
    try {
      chattr("-i", file);
    } catch { /* no chattr: nothing was set */ }
    Deno.removeSync(dir, { recursive: true });
  }
}

const unsupported = immutableUnsupported();
if (unsupported) console.warn(`audit_unwritable_test ignored: ${unsupported}`);

async function metric(url: string, name: string): Promise<number> {
  const text = await (await contractFetch(`${url}/metrics`)).text();
  return Number(text.match(new RegExp(`^${name} (\\S+)$`, "m"))?.[1] ?? "NaN");
}

Deno.test({
  name:
    "audit main file immutable: the failed checkpoint shows in /readyz with the fix, in /metrics and once in the log; all clear once it is writable again",
  ignore: unsupported !== undefined,
  async fn() {
    const lines: string[] = [];
    const logger = createLogger({ format: "json", write: (line) => lines.push(line) });
    await using px = await startTestProxy({ config: { logger, auditCheckpointIntervalMs: 0 } });
    const failuresBefore = await metric(px.url, "astrix_audit_checkpoint_failures_total");
    assertEquals(failuresBefore, 0);
    const set = chattr("+i", px.auditDb);
    assert(set.ok, set.error);
    try {
      // The row is durable in the WAL: the request is answered.
      const answer = await px.request("GET", "/ami/channels", { role: "admin" });
      assertEquals(answer.status, 200);

      const [status, body] = await eventually(async () => {
        const response = await contractFetch(`${px.url}/readyz`);
        const body = await response.json();
        return /checkpoint|cannot be written \(/.test(body.auditProblem?.reason ?? "")
          ? [response.status, body]
          : undefined;
      }, "/readyz to report the failed checkpoint");
      assertEquals([status, body.ready, body.audit], [503, false, false]);
      assertMatch(body.auditProblem.reason, /main file cannot be written \(.*disk I\/O error/);
      assertMatch(body.auditProblem.reason, /audit\.db-wal/);
      assertMatch(body.auditProblem.fix, /chattr -i/);

      assert(await metric(px.url, "astrix_audit_checkpoint_failures_total") >= 1);
      assertEquals(await metric(px.url, "astrix_audit_writable"), 0);
      const said = lines.map((line) => JSON.parse(line)).filter((line) =>
        line.msg.startsWith("audit checkpoint failed")
      );
      assertEquals(said.length, 1, lines.join("\n"));
      assertEquals(said[0].level, "error");
      assertMatch(said[0].fix, /make .*audit\.db writable again/);
    } finally {
      chattr("-i", px.auditDb);
    }

    await eventually(
      async () => {
        const response = await contractFetch(`${px.url}/readyz`);
        return (await response.json()).ready === true ? true : undefined;
      },
      "/readyz to be ready again",
      10_000,
    );
    assertEquals(await metric(px.url, "astrix_audit_writable"), 1);
    assert(
      lines.some((line) => JSON.parse(line).msg.startsWith("audit main file written again")),
      "the log says it is fixed",
    );
  },
});
