/**
 * `astrix openapi`: prints the proxy's OpenAPI 3.1 document (the one
 * `GET /openapi.json` serves), writes it to a file, or checks that a file
 * holds exactly it (CI's freshness check of docs/openapi.json).
 *
 * @module
 */

import { Command, Option } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { openApiJson } from "../src/proxy/api/openapi.ts";
import type { CliContext } from "./context.ts";

interface OpenApiFlags {
  out?: string;
  check?: string;
}

/** Builds the `openapi` subcommand. */
export function openApiCommand(ctx: CliContext): Command {
  return new Command("openapi")
    .summary("print the proxy's OpenAPI document")
    .description(
      "Print the proxy's OpenAPI 3.1 document, generated from the code: the one the proxy serves " +
        "at /openapi.json (and renders at /docs). Generate a client from it.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  astrix openapi > openapi.json\n" +
        "  npx openapi-typescript openapi.json -o astrix.d.ts   # types for a TS client\n" +
        "  astrix openapi --check docs/openapi.json             # exit 1 if it is stale",
    )
    .addOption(new Option("--out <file>", "write it to this file instead of stdout"))
    .addOption(
      new Option("--check <file>", "exit 1 unless this file holds exactly the document")
        .conflicts("out"),
    )
    .action((flags: OpenApiFlags) => {
      const json = openApiJson();
      if (flags.check !== undefined) {
        let committed: string;
        try {
          committed = readFileSync(flags.check, "utf8");
        } catch (error) {
          ctx.err(`astrix openapi: cannot read ${flags.check}: ${(error as Error).message}`);
          return ctx.exit(2);
        }
        if (committed !== json) {
          ctx.err(
            `astrix openapi: ${flags.check} is not the document the code generates: ` +
              "run `deno task openapi` and commit the result",
          );
          return ctx.exit(1);
        }
        ctx.out(`${flags.check} is up to date`);
        return ctx.exit(0);
      }
      if (flags.out !== undefined) {
        try {
          writeFileSync(flags.out, json);
        } catch (error) {
          ctx.err(`astrix openapi: cannot write ${flags.out}: ${(error as Error).message}`);
          return ctx.exit(2);
        }
        return ctx.exit(0);
      }
      ctx.out(json.trimEnd());
      ctx.exit(0);
    });
}
