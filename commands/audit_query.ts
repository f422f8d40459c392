/**
 * `astrix audit-query`: who did what to which call, when, and was it allowed.
 * Reads the audit read-only (it works while the proxy writes), from a SQLite
 * file or a PostgreSQL database (`--db postgres://...`), and verifies its
 * hash chain.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "commander";
import {
  anchorFile,
  AuditAnchorError,
  AuditDatabaseUnreachableError,
  AuditFileInvalidError,
  AuditFileMissingError,
  type AuditFilter,
  AuditKeyError,
  type AuditSource,
  type ChainPoint,
  defaultKeyFile,
  formatPoint,
  isPostgresUrl,
  loadKey,
  openAuditSource,
  type Outcome,
  OUTCOMES,
  parsePoint,
  readAnchor,
  type RecordedHead,
  type StatsKey,
} from "../src/audit/mod.ts";
import {
  CSV_HEADER,
  csvLine,
  csvRow,
  followMinWidths,
  FollowTable,
  type Format,
  present,
  type PresentedRow,
  tableLines,
} from "../src/audit/format.ts";
import { verifyReport } from "../src/audit/verify_report.ts";
import { visible } from "../src/audit/visible.ts";
import { parseCount } from "../src/config.ts";
import { parseTimeSpec } from "../src/time_spec.ts";
import type { CliContext } from "./context.ts";

interface AuditQueryFlags {
  db: string;
  user?: string;
  role?: string;
  action?: string;
  target?: string;
  job?: string;
  outcome?: Outcome;
  since?: string;
  until?: string;
  limit: number;
  order: "asc" | "desc";
  format: Format;
  utc: boolean;
  stats: boolean;
  by: StatsKey;
  follow: boolean;
  verify: boolean;
  keyFile?: string;
  head: boolean;
  expectHead?: RecordedHead;
}

/** `ID:HASH`, or `ID:HASH START_ID:START_HASH` as --head prints it (the head, then the chain's start). */
function parseHead(value: string): RecordedHead {
  const [head, start, ...rest] = value.trim().split(/\s+/);
  const point = parsePoint(head ?? "");
  const from = start === undefined ? undefined : parsePoint(start);
  if (!point || (start !== undefined && !from) || rest.length > 0) {
    throw new InvalidArgumentError(
      `"${value}" is not ID:HASH (or ID:HASH START_ID:START_HASH) as --head prints it.`,
    );
  }
  return from ? { ...point, start: from } : point;
}

