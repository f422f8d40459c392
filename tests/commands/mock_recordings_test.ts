/**
 * `astrix mock-recordings` as a real process on port 0: a big sparse file
 * streamed whole with bounded memory, the synthetic set, a missing --dir, and
 * SIGTERM while a client stalls on a stream.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { runCli } from "../_support/cli.ts";
import { parseWav, wavHeader } from "../../src/recordings/wav.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const MB = 1024 * 1024;

/** A running server: the Deno process itself (no npx or task runner between), so its pid is real. */
interface Server {
  pid: number;
  url: string;
  /** The first two stdout lines. */
  lines: string[];
  /**
   * Sends SIGTERM and waits for the exit (SIGKILL after `timeoutMs`, with `killed` set);
   * the exit code and the rest of stdout and stderr.
   */
  stop(
    timeoutMs?: number,
  ): Promise<{ code: number; stdout: string; stderr: string; killed: boolean }>;
}

/** Starts `astrix mock-recordings --port 0 <args>` with the `astrix` task's permissions. */
async function startServer(...args: string[]): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      MAIN,
      "mock-recordings",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (text.split("\n").length < 3) {
    const { value, done } = await stdout.read();
    if (done) {
      const { code } = await child.status;
      throw new Error(`mock-recordings exited ${code} before listening: ${await stderr}`);
    }
    text += value;
  }
  const lines = text.split("\n");
  let stopped: ReturnType<Server["stop"]> | undefined;
  return {
    pid: child.pid,
    url: lines[0].match(/listening on (http:\/\/127\.0\.0\.1:\d+) · /)![1],
    lines: lines.slice(0, 2),
    stop(timeoutMs = 10_000) {
      stopped ??= (async () => {
        child.kill("SIGTERM");
        let killed = false;
        const deadline = setTimeout(() => {
          killed = true;
          child.kill("SIGKILL");
        }, timeoutMs);
        let rest = lines.slice(2).join("\n");
        for (let r = await stdout.read(); !r.done; r = await stdout.read()) rest += r.value;
        const { code } = await child.status;
        clearTimeout(deadline);
        return { code, stdout: rest, stderr: await stderr, killed };
      })();
      return stopped;
    },
  };
}

/** A WAV file of `size` bytes: a 44-byte header, then a hole, with a few marked spots. */
async function sparseWav(size: number): Promise<{ dir: string; path: string; marks: number[] }> {
  const dir = await Deno.makeTempDir({ prefix: "astrix-mock-recordings-" });
  const path = `${dir}/big.wav`;
  await Deno.writeFile(
    path,
    wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: size - 44 }),
  );
  await Deno.truncate(path, size);
  const marks = [1000, Math.floor(size / 2) + 123, size - 4096];
  using file = await Deno.open(path, { write: true });
  for (const at of marks) {
    await file.seek(at, Deno.SeekMode.Start);
    await file.write(new Uint8Array(4096).map((_, i) => (at + i * 7) % 256));
  }
  return { dir, path, marks };
}

async function readSlice(path: string, start: number, length: number): Promise<Uint8Array> {
  using file = await Deno.open(path);
  await file.seek(start, Deno.SeekMode.Start);
  const bytes = new Uint8Array(length);
  let read = 0;
  while (read < length) read += (await file.read(bytes.subarray(read)))!;
  return bytes;
}

/**
 * The process's peak resident set (VmHWM) in bytes, or undefined without Linux's /proc.
 * Read by `cat`: Deno lets only --allow-all read another process's /proc files.
 */
async function peakRss(pid: number): Promise<number | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  const { success, stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stderr: "null",
  }).output();
  const kb = new TextDecoder().decode(stdout).match(/^VmHWM:\s+(\d+) kB$/m)?.[1];
  return success && kb !== undefined ? Number(kb) * 1024 : undefined;
}

