/**
 * The audit as the proxy reads it back for the admin's routes (`GET /audit`,
 * `/audit/verify`): a read-only {@linkcode AuditSource} on the database the
 * proxy writes (a SQLite file, whose WAL lets it read while rows are
 * committed, or PostgreSQL, where every proxy's rows are), pages and CSV
 * exports with audit-query's field names and CSV writer (times in UTC), and
 * the chain's verification in a worker thread (`audit_verify_worker.ts`), one
 * at a time, so that hashing every row never stalls the event loop.
 *
 * @example
 * ```ts
 * import { AuditBrowser } from "./audit_browser.ts";
 *
 * const audit = await AuditBrowser.open("ami_audit.db", { keyFile: "ami_audit.db.key" });
 * await audit.page({ outcome: "denied" }, { limit: 10 }); // { rows: [...], nextCursor: "1796...42" }
 * (await audit.verify()).ok; // true while the chain holds
 * await audit.close();
 * ```
 *
 * @module
 */

import type { z } from "zod";
import {
  type AuditFilter,
  type AuditSource,
  openAuditSource,
  type PageOptions,
} from "../audit/mod.ts";
import { CSV_HEADER, csvLine, csvRow, present, type PresentedRow } from "../audit/format.ts";
import type { auditVerification } from "./api/schemas.ts";
import { ProxyError } from "./errors.ts";

/** Most rows one CSV export holds. */
export const CSV_ROW_CAP = 100_000;
/** Rows read per query of a CSV export: the event loop runs between two. */
const CSV_PAGE_ROWS = 1_000;
/** Times as the API writes them: ISO 8601 in UTC, whatever the proxy's time zone. */
const UTC_ISO = { utc: true, iso: true };

/** What `GET /audit/verify` answers. */
export type AuditVerification = z.infer<typeof auditVerification>;

/** What the verify worker is told. */
export interface VerifyRequest {
  path: string;
  keyFile: string;
}

/** What the verify worker answers. */
export type VerifyAnswer =
  | { type: "verified"; verification: AuditVerification }
  | { type: "failed"; message: string };

/** 503: the audit cannot be read or verified now (the message says why). */
export class AuditUnreadableError extends ProxyError {
  override name = "AuditUnreadableError";
  constructor(message: string, options?: ErrorOptions) {
    super(503, "audit_unreadable", message, options);
  }
}

/** Options of {@linkcode AuditBrowser.open}. */
export interface AuditBrowserOptions {
  /** The HMAC key file the audit is written with (and its `.anchor` beside it). */
  keyFile: string;
  /** The verify worker's script; default {@linkcode verifyWorkerUrl}. */
  workerUrl?: URL;
}

/**
 * Where the verify worker's script is: next to this module (Deno, `deno
 * compile --include`), or at its path from the project root in the bundle
 * `bun build --compile` makes (whose `import.meta.url` names the binary).
 */
export function verifyWorkerUrl(here: string = import.meta.url): URL {
  return here.endsWith("/audit_browser.ts")
    ? new URL("./audit_verify_worker.ts", here)
    : new URL("./src/proxy/audit_verify_worker.ts", here);
}

/** The audit, read-only, for the admin's routes. */
export class AuditBrowser {
  readonly #reader: AuditSource;
  readonly #request: VerifyRequest;
  readonly #workerUrl: URL;
  #verifying: Promise<AuditVerification> | undefined;
  #stopWorker: (() => void) | undefined;

  private constructor(reader: AuditSource, path: string, options: AuditBrowserOptions) {
    this.#reader = reader;
    this.#request = { path, keyFile: options.keyFile };
    this.#workerUrl = options.workerUrl ?? verifyWorkerUrl();
  }

  /** Opens the existing database `path` names read-only (the writer must have created it). */
  static async open(path: string, options: AuditBrowserOptions): Promise<AuditBrowser> {
    return new AuditBrowser(await openAuditSource(path), path, options);
  }

  /** One page of the rows matching `filter`; throws AuditUnreadableError if the database fails. */
  async page(
    filter: AuditFilter,
    page: PageOptions,
  ): Promise<{ rows: PresentedRow[]; nextCursor: string | null }> {
    const { rows, nextCursor } = await this.#query(filter, page);
    return { rows: rows.map((row) => present(row, UTC_ISO)), nextCursor: nextCursor ?? null };
  }

  /**
   * Every row matching `filter` (at most {@linkcode CSV_ROW_CAP}) as CSV, the
   * header first, read a page at a time as the client takes it.
   */
  csv(filter: AuditFilter, order: "asc" | "desc"): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    let cursor: string | undefined;
    let left = CSV_ROW_CAP;
    return new ReadableStream({
      start: (controller) => controller.enqueue(encoder.encode(csvLine(CSV_HEADER))),
      pull: async (controller) => {
        const limit = Math.min(CSV_PAGE_ROWS, left);
        const page = await this.#query(filter, { limit, order, cursor });
        const text = page.rows.map((row) => csvRow(present(row, UTC_ISO))).join("");
        if (text) controller.enqueue(encoder.encode(text));
        left -= page.rows.length;
        cursor = page.nextCursor;
        if (cursor === undefined || left === 0) controller.close();
      },
    });
  }

  /**
   * Verifies the chain in a worker thread with the proxy's key, as
   * `audit-query --verify` does; a request that comes while one runs gets
   * its result. Throws AuditUnreadableError if the worker cannot verify.
   */
  verify(): Promise<AuditVerification> {
    return this.#verifying ??= this.#inWorker().finally(() => this.#verifying = undefined);
  }

  /** Closes the connection and stops a verification under way. */
  async close(): Promise<void> {
    this.#stopWorker?.();
    await this.#reader.close();
  }

  async #query(filter: AuditFilter, page: PageOptions) {
    try {
      return await this.#reader.query(filter, page);
    } catch (error) {
      throw new AuditUnreadableError(
        `Cannot read the audit database ${this.#reader.description}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async #inWorker(): Promise<AuditVerification> {
    const worker = new Worker(this.#workerUrl, { type: "module" });
    const answer = Promise.withResolvers<VerifyAnswer>();
    const fail = (message: string) => answer.resolve({ type: "failed", message });
    worker.onmessage = (event: MessageEvent<VerifyAnswer>) => answer.resolve(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault(); // Deno would otherwise end the whole process
      fail(event.message || "an uncaught error");
    };
    this.#stopWorker = () => fail("the proxy is stopping");
    worker.postMessage(this.#request);
    try {
      const result = await answer.promise;
      if (result.type === "failed") {
        throw new AuditUnreadableError(
          `Cannot verify the audit ${this.#reader.description}: ${result.message}`,
        );
      }
      return result.verification;
    } finally {
      this.#stopWorker = undefined;
      worker.terminate();
    }
  }
}
