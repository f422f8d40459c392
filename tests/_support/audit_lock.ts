/**
 * Another process holding the audit database's write lock (`BEGIN
 * IMMEDIATE`), as a second writer or a stuck `sqlite3` shell would, until
 * the test releases it. Run as a script, this module is that process: it
 * takes the lock, prints `locked`, and rolls back once its stdin closes.
 */

import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";

/** A lock holder process; `release()` ends its transaction and waits for it to exit. */
export interface HeldLock {
  release(): Promise<void>;
}

/** Starts a process that holds `path`'s write lock; resolves once it holds it. */
export async function holdAuditLock(path: string): Promise<HeldLock> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", fileURLToPath(import.meta.url), path],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await lines.read();
  if (!value?.startsWith("locked")) {
    await child.stdin.close();
    await child.status;
    throw new Error(`The lock holder did not take the lock: ${value}`);
  }
  return {
    async release() {
      await child.stdin.close();
      while (!(await lines.read()).done);
      const status = await child.status;
      if (!status.success) throw new Error(`The lock holder exited with ${status.code}`);
    },
  };
}

if (import.meta.main) {
  const db = new DatabaseSync(Deno.args[0]);
  db.exec("BEGIN IMMEDIATE");
  console.log("locked");
  for await (const _ of Deno.stdin.readable);
  db.exec("ROLLBACK");
  db.close();
}
