/// <reference lib="deno.ns" />
/**
 * Builds the web console (`console/main.tsx` and what it imports, Preact
 * included) with esbuild into the two files the proxy carries in its binary:
 * `src/proxy/console/console.js` and `console.css`. The built files are
 * committed, so a fresh clone starts with the README's commands alone;
 * `--check` writes nothing and exits 1 when they are not what the sources
 * build to (CI runs it, through `deno task console:check`).
 *
 * @example
 * ```sh
 * deno task console         # rebuild after changing console/
 * deno task console:check   # exit 1 if the committed bundle is stale
 * ```
 *
 * @module
 */

import * as esbuild from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT_DIR = `${ROOT}src/proxy/console`;

/** The built files: name under src/proxy/console/ → contents. */
export async function buildConsole(): Promise<Map<string, string>> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ["console/main.tsx"],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox115", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "eof",
    charset: "utf8",
    outdir: OUT_DIR,
    entryNames: "console",
    write: false,
    logLevel: "silent",
  });
  const files = new Map<string, string>();
  for (const file of result.outputFiles) {
    files.set(file.path.slice(OUT_DIR.length + 1), file.text);
  }
  return files;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  let stale = 0;
  try {
    for (const [name, text] of await buildConsole()) {
      const path = `${OUT_DIR}/${name}`;
      if (!check) {
        writeFileSync(path, text);
        console.log(`wrote src/proxy/console/${name} (${text.length} bytes)`);
        continue;
      }
      let committed = "";
      try {
        committed = readFileSync(path, "utf8");
      } catch { /* missing: stale */ }
      if (committed !== text) {
        console.error(
          `src/proxy/console/${name} is not what console/ builds to: run \`deno task console\` ` +
            "and commit the result",
        );
        stale++;
      }
    }
  } finally {
    await esbuild.stop();
  }
  if (check && stale === 0) console.log("the console bundle is up to date");
  Deno.exit(stale === 0 ? 0 : 1);
}
