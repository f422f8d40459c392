/**
 * The load benchmarks' process plumbing: servers and clients each run in a
 * process of their own (so that the measured side has a core to itself), a
 * server is read until its first line gives its port and is stopped by pid,
 * a client reports one JSON line.
 */

const root = new URL("../", import.meta.url).pathname;

/** A server process started by a benchmark. */
export interface ServerProcess {
  port: number;
  /** SIGTERM, then the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startServer}. */
export interface StartServerOptions {
  /** `null` silences a server that logs every request; default `inherit`. */
  stderr?: "inherit" | "null";
}

/** Spawns `deno run -A <args>` and reads the port from the first line it prints. */
export async function startServer(
  name: string,
  args: string[],
  portPattern: RegExp,
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: root,
    stdout: "piped",
    stderr: options.stderr ?? "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${name} exited before listening`);
    text += value;
  }
  const port = Number(text.match(portPattern)?.[1]);
  if (!port) throw new Error(`${name}: no port in ${JSON.stringify(text)}`);
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      await reader.cancel();
      return await child.status;
    },
  };
}

/** Runs `deno run -A <file> <args>` to completion and parses the last line of its output as JSON. */
export async function runJson<T>(file: string, args: (string | number)[]): Promise<T> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", file, ...args.map(String)],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`${file} ${args.join(" ")} failed`);
  return JSON.parse(new TextDecoder().decode(output.stdout).trim().split("\n").at(-1)!);
}

/** Waits (10 s at most) until the proxy on `port` answers `/readyz` with 200. */
export async function waitReady(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`);
    await response.body?.cancel();
    if (response.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("The proxy did not become ready (logged in to mock-ami) within 10 s");
}
