/**
 * Typed errors of the audit layer. The proxy turns {@linkcode AuditUnavailableError}
 * into 503 and does not act: the audit fails closed.
 *
 * @module
 */

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