Deno.test("mock-recordings streams a 200 MB file whole with bounded memory", async () => {
  const size = 200 * MB;
  const { dir, path, marks } = await sparseWav(size);
  const server = await startServer("--dir", dir);
  try {
    assertEquals(server.lines[1], `  try: ${server.url}/recordings/big/stream`);
    // Each slice ends 4,096 bytes past a mark; the last one ends at the file's end.
    for (const at of [0, ...marks.map((m) => m - 10)]) {
      const response = await fetch(`${server.url}/recordings/big/stream`, {
        headers: { Range: `bytes=${at}-${at + 4105}` },
      });
      const body = new Uint8Array(await response.arrayBuffer());
      assertEquals(response.status, 206);
      assertEquals(response.headers.get("Content-Range"), `bytes ${at}-${at + 4105}/${size}`);
      assertEquals(body, await readSlice(path, at, 4106), `bytes from ${at}`);
    }

    const before = await peakRss(server.pid);
    const response = await fetch(`${server.url}/recordings/big/stream`);
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("Content-Length"), String(size));
    assertEquals(response.headers.get("Content-Type"), "audio/wav");
    let received = 0;
    for await (const chunk of response.body!) received += chunk.length;
    assertEquals(received, size);
    const after = await peakRss(server.pid);
    if (before !== undefined && after !== undefined) {
      const growth = after - before;
      // Garbage collection is lazy, so some growth is normal (~40 MB seen, whatever the file's
      // size); holding the file would add its 200 MB.
      assert(growth < 100 * MB, `peak RSS grew by ${(growth / MB).toFixed(1)} MB`);
    }

    const { code, stderr } = await server.stop();
    assertEquals(code, 0, stderr);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mock-recordings serves a synthetic set whose try: URL streams a WAV", async () => {
  const server = await startServer("--count", "3", "--seed", "5");
  try {
    assertMatch(server.lines[0], / · 3 synthetic recordings \(seed 5\)$/);
    const list = await (await fetch(`${server.url}/recordings`)).json();
    assertEquals(list.recordings.length, 3);
    const tryUrl = server.lines[1].match(/^ {2}try: (\S+)$/)![1];
    assertEquals(tryUrl, `${server.url}${list.recordings[0].streamUrl}`);
    const response = await fetch(tryUrl);
    assertEquals(response.status, 200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    assertEquals(bytes.length, Number(response.headers.get("Content-Length")));
    assertEquals(new TextDecoder().decode(bytes.subarray(0, 4)), "RIFF");
    assertEquals(new TextDecoder().decode(bytes.subarray(8, 12)), "WAVE");
    const wav = parseWav(bytes.subarray(0, 1024), bytes.length);
    assertEquals(wav.dataOffset + wav.dataSize, bytes.length);
    assertEquals(wav.durationMs, list.recordings[0].durationMs);
  } finally {
    const { code, stderr } = await server.stop();
    assertEquals(code, 0, stderr);
  }
});

Deno.test("mock-recordings --dir on a missing folder exits 2 naming the folder and --dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "astrix-mock-recordings-" });
  try {
    const missing = `${dir}/no-such-monitor`;
    const { code, stdout, stderr } = await runCli(["mock-recordings", "--dir", missing]);
    assertEquals(code, 2, stderr);
    assertEquals(stdout, "");
    assert(stderr.includes(`"${missing}"`), stderr);
    assert(stderr.includes("--dir"), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mock-recordings exits 0 on SIGTERM while a client holds a stream unread", async () => {
  const { dir } = await sparseWav(64 * MB);
  const server = await startServer("--dir", dir);
  let response: Response | undefined;
  try {
    response = await fetch(`${server.url}/recordings/big/stream`);
    assertEquals(response.status, 200);
    const started = Date.now();
    const { code, stderr, killed } = await server.stop(8_000);
    const elapsed = Date.now() - started;
    assert(!killed, `still running 8 s after SIGTERM: ${stderr}`);
    assertEquals(code, 0, stderr);
    assertMatch(stderr, /mock-recordings: SIGTERM, stopping/);
    assert(elapsed < 6_000, `stopping took ${elapsed} ms`);
  } finally {
    await response?.body?.cancel().catch(() => {});
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
