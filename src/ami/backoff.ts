/**
 * Reconnect delays: exponential backoff with jitter, and the rule for when
 * the delay starts again from the bottom. A login alone does not reset it:
 * a peer that drops every connection right after login (or sends something
 * the client must refuse) would otherwise be hit twice a second forever.
 * Only a connection that stays up for `healthyMs` after its login does.
 *
 * @example
 * ```ts
 * import { ReconnectBackoff } from "./backoff.ts";
 *
 * const backoff = new ReconnectBackoff({ initialMs: 500, maxMs: 30_000, healthyMs: 30_000 });
 * backoff.next(); // { attempt: 1, delayMs: 250..500 }
 * backoff.connected(); // logged in again...
 * backoff.next(); // ...but lost at once: { attempt: 2, delayMs: 500..1000 }
 * ```
 *
 * @module
 */

/** Bounds of the reconnect delay. */
export interface BackoffOptions {
  /** Delay before the first attempt, in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** A connection that stays up this long after its login resets the delay to `initialMs`, in ms. */
  healthyMs: number;
}

/**
 * Time as the reconnect logic sees it: the system's, or a manual one in tests
 * (the shape of the simulated PBX's `Clock`, so its `ManualClock` fits).
 */
export interface ReconnectClock {
  /** Milliseconds; only differences are used. */
  now(): number;
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  schedule(ms: number, callback: () => void): () => void;
}

/** The system's monotonic clock and `setTimeout`. */
export const systemClock: ReconnectClock = {
  now: () => performance.now(),
  schedule(ms, callback) {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

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
  { initialMs, maxMs }: Pick<BackoffOptions, "initialMs" | "maxMs">,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** One reconnect attempt: its number since the last healthy connection, and the wait before it. */
export interface ReconnectAttempt {
  attempt: number;
  delayMs: number;
}

/** Counts reconnect attempts across connections, resetting only after a healthy one. */
export class ReconnectBackoff {
  readonly #options: BackoffOptions;
  readonly #clock: ReconnectClock;
  readonly #random: () => number;
  #attempt = 0;
  #connectedAt: number | undefined;

  constructor(
    options: BackoffOptions,
    clock: ReconnectClock = systemClock,
    random: () => number = Math.random,
  ) {
    for (const key of ["initialMs", "maxMs", "healthyMs"] as const) {
      const value = options[key];
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(
          `Cannot reconnect with ${key} ${value}: it must be a number of milliseconds, 0 or more`,
        );
      }
    }
    this.#options = options;
    this.#clock = clock;
    this.#random = random;
  }

  /** A login succeeded: if this connection lasts `healthyMs`, the next loss starts from attempt 1. */
  connected(): void {
    this.#connectedAt = this.#clock.now();
  }

  /** The connection was lost or an attempt failed: the next attempt and how long to wait for it. */
  next(): ReconnectAttempt {
    const since = this.#connectedAt;
    this.#connectedAt = undefined;
    if (since !== undefined && this.#clock.now() - since >= this.#options.healthyMs) {
      this.#attempt = 0;
    }
    const attempt = ++this.#attempt;
    return { attempt, delayMs: backoffDelay(attempt, this.#options, this.#random) };
  }

  /** Waits `ms` on the clock; `wake()` of the result ends the wait early (close). */
  sleep(ms: number): { done: Promise<void>; wake(): void } {
    let wake!: () => void;
    const done = new Promise<void>((resolve) => {
      const cancel = this.#clock.schedule(ms, resolve);
      wake = () => {
        cancel();
        resolve();
      };
    });
    return { done, wake };
  }
}
