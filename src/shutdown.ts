/**
 * Waiting for the process to be asked to stop (Ctrl-C, SIGTERM), so that a
 * long-running subcommand can close its servers cleanly and exit 0.
 *
 * @module
 */

import process from "node:process";

/** Resolves with the signal's name at the first SIGINT or SIGTERM; the listeners are then removed. */
export function untilStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const signals = ["SIGINT", "SIGTERM"] as const;
    const handlers = signals.map((signal) => {
      const handler = () => {
        signals.forEach((s, i) => process.off(s, handlers[i]));
        resolve(signal);
      };
      process.on(signal, handler);
      return handler;
    });
  });
}
