/**
 * The audit's two databases as the tests use them, so that one test runs
 * on both: a fresh SQLite file, or a fresh database on a real PostgreSQL
 * (`./postgres.ts`). Each gives the writer astrix uses, the readers, and an
 * attacker's own connection (raw SQL, `?` placeholders on both).
 *
 * @example
 * ```ts
 * for (const backend of AUDIT_BACKENDS) {
 *   Deno.test(`[${backend.name}] ...`, async () => {
 *     await using audit = await backend.create();
 *     await audit.append([{ userId: "u1", action: "listen", outcome: "ok" }]);
 *   });
 * }
 * ```
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import postgres from "postgres";
import type { AuditEntry } from "../../src/audit/chain.ts";
import { type Appended, AuditLog } from "../../src/audit/log.ts";
import { PgAuditLog } from "../../src/audit/pg/log.ts";
import { type AuditSource, openAuditSource } from "../../src/audit/source.ts";
import { runCli } from "./cli.ts";
import { testDatabase } from "./postgres.ts";

type Value = string | number | null;

/** One audit, fresh, on one database. */
export interface TestAudit extends AsyncDisposable {
  backend: "sqlite" | "postgres";
  /** What `--db` / `--audit-db` is given: the file, or the URL. */
  db: string;
  keyFile: string;
  /** A folder of its own (the key is in it). */
  dir: string;
  /** Appends with astrix's writer (opened, then closed again). */
  append(entries: readonly AuditEntry[]): Promise<Appended[]>;
  /** Opens astrix's writer, which refuses a tampered audit; closes it again. */
  openWriter(): Promise<void>;
  /** Runs SQL as someone with access to the database and not to the key. */
  exec(sql: string, ...params: Value[]): Promise<void>;
  /** Rows of a query on an attacker's connection. */
  rows(sql: string, ...params: Value[]): Promise<Record<string, Value>[]>;
  /** The readers' view (close it). */
  source(): Promise<AuditSource>;
}

/** How to make a {@linkcode TestAudit}. */
export interface AuditBackend {
  name: "sqlite" | "postgres";
  create(): Promise<TestAudit>;
}

function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const sqlite: AuditBackend = {
  name: "sqlite",
  create() {
    const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-sqlite-" });
    const db = `${dir}/ami_audit.db`;
    const keyFile = `${dir}/audit.key`;
    const withDb = <T>(work: (handle: DatabaseSync) => T): T => {
      const handle = new DatabaseSync(db);
      try {
        return work(handle);
      } finally {
        handle.close();
      }
    };
    return Promise.resolve({
      backend: "sqlite",
      db,
      keyFile,
      dir,
      append(entries) {
        const log = AuditLog.open(db, { keyFile });
        try {
          return Promise.resolve(log.appendAll(entries));
        } finally {
          log.close();
        }
      },
      openWriter() {
        AuditLog.open(db, { keyFile }).close();
        return Promise.resolve();
      },
      exec(sql, ...params) {
        withDb((handle) => params.length ? handle.prepare(sql).run(...params) : handle.exec(sql));
        return Promise.resolve();
      },
      rows(sql, ...params) {
        return Promise.resolve(
          withDb((handle) => handle.prepare(sql).all(...params) as Record<string, Value>[]),
        );
      },
      source: () => openAuditSource(db),
      [Symbol.asyncDispose]() {
        Deno.removeSync(dir, { recursive: true });
        return Promise.resolve();
      },
    });
  },
};

const pg: AuditBackend = {
  name: "postgres",
  async create() {
    const database = await testDatabase();
    const dir = Deno.makeTempDirSync({ prefix: "astrix-audit-pg-" });
    const keyFile = `${dir}/audit.key`;
    const db = database.url;
    const attacker = postgres(db, { max: 1, onnotice: () => {} });
    return {
      backend: "postgres",
      db,
      keyFile,
      dir,
      async append(entries) {
        const log = await PgAuditLog.open(db, { keyFile });
        try {
          return await log.appendAll(entries);
        } finally {
          await log.close();
        }
      },
      async openWriter() {
        await (await PgAuditLog.open(db, { keyFile })).close();
      },
      async exec(sql, ...params) {
        await attacker.unsafe(numbered(sql), params);
      },
      async rows(sql, ...params) {
        const rows = await attacker.unsafe(numbered(sql), params);
        // As SQLite gives them: bigint columns as numbers.
        return rows.map((row) =>
          Object.fromEntries(
            Object.entries(row).map((
              [k, v],
            ) => [k, typeof v === "string" && /^(id|timestamp|count)$/.test(k) ? Number(v) : v]),
          ) as Record<string, Value>
        );
      },
      source: () => openAuditSource(db),
      async [Symbol.asyncDispose]() {
        await attacker.end();
        Deno.removeSync(dir, { recursive: true });
        await database[Symbol.asyncDispose]();
      },
    };
  },
};

/** Both databases, SQLite first. */
export const AUDIT_BACKENDS: readonly AuditBackend[] = [sqlite, pg];

/** `astrix audit-query --db <the audit> --verify --key-file <its key> [args]` as a process. */
export function verifyCli(audit: TestAudit, ...args: string[]) {
  return runCli([
    "audit-query",
    "--db",
    audit.db,
    "--verify",
    "--key-file",
    audit.keyFile,
    ...args,
  ]);
}
