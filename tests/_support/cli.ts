/**
 * Runs the real `astrix` CLI from source in a subprocess, as a user would:
 * one-shot commands with their output and exit code, and long-running ones
 * (mock-ami) started, read until their "listening on" line, and stopped by pid.
 */

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** The `deno run` arguments that run `astrix <args>` from source, with the CLI's permissions. */
export function denoArgs(args: string[]): string[] {
  return [
    "run",
    "--allow-net=127.0.0.1,localhost",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    MAIN,
    ...args,
  ];
}

/** Runs `astrix <args>` to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: denoArgs(args),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A long-running `astrix` subprocess. */
export interface RunningCli {
  /** The first stdout line (where it listens). */
  firstLine: string;
  /** The port in the first line's `host:port`. */
  port: number;
  /** Sends SIGTERM and waits; returns exit code and the rest of stdout/stderr. */
  stop(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `astrix <args>` and waits for its first stdout line. */
export async function startCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<RunningCli> {
  const child = new Deno.Command(Deno.execPath(), {
    args: denoArgs(args),
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await stdout.read();
    if (done) {
      const status = await child.status;
      const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
      throw new Error(`astrix ${args.join(" ")} exited ${status.code} before printing: ${stderr}`);
    }
    text += decoder.decode(value, { stream: true });
  }
  const firstLine = text.slice(0, text.indexOf("\n"));
  const port = Number(firstLine.match(/:(\d+)\b/)?.[1] ?? "0");
  return {
    firstLine,
    port,
    async stop() {
      child.kill("SIGTERM");
      const rest: string[] = [text.slice(text.indexOf("\n") + 1)];
      for (let r = await stdout.read(); !r.done; r = await stdout.read()) {
        rest.push(decoder.decode(r.value));
      }
      const stderr = decoder.decode(await new Response(child.stderr).arrayBuffer());
      const status = await child.status;
      return { code: status.code, stdout: rest.join(""), stderr };
    },
  };
}
