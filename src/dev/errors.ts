/**
 * Why `astrix dev` could not start. Each is a usage or configuration
 * problem the user fixes with a flag or by stopping something (exit 2).
 *
 * @module
 */

/** Base class of the dev stack's errors. */
export class DevError extends Error {
  override name = "DevError";
}

/** A port the stack could not take. */
export class DevPortError extends DevError {
  override name = "DevPortError";
  constructor(port: number, flag: string, options: { cause: unknown }) {
    super(
      `Port ${port} is in use (is astrix dev already running?): stop the other process or choose another with ${flag}`,
      options,
    );
  }
}

/** The pid file names another process that runs. */
export class DevAlreadyRunningError extends DevError {
  override name = "DevAlreadyRunningError";
  constructor(readonly path: string, readonly pid: number) {
    super(
      `${path} says astrix dev already runs as pid ${pid}: stop it (kill ${pid}) or use another ` +
        `--data-dir; if pid ${pid} is not astrix dev, delete ${path}`,
    );
  }
}

/** The data folder cannot be made or written. */
export class DevDataDirError extends DevError {
  override name = "DevDataDirError";
  constructor(dir: string, options: { cause: unknown }) {
    const code = (options.cause as { code?: string })?.code;
    const reason = code === "EEXIST" || code === "ENOTDIR"
      ? "a file is in the way (it must be a folder)"
      : (options.cause as Error)?.message;
    super(`--data-dir "${dir}" cannot be used: ${reason}`, options);
  }
}

/**
 * The data folder's audit no longer matches the chain start recorded beside
 * its key: most often its database was deleted by hand and the key kept.
 */
export class DevAuditTamperedError extends DevError {
  override name = "DevAuditTamperedError";
  constructor(auditDb: string, cause: Error) {
    super(
      `${cause.message}. In astrix dev: if you deleted ${auditDb} to start afresh, delete its key ` +
        `and anchor too (rm ${auditDb}*), or use another --data-dir`,
      { cause },
    );
  }
}