/** Builds the `audit-query` subcommand. */
export function auditQueryCommand(ctx: CliContext): Command {
  return new Command("audit-query")
    .summary("query, export, count and verify the audit log")
    .description(
      "Query the audit log: who listened to which call, when, and whether it was allowed. " +
        "Opens the database read-only (safe while the proxy writes) and never creates one: a " +
        "SQLite file, or a PostgreSQL database shared by several proxies (--db postgres://...).",
    )
    .addOption(
      new Option(
        "--db <file|url>",
        "the audit database, the proxy's --audit-db: a SQLite file or a postgres:// URL",
      ).env(
        "ASTRIX_AUDIT_DB",
      )
        .default("ami_audit.db"),
    )
    .addOption(new Option("--user <id>", "only this user (JWT sub / user_id)"))
    .addOption(
      new Option("--role <role>", "only this role").choices(["user", "qa", "supervisor", "admin"]),
    )
    .addOption(
      new Option("--action <action>", "only this action (listen, playback, control, hangup, ...)"),
    )
    .addOption(
      new Option(
        "--target <target>",
        "only this target; `*` globs; an extension (202) also matches its channels",
      ),
    )
    .addOption(new Option("--job <id>", "only this job"))
    .addOption(new Option("--outcome <outcome>", "only this outcome").choices([...OUTCOMES]))
    .addOption(
      new Option("--since <time>", "from this time: ISO 8601, today, yesterday, or 15m/24h/7d ago"),
    )
    .addOption(new Option("--until <time>", "up to this time (same forms as --since)"))
    .addOption(
      new Option("--limit <n>", "at most this many rows").default(100).argParser(parseCount),
    )
    .addOption(
      new Option("--order <order>", "newest or oldest first").choices(["asc", "desc"]).default(
        "desc",
      ),
    )
    .addOption(
      new Option("--format <format>", "output format").choices(["table", "json", "ndjson", "csv"])
        .default(
          "table",
        ),
    )
    .addOption(
      new Option("--utc", "show and read times in UTC instead of local time").default(false),
    )
    .addOption(
      new Option("--stats", "count rows instead of listing them (see --by)").default(false),
    )
    .addOption(
      new Option("--by <key>", "what --stats groups by").choices([
        "user",
        "action",
        "outcome",
        "day",
      ]).default(
        "user",
      ),
    )
    .addOption(
      new Option(
        "--follow",
        "print the last matching rows (10, or --limit), then new ones as they are written, until Ctrl-C",
      ).default(false),
    )
    .addOption(
      new Option("--verify", "check the hash chain; exit 0 only if it holds").default(false),
    )
    .addOption(
      new Option("--key-file <file>", "the audit HMAC key, for --verify").env(
        "ASTRIX_AUDIT_KEY_FILE",
      ).default(undefined, "<db>.key; required with a postgres:// --db"),
    )
    .addOption(
      new Option(
        "--head",
        "print the last row's ID:HASH and the chain start's, to record elsewhere",
      ).default(false),
    )
    .addOption(
      new Option(
        "--expect-head <id:hash>",
        "with --verify: that recorded row must still be there, unchanged (and the chain start " +
          "it names, if it names one)",
      )
        .argParser(parseHead),
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  # who listened to 202 this week; every denied request today\n" +
        "  astrix audit-query --action listen --target 202 --since 7d\n" +
        "  astrix audit-query --outcome denied --since today\n" +
        "  # October as CSV\n" +
        "  astrix audit-query --since 2026-10-01 --until 2026-11-01 \\\n" +
        "    --limit 1000000 --format csv > oct.csv\n" +
        "  # prove the log is unaltered up to a head recorded earlier (--head)\n" +
        "  astrix audit-query --verify --key-file /etc/astrix/audit.key \\\n" +
        '    --expect-head "$(cat recorded-head.txt)"\n' +
        "  # the audit several proxies share on PostgreSQL, as it is written\n" +
        "  astrix audit-query --db postgres://auditor@db.internal/astrix --follow",
    )
    .action(async (flags: AuditQueryFlags, command: Command) => {
      const now = Date.now();
      const time = (value: string | undefined, flag: string) => {
        if (value === undefined) return undefined;
        const ms = parseTimeSpec(value, now, { utc: flags.utc });
        if (ms === undefined) {
          throw new UsageError(
            `${flag} "${value}" is not a time: use ISO 8601, today, or 15m / 24h / 7d`,
          );
        }
        return ms;
      };
      try {
        const filter: AuditFilter = {
          user: flags.user,
          role: flags.role,
          action: flags.action,
          target: flags.target,
          job: flags.job,
          outcome: flags.outcome,
          since: time(flags.since, "--since"),
          until: time(flags.until, "--until"),
        };
        if (flags.follow && flags.format === "json") {
          throw new UsageError(
            "--follow prints rows as they come: use --format table, ndjson or csv",
          );
        }
        if (flags.verify && flags.keyFile === undefined && isPostgresUrl(flags.db)) {
          throw new UsageError(
            "--verify on a postgres:// --db needs --key-file (or ASTRIX_AUDIT_KEY_FILE): the " +
              "proxies' --audit-key-file",
          );
        }
        const reader = await openAuditSource(flags.db);
        try {
          if (flags.verify) return await verify(ctx, reader, flags, command);
          if (flags.head) return await head(ctx, reader);
          if (flags.stats) return await stats(ctx, reader, filter, flags);
          if (flags.follow) {
            const recent = command.getOptionValueSource("limit") === "default" ? 10 : flags.limit;
            return await follow(ctx, reader, filter, flags, recent);
          }
          await list(ctx, reader, filter, flags);
        } finally {
          await reader.close();
        }
      } catch (error) {
        if (
          error instanceof UsageError || error instanceof AuditFileMissingError ||
          error instanceof AuditFileInvalidError || error instanceof AuditDatabaseUnreachableError
        ) {
          ctx.err(`astrix audit-query: ${error.message}`);
          return ctx.exit(2);
        }
        throw error;
      }
    });
}

class UsageError extends Error {}

async function list(
  ctx: CliContext,
  reader: AuditSource,
  filter: AuditFilter,
  flags: AuditQueryFlags,
): Promise<void> {
  const { rows } = await reader.query(filter, { limit: flags.limit, order: flags.order });
  const style = { utc: flags.utc, iso: flags.format !== "table" };
  const presented = rows.map((row) => present(row, style));
  switch (flags.format) {
    case "json":
      return ctx.out(JSON.stringify(presented, null, 2));
    case "ndjson":
      for (const row of presented) ctx.out(JSON.stringify(row));
      return;
    case "csv":
      return ctx.out((csvLine(CSV_HEADER) + presented.map(csvRow).join("")).replace(/\r\n$/, ""));
    case "table":
      for (const line of tableLines(presented)) ctx.out(line);
      if (rows.length === 0) ctx.err("(no matching rows)");
  }
}

