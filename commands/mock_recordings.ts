/**
 * `astrix mock-recordings`: the recordings HTTP server. Without `--dir` it
 * serves a synthetic set (real WAV audio); with `--dir` it serves a real
 * recordings directory read-only.
 *
 * @module
 */

import { Command, Option } from "commander";
import { parseCount, parsePort } from "../src/config.ts";
import { HttpListenError, serveHttp } from "../src/http/serve.ts";
import { createRecordingsApp } from "../src/recordings/app.ts";
import type { RecordingCatalog } from "../src/recordings/catalog.ts";
import { DirectoryCatalog } from "../src/recordings/directory.ts";
import { RecordingsDirectoryError } from "../src/recordings/errors.ts";
import { SyntheticCatalog } from "../src/recordings/synthetic.ts";
import type { CliContext } from "./context.ts";

interface MockRecordingsFlags {
  host: string;
  port: number;
  dir?: string;
  count: number;
  seed: number;
  rescan: number;
}

/** Builds the `mock-recordings` subcommand. */
export function mockRecordingsCommand(ctx: CliContext): Command {
  return new Command("mock-recordings")
    .summary("recordings over HTTP: synthetic, or a real folder read-only")
    .description(
      "Serve call recordings over HTTP as the app and the proxy expect them: " +
        "GET /recordings (newest first; from, to, extension, q, direction, limit, cursor), " +
        "GET /recordings/:id/metadata and GET|HEAD /recordings/:id/stream (HTTP Range, " +
        "ETag, Last-Modified). Without --dir: a synthetic set with real 8 kHz WAV audio. " +
        "With --dir: a real recordings folder (e.g. /var/spool/asterisk/monitor), read-only; " +
        "files added to it show up without a restart.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  astrix mock-recordings                # 20 synthetic recordings on :8081\n" +
        "  astrix mock-recordings --count 500 --seed 7 --port 0   # any free port\n" +
        "  astrix mock-recordings --dir /var/spool/asterisk/monitor --host 0.0.0.0",
    )
    .addOption(
      new Option("--host <host>", "address to listen on").env("ASTRIX_MOCK_RECORDINGS_HOST")
        .default("127.0.0.1"),
    )
    .addOption(
      new Option("--port <port>", "port to listen on; 0 picks a free one, printed")
        .env("ASTRIX_MOCK_RECORDINGS_PORT").default(8081).argParser(parsePort),
    )
    .addOption(
      new Option("--dir <path>", "serve this recordings directory instead of synthetic ones")
        .env("ASTRIX_RECORDINGS_DIR"),
    )
    .addOption(
      new Option("--count <n>", "how many synthetic recordings").env(
        "ASTRIX_MOCK_RECORDINGS_COUNT",
      ).default(20).argParser(parseCount),
    )
    .addOption(
      new Option("--seed <n>", "seed of the synthetic recordings: same seed, same set")
        .env("ASTRIX_MOCK_RECORDINGS_SEED").default(1).argParser(parseCount),
    )
    .addOption(
      new Option("--rescan <ms>", "with --dir: rescan the folder when a request finds it older")
        .env("ASTRIX_RECORDINGS_RESCAN").default(2_000).argParser(parseCount),
    )
    .action(async (flags: MockRecordingsFlags) => {
      let catalog: RecordingCatalog;
      let source: string;
      if (flags.dir !== undefined) {
        try {
          catalog = await DirectoryCatalog.open(flags.dir, {
            rescanMs: flags.rescan,
            onSkip: (path, reason) => ctx.err(`astrix mock-recordings: skipped ${path}: ${reason}`),
          });
        } catch (error) {
          if (!(error instanceof RecordingsDirectoryError)) throw error;
          ctx.err(`astrix mock-recordings: ${error.message}`);
          return ctx.exit(2);
        }
        source = `${(catalog as DirectoryCatalog).root} (read-only)`;
      } else {
        catalog = new SyntheticCatalog({ count: flags.count, seed: flags.seed });
        source = `${flags.count} synthetic recordings (seed ${flags.seed})`;
      }
      const app = createRecordingsApp({
        catalog,
        onError: (error) => ctx.err(`astrix mock-recordings: ${(error as Error)?.stack ?? error}`),
      });
      let server;
      try {
        server = await serveHttp(app.fetch, { hostname: flags.host, port: flags.port });
      } catch (error) {
        if (!(error instanceof HttpListenError)) throw error;
        catalog.close();
        ctx.err(`astrix mock-recordings: ${error.message}`);
        return ctx.exit(2);
      }
      const { recordings } = await catalog.list({ limit: 1 });
      // Listening before it says so: a SIGTERM right after the banner still stops it cleanly.
      const stopping = ctx.stopSignal();
      ctx.out(`mock-recordings listening on ${server.url} · ${source}`);
      ctx.out(
        recordings.length > 0
          ? `  try: ${server.url}/recordings/${encodeURIComponent(recordings[0].id)}/stream`
          : `  no recordings yet: ${server.url}/recordings will list them as they appear`,
      );
      const signal = await stopping;
      ctx.err(`astrix mock-recordings: ${signal}, stopping`);
      await server.close();
      catalog.close();
      ctx.exit(0);
    });
}
