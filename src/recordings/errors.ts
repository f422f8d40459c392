/**
 * Typed errors of the recordings module. Every error is a {@linkcode RecordingsError}.
 *
 * @module
 */

/** Base class of every error raised by the recordings module. */
export class RecordingsError extends Error {
  override name = "RecordingsError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A file's header cannot be read as the format its name says. */
export class MediaFormatError extends RecordingsError {
  override name = "MediaFormatError";
}

/** The recordings directory cannot be served (missing, not a directory, unreadable). */
export class RecordingsDirectoryError extends RecordingsError {
  override name = "RecordingsDirectoryError";
  constructor(dir: string, options: { cause: unknown }) {
    super(
      `Cannot serve recordings from "${dir}": ${
        (options.cause as Error)?.message ?? options.cause
      }. Pass an existing, readable directory to --dir`,
      options,
    );
  }
}

/** A `cursor` this server did not make. */
export class InvalidCursorError extends RecordingsError {
  override name = "InvalidCursorError";
  constructor(cursor: string) {
    super(`"${cursor}" is not a cursor from this server: start again without one`);
  }
}
