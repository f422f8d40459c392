/**
 * A fleet under test: proxies as real `astrix proxy` processes (from source,
 * or the compiled binary when `binary` is given)
 * in front of one in-process mock-ami, writing one audit on a real
 * PostgreSQL, all on loopback with port 0. A proxy can be stopped by SIGTERM
 * or killed by SIGKILL (by its pid), as a crash would.
 *
 * @module
 */

import { createMockAmi, type MockAmi } from "../../src/pbx/mock_ami.ts";
import type { Role } from "../../src/proxy/roles.ts";
import { signToken } from "../../src/proxy/tokens.ts";
import { wavHeader } from "../../src/recordings/wav.ts";
import { denoArgs } from "./cli.ts";
import { testDatabase } from "./postgres.ts";

const JWT_SECRET = "astrix-fleet-test-secret-0123456789abcdef";

/** One `astrix proxy` process. */
export interface FleetProxy {
  url: string;
  pid: number;
  /** SIGKILL: the process ends at once, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** What it printed on stderr so far (its logs). */
  stderr(): string;
  /** What it printed on stdout so far (its banner). */
  stdout(): string;
}

/** A fleet: the database, the mock PBX, the shared key, and proxies. */
export interface Fleet extends AsyncDisposable {
  db: string;
  keyFile: string;
  mock: MockAmi;
  proxies: FleetProxy[];
  /** Starts another proxy on the same PBX and database. */
  startProxy(extra?: string[]): Promise<FleetProxy>;
  token(role: Role, sub: string, ext?: string): Promise<string>;
}

/** Starts the database, the mock PBX and `count` proxies. */
export async function startFleet(
  count: number,
  options: { calls?: number; binary?: string; recordings?: readonly string[]; extra?: string[] } =
    {},
): Promise<Fleet> {
  const database = await testDatabase();
  const dir = Deno.makeTempDirSync({ prefix: "astrix-fleet-" });
  const keyFile = `${dir}/audit.key`;
  Deno.writeTextFileSync(`${dir}/jwt.secret`, JWT_SECRET);
  Deno.writeTextFileSync(`${dir}/ami.secret`, "fleet-ami-secret");
  const mock = createMockAmi({
    users: [{ username: "astrix", secret: "fleet-ami-secret", read: ["all"], write: ["all"] }],
    calls: options.calls ?? 4,
  });
  const addr = await mock.listen({ hostname: "127.0.0.1", port: 0 });
  const recordings: string[] = [];
  if (options.recordings) {
    Deno.mkdirSync(`${dir}/recordings`);
    for (const id of options.recordings) {
      const header = wavHeader({
        sampleRate: 8_000,
        channels: 1,
        bitsPerSample: 16,
        dataSize: 16_000,
      });
      const file = new Uint8Array(header.length + 16_000);
      file.set(header);
      Deno.writeFileSync(`${dir}/recordings/${id}.wav`, file);
    }
    recordings.push("--recordings", `${dir}/recordings`);
  }
  const proxies: FleetProxy[] = [];
  const startProxy = async (extra: string[] = []) => {
    const proxy = await spawnProxy(options.binary, [
      "proxy",
      "--port",
      "0",
      "--ami",
      `127.0.0.1:${addr.port}`,
      "--ami-user",
      "astrix",
      "--ami-secret-file",
      `${dir}/ami.secret`,
      "--audit-db",
      database.url,
      "--audit-key-file",
      keyFile,
      "--jwt-secret-file",
      `${dir}/jwt.secret`,
      ...recordings,
      ...options.extra ?? [],
      ...extra,
    ]);
    proxies.push(proxy);
    return proxy;
  };
  try {
    // One after the other: the first creates the key and migrates; the others find both.
    for (let i = 0; i < count; i++) await startProxy();
  } catch (error) {
    for (const proxy of proxies) await proxy.stop();
    await mock.close();
    await database[Symbol.asyncDispose]();
    throw error;
  }
  return {
    db: database.url,
    keyFile,
    mock,
    proxies,
    startProxy,
    token: (role, sub, ext) =>
      signToken(new TextEncoder().encode(JWT_SECRET), { role, sub, ext, ttlSeconds: 3600 }),
    async [Symbol.asyncDispose]() {
      for (const proxy of proxies) await proxy.stop();
      await mock.close();
      await database[Symbol.asyncDispose]();
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

/** Starts `astrix <args>` (from source, or `binary`) and waits for its "listening on" line. */
export async function spawnProxy(
  binary: string | undefined,
  args: string[],
): Promise<FleetProxy> {
  const child = new Deno.Command(binary ?? Deno.execPath(), {
    args: binary ? args : denoArgs(args),
    stdout: "piped",
    stderr: "piped",
    env: { ASTRIX_LOG_FORMAT: "json" },
  }).spawn();
  let errors = "";
  const stderrDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (errors += chunk) }),
  ).catch(() => {});
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await lines.read();
    if (done) {
      await child.status;
      await stderrDone;
      throw new Error(`astrix ${args.join(" ")} exited before listening: ${errors}`);
    }
    text += value;
    url = text.match(/listening on (http:\/\/\S+)/)?.[1];
  }
  // The rest of stdout (the banner) is read as it comes, so the pipe never fills.
  const stdoutDone = (async () => {
    for (let r = await lines.read(); !r.done; r = await lines.read()) text += r.value;
  })().catch(() => {});
  let ended: Promise<void> | undefined;
  const end = (signal: Deno.Signal) =>
    ended ??= (async () => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      await child.status;
      await stdoutDone;
      await stderrDone;
    })();
  return {
    url,
    pid: child.pid,
    kill: () => end("SIGKILL"),
    stop: () => end("SIGTERM"),
    stderr: () => errors,
    stdout: () => text,
  };
}
