/**
 * A real PostgreSQL for the tests, on loopback. With `ASTRIX_TEST_PG_URL`
 * set (`.ci/run` starts one server for the whole run), each call creates a
 * fresh database on that server; without it, each call starts a server of
 * its own from Debian's binaries (`initdb` in a temp folder, run as the
 * `postgres` user when the tests run as root) and stops it, by its pid,
 * when the database is dropped.
 *
 * @example
 * ```ts
 * await using pg = await testDatabase();
 * // pg.url: postgres://astrix@127.0.0.1:54321/astrix_test_1a2b3c
 * ```
 *
 * @module
 */

import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { unusedPort } from "./wait.ts";

/** A database of its own for one test (or one file): `await using` drops it. */
export interface TestDatabase extends AsyncDisposable {
  /** `postgres://user@127.0.0.1:port/name`, trust auth on loopback. */
  url: string;
  /** The server's URL on its `postgres` database (to create or drop others). */
  serverUrl: string;
}

const BIN_ROOT = "/usr/lib/postgresql";

/** The folder of Debian's PostgreSQL binaries (the newest installed). */
export function postgresBin(): string {
  const versions = existsSync(BIN_ROOT)
    ? readdirSync(BIN_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : [];
  const bin = versions.map((v) => join(BIN_ROOT, v, "bin")).find((dir) =>
    existsSync(join(dir, "postgres"))
  );
  if (!bin) {
    throw new Error(
      "PostgreSQL is not installed: `apt-get install -y postgresql` (Debian's package), or set " +
        "ASTRIX_TEST_PG_URL to a server the tests may create databases on",
    );
  }
  return bin;
}

let counter = 0;

/** A fresh database: on ASTRIX_TEST_PG_URL's server, or on a server started for it. */
export async function testDatabase(): Promise<TestDatabase> {
  const shared = Deno.env.get("ASTRIX_TEST_PG_URL");
  const server = shared ? { url: shared, stop: async () => {} } : await startServer();
  const name = `astrix_test_${Deno.pid}_${++counter}_${
    crypto.randomUUID().slice(0, 8).replace(/-/g, "")
  }`;
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    serverUrl: server.url,
    async [Symbol.asyncDispose]() {
      if (shared) {
        const sql = postgres(server.url, { max: 1, onnotice: () => {} });
        try {
          await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await sql.end();
        }
      }
      await server.stop();
    },
  };
}

/** A running server of its own, and how to stop it (SIGTERM to its pid, then its folder removed). */
export async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = postgresBin();
  const root = Deno.uid() === 0;
  const dir = mkdtempSync(join(tmpdir(), "astrix-pg-"));
  const data = join(dir, "data");
  const quiet = { stdout: "null", stderr: "piped" } as const;
  const as = (command: string, args: string[]) =>
    root
      ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", command, ...args], ...quiet })
      : new Deno.Command(command, { args, ...quiet });
  if (root) await run(new Deno.Command("chown", { args: ["postgres", dir] }), "chown");
  await run(
    as(join(bin, "initdb"), [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "astrix",
      "--no-sync",
      "-E",
      "UTF8",
      "--locale=C",
    ]),
    "initdb",
  );
  const port = unusedPort();
  const child = as(join(bin, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=on",
    "-c",
    "max_connections=200",
  ]).spawn();
  // Its log goes nowhere (a test that needs it reads pg_stat views); the pipe must still drain.
  child.stderr.pipeTo(new WritableStream()).catch(() => {});
  const url = `postgres://astrix@127.0.0.1:${port}/postgres`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilAccepting(url);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

async function untilAccepting(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not start: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

async function run(command: Deno.Command, what: string): Promise<void> {
  const { code, stderr } = await command.output();
  if (code !== 0) throw new Error(`${what} failed: ${new TextDecoder().decode(stderr)}`);
}
