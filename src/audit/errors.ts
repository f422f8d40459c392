/**
 * Typed errors of the audit layer. The proxy turns {@linkcode AuditUnavailableError}
 * into 503 and does not act: the audit fails closed.
 *
 * @module
 */

import { CHECK_POSTGRES } from "./pg/advice.ts";

/** Base class of every error raised by the audit layer. */
export class AuditError extends Error {
  override name = "AuditError";
}

/** The audit could not be written (file, lock, disk, key): nothing may happen unaudited. */
export class AuditUnavailableError extends AuditError {
  override name = "AuditUnavailableError";
}

/** The database file to read does not exist (audit-query never creates one). */
export class AuditFileMissingError extends AuditError {
  override name = "AuditFileMissingError";
  readonly path: string;
  constructor(path: string) {
    super(
      `No audit database at ${path}: pass the proxy's --audit-db file with --db (or ASTRIX_AUDIT_DB)`,
    );
    this.path = path;
  }
}

/** The file to read is not an audit database (not SQLite, or no `ami_audit` table). */
export class AuditFileInvalidError extends AuditError {
  override name = "AuditFileInvalidError";
  readonly path: string;
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(
      `${path} is not an audit database (${reason}): pass the proxy's --audit-db file with --db ` +
        "(or ASTRIX_AUDIT_DB)",
      options,
    );
    this.path = path;
  }
}

/** The HMAC key file is missing, unreadable or not a key. */
export class AuditKeyError extends AuditError {
  override name = "AuditKeyError";
}

/**
 * The database was altered by someone without the key (its chain start
 * moved, hashes stripped, columns dropped, ids ≤ 0): the proxy refuses to
 * write on top of it, so that a forged log is never re-anchored and made to
 * look valid. An {@linkcode AuditUnavailableError}: nothing may happen unaudited.
 */
export class AuditTamperedError extends AuditUnavailableError {
  override name = "AuditTamperedError";
  readonly path: string;
  constructor(path: string, what: string, options?: ErrorOptions) {
    super(
      `The audit database ${path} was altered without the key: ${what}. astrix will not write ` +
        "to it (that would make the forged rows look valid). Keep the file as evidence, check it " +
        "with `astrix audit-query --verify`, and start the proxy on a new --audit-db file with its " +
        "own --audit-key-file (keep the old key: it is what verifies the old file)",
      options,
    );
    this.path = path;
  }
}

/** A value astrix cannot store exactly as it hashes it (a NUL, a lone surrogate, a wrong type). */
export class AuditValueError extends AuditError {
  override name = "AuditValueError";
  readonly field: string;
  constructor(field: string, problem: string) {
    super(
      `Cannot audit: ${field} ${problem}; SQLite would not store it as given, and the row's hash ` +
        "must cover exactly what is stored. Refuse such input before it reaches the audit",
    );
    this.field = field;
  }
}

/** The file beside the key that records where the chain starts is unreadable or not one. */
export class AuditAnchorError extends AuditError {
  override name = "AuditAnchorError";
}

/** A PostgreSQL audit could not be reached to be read (server down, wrong URL, refused login). */
export class AuditDatabaseUnreachableError extends AuditError {
  override name = "AuditDatabaseUnreachableError";
  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(`Cannot reach the audit database ${url}: ${reason}. ${CHECK_POSTGRES}`, options);
  }
}

/**
 * The audit's last chained row does not match the writer's key: the chain was written with
 * another key (proxies writing one database must share one key file), or that row was changed.
 */
export class AuditKeyMismatchError extends AuditUnavailableError {
  override name = "AuditKeyMismatchError";
  constructor(database: string, keyFile: string, rowId: number) {
    super(
      `The audit ${database}'s last chained row (row ${rowId}) does not match the key ` +
        `${keyFile}: the chain was written with another key (every proxy writing one audit must ` +
        "use the same --audit-key-file: copy the first proxy's), or that row was changed. astrix " +
        "will not append to it; check it with `astrix audit-query --verify --key-file <key>`",
    );
  }
}
