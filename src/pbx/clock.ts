/**
 * Time for the simulated PBX: the real clock in `astrix mock-ami`, a manual
 * one in tests, so that a 58-second playback or a one-hour Wait() ends when
 * a test says so, not after a sleep.
 *
 * @module
 */

/** Cancels a scheduled callback. */
export type Cancel = () => void;

/** What the PBX needs of time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `callback` after `ms` milliseconds. */
  schedule(ms: number, callback: () => void): Cancel;
}

/** The wall clock and `setTimeout`. */
export const realClock: Clock = {
  now: () => Date.now(),
  schedule(ms, callback) {
    const timer = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/**
 * The one owner of a component's timers: a {@linkcode Clock} that schedules on
 * another, keeps every callback still waiting, and cancels them all on
 * `stop()`; what is scheduled after that never runs. Handing it out as the
 * component's clock leaves no way to schedule around it.
 *
 * @example
 * ```ts
 * import { ManualClock, Timers } from "./clock.ts";
 *
 * const clock = new ManualClock();
 * const timers = new Timers(clock);
 * timers.schedule(60_000, () => console.log("never"));
 * timers.stop();
 * console.log(clock.pending); // 0
 * ```
 */
export class Timers implements Clock {
  readonly #clock: Clock;
  readonly #pending = new Set<Cancel>();
  #stopped = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now();
  }

  schedule(ms: number, callback: () => void): Cancel {
    if (this.#stopped) return () => {};
    const cancel = this.#clock.schedule(ms, () => {
      this.#pending.delete(cancel);
      callback();
    });
    this.#pending.add(cancel);
    return () => {
      if (this.#pending.delete(cancel)) cancel();
    };
  }

  /** Callbacks still waiting. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Cancels every waiting callback, and refuses new ones from now on. */
  stop(): void {
    this.#stopped = true;
    for (const cancel of this.#pending) cancel();
    this.#pending.clear();
  }
}

interface Scheduled {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that moves only when told to: `advance(ms)` runs what falls due, in
 * time order (and in scheduling order for equal times).
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #queue: Scheduled[] = [];

  constructor(start = Date.UTC(2026, 10, 24, 1, 41, 27)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  schedule(ms: number, callback: () => void): Cancel {
    const entry = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#queue.push(entry);
    return () => {
      this.#queue = this.#queue.filter((e) => e !== entry);
    };
  }

  /** Moves time forward by `ms`, running every callback that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + ms;
    while (true) {
      const next = this.#queue
        .filter((e) => e.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#queue = this.#queue.filter((e) => e !== next);
      this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }

  /** Callbacks still waiting. */
  get pending(): number {
    return this.#queue.length;
  }
}
