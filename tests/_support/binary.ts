/**
 * The compiled binary for end-to-end tests: where it is (`ASTRIX_BINARY`; a
 * relative path is taken from the current folder), running it to
 * completion, and `astrix dev` on free ports with what its banner says.
 *
 * @module
 */

import { resolve } from "node:path";

const given = Deno.env.get("ASTRIX_BINARY");
/** The binary, absolute (the tests run it from other folders); undefined when not given. */
export const BINARY = given ? resolve(given) : undefined;
/** No binary: the tests that need one are ignored. */
export const NO_BINARY = !BINARY;
const decoder = new TextDecoder();

/** Runs the binary to completion in `cwd`. */
export async function run(args: string[], cwd: string) {
  const output = await new Deno.Command(BINARY!, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * `astrix dev` on free ports in `cwd`, read until its banner is complete;
 * with `underShell`, started by a shell that waits for it (the child is then the shell).
 */
export async function startDev(
  cwd: string,
  options: { underShell?: boolean; args?: readonly string[] } = {},
) {
  const args = [
    "dev",
    "--port",
    "0",
    "--ami-port",
    "0",
    "--recordings-port",
    "0",
    ...options.args ?? [],
  ];
  const child = new Deno.Command(options.underShell ? "sh" : BINARY!, {
    args: options.underShell ? ["-c", `"$ASTRIX" ${args.join(" ")} & wait`] : args,
    env: { ASTRIX: BINARY! },
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { text, drained } = await readUntil(child, (text) => text.includes("stops everything"));
  const proxy = text.match(/proxy\s+(http:\/\/\S+)/)![1];
  const amiPort = Number(text.match(/mock-ami\s+\S+:(\d+)/)![1]);
  const recordings = text.match(/mock-recordings\s+(http:\/\/\S+)/)![1];
  return {
    pid: child.pid,
    /** What `.astrix/dev.pid` says. */
    stackPid: Number(Deno.readTextFileSync(`${cwd}/.astrix/dev.pid`)),
    proxy,
    amiPort,
    ports: [new URL(proxy).port, amiPort, new URL(recordings).port].map(Number),
    recordings,
    /** Both pipes closed: every process that held them (the stack too) has exited. */
    drained,
    banner: text,
    /** The console login link of each role, from the banner (single use). */
    loginLinks: Object.fromEntries(
      [...text.matchAll(/^ {2}(\w+) +(http:\/\/\S+\/console\/login\?code=\S+)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    ) as Record<string, string>,
    tokens: JSON.parse(Deno.readTextFileSync(`${cwd}/.astrix/tokens.json`)) as Record<
      string,
      string
    >,
    async stop(signal: Deno.Signal = "SIGINT") {
      child.kill(signal);
      const status = await child.status;
      const [, stderr] = await drained;
      return { code: status.code, stderr };
    },
  };
}

/**
 * Reads a child's stdout until `complete(text)`; then keeps both pipes drained (so that it never
 * blocks writing its logs): `drained` resolves, with the rest of stdout and all of stderr, once
 * every process that held them has exited.
 */
export async function readUntil(child: Deno.ChildProcess, complete: (text: string) => boolean) {
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!complete(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`astrix exited: ${await stderr}`);
    text += value;
  }
  const drained = Promise.all([
    (async () => {
      let rest = "";
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value;
      return rest;
    })(),
    stderr,
  ]);
  return { text, drained };
}
