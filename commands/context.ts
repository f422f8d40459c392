/**
 * What every subcommand gets from main.ts: where to write and where to put
 * its exit code (only main.ts exits the process).
 *
 * @module
 */

/** Output streams and the exit code of one CLI run. */
export interface CliContext {
  /** Command output (stdout). */
  out(line: string): void;
  /** Diagnostics and logs (stderr). */
  err(line: string): void;
  /** Sets the process's exit code. */
  exit(code: number): void;
  /** Resolves when the process is asked to stop (Ctrl-C / SIGTERM). */
  stopSignal(): Promise<string>;
}
