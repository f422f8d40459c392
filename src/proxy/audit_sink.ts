/**
 * The proxy's audit writer, for the database `--audit-db` names: a SQLite
 * file, written by the audit worker thread (`../audit/worker_writer.ts`),
 * or a `postgres://` URL, written in group commits over the driver's
 * non-blocking connection (`../audit/pg/writer.ts`) and shared with every
 * other proxy writing there (with the same `--audit-key-file`).
 *
 * @module
 */

import { isPostgresUrl } from "../audit/mod.ts";
import { PgAuditWriter } from "../audit/pg/writer.ts";
import { AuditWriter, type AuditWriterEvent } from "../audit/worker_writer.ts";
import type { AuditSink } from "./audit_trail.ts";

/** What the proxy needs of its audit writer. */
export interface ProxyAuditWriter extends AuditSink {
  /** The file, or the URL with its password masked (the startup banner shows it). */
  readonly description: string;
  close(): Promise<void>;
}

/** Options of {@linkcode openAuditWriter}. */
export interface AuditWriterConfig {
  db: string;
  keyFile: string;
  /** How long a write waits for another process's lock (SQLite's file, PostgreSQL's head). */
  busyTimeoutMs?: number;
  /** SQLite only: least time between two WAL checkpoints. */
  checkpointIntervalMs?: number;
  onEvent: (event: AuditWriterEvent) => void;
}

/** Opens the writer of the database `config.db` names; rejects with the open's own error. */
export async function openAuditWriter(config: AuditWriterConfig): Promise<ProxyAuditWriter> {
  if (isPostgresUrl(config.db)) {
    return await PgAuditWriter.open(config.db, {
      keyFile: config.keyFile,
      lockTimeoutMs: config.busyTimeoutMs,
      onEvent: config.onEvent,
    });
  }
  // Written by its worker thread: a held lock or a slow disk never stalls this one.
  return await AuditWriter.open(config.db, {
    keyFile: config.keyFile,
    busyTimeoutMs: config.busyTimeoutMs,
    checkpointIntervalMs: config.checkpointIntervalMs,
    onEvent: config.onEvent,
  });
}
