/**
 * A simulated sound file playing on a channel: a position that moves with
 * the clock, and the controls of the AMI ControlPlayback action. A plain
 * `Playback()` ignores forward/reverse and stops on pause or restart, as
 * Asterisk's does; `ControlPlayback()` pauses (a toggle), skips and restarts.
 *
 * @module
 */

import type { Cancel, Clock } from "./clock.ts";

/** The controls of the AMI ControlPlayback action. */
export type Control = "stop" | "forward" | "reverse" | "pause" | "restart";

/** How a playback ended. */
export interface PlaybackEnd {
  /** `eof` played to the end, `stopped` by a control, `hangup` the channel went away. */
  reason: "eof" | "stopped" | "hangup";
  /** Position when it ended, in ms (the duration at end of file). */
  offsetMs: number;
}

/** One file playing. */
export class Playback {
  readonly file: string;
  readonly durationMs: number;
  readonly controllable: boolean;
  readonly skipMs: number;
  readonly #clock: Clock;
  readonly #onEnd: (end: PlaybackEnd) => void;
  /** Position at `#since`; the position now adds the time since, unless paused. */
  #position = 0;
  #since: number;
  #paused = false;
  #ended = false;
  #timer: Cancel | undefined;

  /** `clock` is the PBX's own (`pbx.clock`), so that stopping the PBX cancels the end of file. */
  constructor(
    clock: Clock,
    options: { file: string; durationMs: number; controllable: boolean; skipMs?: number },
    onEnd: (end: PlaybackEnd) => void,
  ) {
    this.#clock = clock;
    this.file = options.file;
    this.durationMs = options.durationMs;
    this.controllable = options.controllable;
    this.skipMs = options.skipMs ?? 3000;
    this.#onEnd = onEnd;
    this.#since = clock.now();
    this.#arm();
  }

  /** Current position in ms. */
  get positionMs(): number {
    const moving = this.#paused || this.#ended ? 0 : this.#clock.now() - this.#since;
    return Math.min(this.durationMs, this.#position + moving);
  }

  /** Whether the playback is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Applies a control, as Asterisk's streaming code does for this kind of playback. */
  control(control: Control): void {
    if (this.#ended) return;
    if (!this.controllable) {
      // Playback(): pause and restart are not supported there, so they stop the file.
      if (control === "stop" || control === "pause" || control === "restart") this.#end("stopped");
      return;
    }
    switch (control) {
      case "stop":
        return this.#end("stopped");
      case "pause":
        this.#freeze();
        this.#paused = !this.#paused;
        return this.#arm();
      case "restart":
        this.#freeze();
        this.#position = 0;
        return this.#arm();
      case "forward":
      case "reverse":
        this.#freeze();
        this.#position = Math.max(
          0,
          Math.min(
            this.durationMs,
            this.#position + (control === "forward" ? this.skipMs : -this.skipMs),
          ),
        );
        return this.#arm();
    }
  }

  /** Ends the playback because the channel hung up. */
  abort(): void {
    this.#end("hangup");
  }

  #freeze(): void {
    this.#position = this.positionMs;
    this.#since = this.#clock.now();
    this.#timer?.();
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#paused || this.#ended) return;
    this.#timer = this.#clock.schedule(this.durationMs - this.#position, () => this.#end("eof"));
  }

  #end(reason: PlaybackEnd["reason"]): void {
    if (this.#ended) return;
    const offsetMs = this.positionMs;
    this.#ended = true;
    this.#timer?.();
    this.#onEnd({ reason, offsetMs });
  }
}
