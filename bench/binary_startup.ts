/**
 * The single binary's size and start-up time: `dist/astrix --version`
 * (build it first with `deno task compile:bun`) against the ceiling of a
 * binary compiled the same way from a one-line program that prints the same
 * thing, measured in the same run. Median of 30 runs each.
 *
 *   deno run -A bench/binary_startup.ts
 */

const root = new URL("../", import.meta.url).pathname;
const binary = `${root}dist/astrix`;
try {
  Deno.statSync(binary);
} catch {
  console.error("bench/binary_startup.ts needs dist/astrix: run deno task compile:bun first");
  Deno.exit(1);
}
const dir = Deno.makeTempDirSync({ prefix: "astrix-startup-" });
Deno.writeTextFileSync(`${dir}/floor.ts`, 'console.log("0.1.0");\n');
const build = await new Deno.Command("npx", {
  args: ["-y", "bun@1", "build", "--compile", `${dir}/floor.ts`, "--outfile", `${dir}/floor`],
  stdout: "null",
  stderr: "inherit",
}).output();
if (!build.success) throw new Error("could not build the floor binary");

async function median(path: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 31; i++) {
    const started = performance.now();
    const { success } = await new Deno.Command(path, { args: ["--version"], stdout: "null" })
      .output();
    if (!success) throw new Error(`${path} --version failed`);
    if (i > 0) times.push(performance.now() - started); // the first run warms the page cache
  }
  return times.sort((a, b) => a - b)[15];
}

const floor = await median(`${dir}/floor`);
const astrix = await median(binary);
const mib = (path: string) => (Deno.statSync(path).size / 1024 / 1024).toFixed(1);
console.log("\n| binary | size | `--version` (median of 30) | vs floor |");
console.log("|---|---:|---:|---:|");
console.log(
  `| floor: \`console.log\` compiled by bun | ${mib(`${dir}/floor`)} MiB | ${
    floor.toFixed(1)
  } ms | 100% |`,
);
console.log(
  `| dist/astrix (bun build --compile) | ${mib(binary)} MiB | ${astrix.toFixed(1)} ms | ${
    Math.round((floor / astrix) * 100)
  }% |`,
);
Deno.removeSync(dir, { recursive: true });
