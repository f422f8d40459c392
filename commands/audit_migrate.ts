/**
 * `astrix audit-migrate`: moves a SQLite audit (the default, one proxy) to
 * PostgreSQL (several proxies), every row with its id and hashes. The
 * source is verified with its key first (a broken chain is not carried
 * over as if it held), the copy is verified on the target with the same
 * key, and the proxies then run with `--audit-db postgres://...` and that
 * key file.
 *
 * @module
 */

import { Command, Option } from "commander";
import {
  anchorFile,
  AuditDatabaseUnreachableError,
  AuditFileInvalidError,
  AuditFileMissingError,
  AuditKeyError,
  defaultKeyFile,
  describeUrl,
  formatPoint,
  isPostgresUrl,
  loadKey,
  openAuditSource,
  readAnchor,
  type VerifyResult,
} from "../src/audit/mod.ts";
import { AuditTargetNotEmptyError, copyToPostgres } from "../src/audit/pg/copy.ts";
import { openForReading } from "../src/audit/schema.ts";
import { verifyChain } from "../src/audit/verify.ts";
import type { CliContext } from "./context.ts";

interface AuditMigrateFlags {
  from: string;
  to: string;
  keyFile?: string;
}

/** Builds the `audit-migrate` subcommand. */
export function auditMigrateCommand(ctx: CliContext): Command {
  return new Command("audit-migrate")
    .summary("copy a SQLite audit into PostgreSQL, hashes and all, and verify it there")
    .description(
      "Copy the audit of one proxy (a SQLite file) into PostgreSQL, where several proxies can " +
        "share it: every row keeps its id and hashes, so the same key verifies the same chain. " +
        "The source is verified first; the target must hold no audit yet; the copy is verified " +
        "on the target. Stop the proxy that writes the file first.",
    )
    .addOption(
      new Option("--from <file>", "the SQLite audit, the proxy's --audit-db").makeOptionMandatory()
        .env("ASTRIX_AUDIT_DB"),
    )
    .addOption(
      new Option("--to <url>", "the PostgreSQL database: postgres://user@host:port/db")
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--key-file <file>", "the audit's HMAC key, the proxy's --audit-key-file")
        .env("ASTRIX_AUDIT_KEY_FILE").default(undefined, "<from>.key"),
    )
    .addHelpText(
      "after",
      "\nExample:\n" +
        "  astrix audit-migrate --from /var/lib/astrix/ami_audit.db \\\n" +
        "    --to postgres://astrix@db.internal/astrix --key-file /etc/astrix/audit.key\n" +
        "  # then every proxy: --audit-db postgres://astrix@db.internal/astrix \\\n" +
        "  #   --audit-key-file /etc/astrix/audit.key (the same key file, mode 0600)",
    )
    .action(async (flags: AuditMigrateFlags) => {
      if (!isPostgresUrl(flags.to)) {
        ctx.err(`astrix audit-migrate: --to "${flags.to}" is not a postgres:// URL`);
        return ctx.exit(2);
      }
      const keyFile = flags.keyFile ?? defaultKeyFile(flags.from);
      const target = describeUrl(flags.to);
      try {
        // The file first: a missing one is the mistake to name, not its missing key.
        const source = openForReading(flags.from);
        try {
          const key = loadKey(keyFile, { create: false });
          const start = readAnchor(anchorFile(keyFile));
          const before = verifyChain(source, key, { start });
          if (!before.ok) {
            ctx.err(
              `astrix audit-migrate: ${flags.from} does not verify (row ${before.firstBad?.id}: ` +
                `${before.firstBad?.reason}); nothing copied. Keep it as evidence ` +
                "(astrix audit-query --verify says more)",
            );
            return ctx.exit(1);
          }
          ctx.err(`astrix audit-migrate: ${flags.from} verifies (${before.rows} rows); copying`);
          const copied = await copyToPostgres(source, flags.to, (rows) => {
            if (rows % 50_000 === 0) ctx.err(`astrix audit-migrate: ${rows} rows copied`);
          });
          const after = await verifyTarget(flags.to, key, start);
          if (!after.ok || after.rows !== before.rows) {
            ctx.err(
              `astrix audit-migrate: the copy in ${target} does not verify ` +
                `(${after.firstBad?.reason ?? `${after.rows} rows, not ${before.rows}`})`,
            );
            return ctx.exit(1);
          }
          ctx.out(
            `copied ${copied.rows} rows from ${flags.from} to ${target}; chain OK there: ` +
              `${after.chained} chained, ${after.legacy} legacy` +
              (after.head ? `, head ${formatPoint(after.head)}` : ""),
          );
          ctx.out(
            `next: run every proxy with --audit-db ${target} --audit-key-file ${keyFile}`,
          );
        } finally {
          source.close();
        }
      } catch (error) {
        if (error instanceof AuditFileMissingError) {
          // Its message names audit-query's --db; here the file is --from.
          ctx.err(
            `astrix audit-migrate: no audit database at ${flags.from}: --from takes the proxy's ` +
              "--audit-db file",
          );
          return ctx.exit(2);
        }
        if (
          error instanceof AuditKeyError ||
          error instanceof AuditFileInvalidError || error instanceof AuditTargetNotEmptyError ||
          error instanceof AuditDatabaseUnreachableError
        ) {
          ctx.err(`astrix audit-migrate: ${error.message}`);
          return ctx.exit(2);
        }
        throw error;
      }
    });
}

async function verifyTarget(
  url: string,
  key: Uint8Array,
  start: ReturnType<typeof readAnchor>,
): Promise<VerifyResult> {
  const source = await openAuditSource(url);
  try {
    return await source.verify(key, { start });
  } finally {
    await source.close();
  }
}
