import { existsSync, rmSync } from "node:fs";
import process from "node:process";
import { assert, assertEquals, assertRejects } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import {
  DEV_EXTENSIONS,
  DevAlreadyRunningError,
  DevAuditTamperedError,
  DevDataDirError,
  DevPortError,
  startDevStack,
} from "../../src/dev/stack.ts";
import { nullLogger } from "../../src/log.ts";
import { eventually } from "../_support/wait.ts";
import { Authenticator } from "../../src/proxy/auth.ts";

function options(
  dataDir: string,
  ports: Partial<{ port: number; amiPort: number; recordingsPort: number }> = {},
) {
  return {
    host: "127.0.0.1",
    port: 0,
    amiPort: 0,
    recordingsPort: 0,
    dataDir,
    churn: 0,
    logger: nullLogger,
    ...ports,
  };
}

Deno.test("startDevStack keeps its secret in the data folder: tokens stay valid across restarts, files are private", async () => {
  const dataDir = `${Deno.makeTempDirSync({ prefix: "astrix-dev-" })}/data`;
  const first = await startDevStack(options(dataDir));
  const tokens = first.tokens;
  await first.close();
  const second = await startDevStack(options(dataDir));
  try {
    const secret = new TextEncoder().encode(Deno.readTextFileSync(`${dataDir}/jwt.secret`).trim());
    const auth = Authenticator.hs256(secret);
    for (const [role, ext] of Object.entries(DEV_EXTENSIONS)) {
      const caller = await auth.verify(`Bearer ${tokens[role as keyof typeof tokens]}`);
      assertEquals([caller.role, caller.ext], [role, ext], "a token from the first run");
    }
    assertEquals(
      JSON.parse(Deno.readTextFileSync(`${dataDir}/tokens.json`)).admin !== undefined,
      true,
    );
    for (const file of ["jwt.secret", "tokens.json", "ami_audit.db.key"]) {
      assertEquals(Deno.statSync(`${dataDir}/${file}`).mode! & 0o077, 0, `${file} is private`);
    }
    // Up means usable: the proxy is logged in to the simulated PBX as soon as the stack is up.
    const ready = await contractFetch(`${second.proxyUrl}/readyz`);
    const readiness = await ready.json();
    assertEquals([ready.status, readiness.ready, readiness.pbx?.asterisk], [200, true, 22]);
  } finally {
    await second.close();
  }
});

Deno.test("startDevStack names the flag of a port in use and leaves nothing running", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const dataDir = Deno.makeTempDirSync({ prefix: "astrix-dev-" });
    for (
      const [ports, flag] of [[{ amiPort: port }, "--ami-port"], [
        { recordingsPort: port },
        "--recordings-port",
      ], [{ port }, "--port"]] as const
    ) {
      const error = await assertRejects(() => startDevStack(options(dataDir, ports)), DevPortError);
      assert(
        error.message.includes(`Port ${port} is in use`) && error.message.includes(flag),
        error.message,
      );
      assert(!existsSync(`${dataDir}/dev.pid`), "no pid file is left behind");
    }
  } finally {
    taken.close();
  }
});

Deno.test("startDevStack with its audit deleted but the key kept says how to start afresh, and does after rm ami_audit.db*", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "astrix-dev-" });
  const first = await startDevStack(options(dataDir));
  try {
    // An audited request (once the PBX is connected) starts the chain.
    await eventually(async () => {
      const answer = await contractFetch(`${first.proxyUrl}/ami/channels`, {
        headers: { authorization: `Bearer ${first.tokens.admin}` },
      });
      await answer.body?.cancel();
      return answer.status === 200 || undefined;
    }, "an audited GET /ami/channels");
  } finally {
    await first.close();
  }
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${first.auditDb}${suffix}`, { force: true });
  const error = await assertRejects(() => startDevStack(options(dataDir)), DevAuditTamperedError);
  assert(error.message.includes(`rm ${first.auditDb}*`), error.message);
  assert(!existsSync(`${dataDir}/dev.pid`), "no pid file is left behind");

  for (const entry of Deno.readDirSync(dataDir)) {
    if (entry.name.startsWith("ami_audit.db")) Deno.removeSync(`${dataDir}/${entry.name}`);
  }
  const afresh = await startDevStack(options(dataDir));
  await afresh.close();
});

Deno.test("startDevStack holds its pid in dev.pid while it runs and removes it on close", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "astrix-dev-" });
  const stack = await startDevStack(options(dataDir));
  try {
    assertEquals(Deno.readTextFileSync(`${dataDir}/dev.pid`), `${Deno.pid}\n`);
    assertEquals([stack.pidFile.path, stack.pidFile.pid], [`${dataDir}/dev.pid`, Deno.pid]);
  } finally {
    await stack.close();
  }
  assert(!existsSync(`${dataDir}/dev.pid`));
});

Deno.test("startDevStack refuses a data folder whose dev.pid names another running process", async () => {
  const dataDir = Deno.makeTempDirSync({ prefix: "astrix-dev-" });
  Deno.writeTextFileSync(`${dataDir}/dev.pid`, `${process.ppid}\n`); // a process that runs
  const error = await assertRejects(() => startDevStack(options(dataDir)), DevAlreadyRunningError);
  assert(error.message.includes(`as pid ${process.ppid}`), error.message);
  assertEquals(Deno.readTextFileSync(`${dataDir}/dev.pid`), `${process.ppid}\n`);
});

Deno.test("startDevStack names --data-dir when the folder cannot be made", async () => {
  const file = Deno.makeTempFileSync({ prefix: "astrix-dev-" });
  const error = await assertRejects(
    () => startDevStack(options(`${file}/data`)),
    DevDataDirError,
  );
  assert(error.message.includes(`--data-dir "${file}/data"`), error.message);
  assert(error.message.includes("a file is in the way (it must be a folder)"), error.message);
});
