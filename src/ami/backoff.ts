/**
 * Reconnect delays: exponential backoff with jitter.
 *
 * @module
 */

/** Bounds of the reconnect delay. */
export interface BackoffOptions {
  /** Delay before the first attempt, in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): the exponential step
 * `initialMs * 2^(attempt-1)` capped at `maxMs`, then jittered into
 * [step/2, step) so that many clients cut off together do not return together.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * backoffDelay(3, { initialMs: 500, maxMs: 30_000 }, () => 0); // 1000
 * ```
 */
export function backoffDelay(
  attempt: number,
  { initialMs, maxMs }: BackoffOptions,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}