async function stats(
  ctx: CliContext,
  reader: AuditSource,
  filter: AuditFilter,
  flags: AuditQueryFlags,
): Promise<void> {
  const counts = await reader.stats(flags.by, filter, { utc: flags.utc });
  switch (flags.format) {
    case "json":
      return ctx.out(JSON.stringify(counts, null, 2));
    case "ndjson":
      for (const c of counts) ctx.out(JSON.stringify(c));
      return;
    case "csv":
      return ctx.out(
        (csvLine([flags.by, "count"]) + counts.map((c) => csvLine([c.key, c.count])).join(""))
          .replace(/\r\n$/, ""),
      );
    case "table": {
      const keys = counts.map((c) => visible(c.key)); // a user id must not act on the terminal
      const width = Math.max(flags.by.length, ...keys.map((key) => key.length));
      ctx.out(`${flags.by.toUpperCase().padEnd(width)}  COUNT`);
      counts.forEach((c, i) => ctx.out(`${keys[i].padEnd(width)}  ${c.count}`));
    }
  }
}

async function head(ctx: CliContext, reader: AuditSource): Promise<void> {
  const last = await reader.head();
  const start = await reader.chainStart();
  if (!last || !start) {
    ctx.err("astrix audit-query: no chained rows yet (the proxy has not written to this database)");
    return ctx.exit(1);
  }
  ctx.out(`${formatPoint(last)} ${formatPoint(start)}`);
}

async function verify(
  ctx: CliContext,
  reader: AuditSource,
  flags: AuditQueryFlags,
  command: Command,
): Promise<void> {
  const keyFile = flags.keyFile ?? defaultKeyFile(flags.db);
  let key: Uint8Array | undefined;
  let keyError: AuditKeyError | undefined; // matters only if there are chained rows
  let start: ChainPoint | undefined;
  try {
    key = loadKey(keyFile, { create: false });
    start = readAnchor(anchorFile(keyFile));
  } catch (error) {
    if (error instanceof AuditAnchorError) {
      ctx.err(`astrix audit-query: ${error.message}`);
      return ctx.exit(2);
    }
    if (!(error instanceof AuditKeyError)) throw error;
    keyError = error;
  }
  const result = await reader.verify(key, { expectHead: flags.expectHead, start });
  const report = verifyReport(result, {
    keyFile,
    keySource: keySource(command),
    keyError: keyError?.message,
    expectHead: flags.expectHead,
    anchorFile: key ? anchorFile(keyFile) : undefined,
    startRecorded: start !== undefined,
  });
  report.out.forEach((line) => ctx.out(line));
  report.err.forEach((line) => ctx.err(`astrix audit-query: ${line}`));
  ctx.exit(report.code);
}

/** Where --key-file's value came from, in words. */
function keySource(command: Command): string {
  switch (command.getOptionValueSource("keyFile")) {
    case "cli":
      return "from --key-file";
    case "env":
      return "from ASTRIX_AUDIT_KEY_FILE";
    default:
      return "the default, <db>.key";
  }
}

async function follow(
  ctx: CliContext,
  reader: AuditSource,
  filter: AuditFilter,
  flags: AuditQueryFlags,
  recent: number,
): Promise<void> {
  const style = { utc: flags.utc, iso: flags.format !== "table" };
  const stopping = ctx.stopSignal(); // before the first row: Ctrl-C then always stops cleanly
  // The recent rows and the last id from one snapshot: no row shown twice or missed.
  const snapshot = await reader.recent(filter, recent);
  let last = snapshot.lastId;
  const first = snapshot.rows.map((row) => present(row, style));
  // The table fits the first rows; a wider one later widens it under a new header.
  const table = new FollowTable(followMinWidths(style));
  const print = (row: PresentedRow) => {
    if (flags.format === "ndjson") ctx.out(JSON.stringify(row));
    else if (flags.format === "csv") ctx.out(csvRow(row).trimEnd());
    else table.add(row).forEach((line) => ctx.out(line));
  };
  if (flags.format === "table") table.start(first).forEach((line) => ctx.out(line));
  else {
    if (flags.format === "csv") ctx.out(csvLine(CSV_HEADER).trimEnd());
    first.forEach(print);
  }
  // Woken by each commit (PostgreSQL's NOTIFY, a poll on SQLite); one reader at a time, which
  // reads until nothing is new, again if woken meanwhile.
  let reading: Promise<void> | undefined;
  let woken = false;
  const readNew = async () => {
    while (woken) {
      woken = false;
      try {
        for (let rows = await reader.after(last, filter); rows.length > 0;) {
          for (const row of rows) {
            last = row.id;
            print(present(row, style));
          }
          rows = await reader.after(last, filter);
        }
      } catch (error) {
        // The database went away for a moment: the next wake (a reconnect) reads on.
        ctx.err(`astrix audit-query: cannot read new rows now: ${(error as Error).message}`);
      }
    }
    reading = undefined;
  };
  const wake = () => {
    woken = true;
    reading ??= readNew();
  };
  const unwatch = await reader.watch(wake);
  wake(); // rows committed between the snapshot and the watch
  await stopping;
  await unwatch();
  await reading;
  ctx.exit(0);
}
