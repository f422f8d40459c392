/**
 * The sound of a synthetic recording, computed sample by sample so that any
 * byte range can be produced without the rest: a three-note chime that tells
 * recordings apart, then a "conversation" of two voices with their own pitch
 * taking turns in 400 ms slots, with pauses. 8 kHz, 16-bit, mono.
 *
 * @module
 */

import { WAV_HEADER_BYTES, wavHeader } from "./wav.ts";

/** Sample rate of synthetic recordings. */
export const SAMPLE_RATE = 8_000;
const SLOT = 3_200; // samples: 400 ms
const FADE = 64; // samples: 8 ms, so that slots join without clicks
const INTRO_SLOTS = 3;
const FULL_SCALE = 12_000;

/** What makes one recording sound like itself. */
export interface Voice {
  /** Seeds the turn-taking. */
  seed: number;
  /** The chime's three notes, Hz. */
  chime: [number, number, number];
  /** Fundamental frequencies of the two speakers, Hz. */
  pitches: [number, number];
}

/** The audio of one recording: `samples` long, as WAV bytes. */
export class SyntheticAudio {
  readonly voice: Voice;
  readonly samples: number;
  readonly header: Uint8Array;

  constructor(voice: Voice, samples: number) {
    this.voice = voice;
    this.samples = samples;
    this.header = wavHeader({
      sampleRate: SAMPLE_RATE,
      channels: 1,
      bitsPerSample: 16,
      dataSize: samples * 2,
    });
  }

  /** Size of the WAV file in bytes. */
  get size(): number {
    return WAV_HEADER_BYTES + this.samples * 2;
  }

  /** Bytes [start, end) of the WAV file. */
  bytes(start: number, end: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(end - start);
    let at = start;
    if (at < WAV_HEADER_BYTES) {
      const part = this.header.subarray(at, Math.min(end, WAV_HEADER_BYTES));
      out.set(part);
      at += part.length;
    }
    if (at >= end) return out;
    const first = (at - WAV_HEADER_BYTES) >> 1;
    const last = (end - 1 - WAV_HEADER_BYTES) >> 1;
    const pcm = new DataView(new ArrayBuffer((last - first + 1) * 2));
    for (let n = first; n <= last; n++) pcm.setInt16((n - first) * 2, this.sample(n), true);
    const skip = (at - WAV_HEADER_BYTES) & 1;
    out.set(new Uint8Array(pcm.buffer, skip, end - at), at - start);
    return out;
  }

  /** Sample `n` as a signed 16-bit value. */
  sample(n: number): number {
    const slot = Math.floor(n / SLOT);
    const i = n - slot * SLOT;
    const t = i / SAMPLE_RATE;
    const edge = Math.min(1, i / FADE, (SLOT - 1 - i) / FADE);
    let value: number;
    if (slot < INTRO_SLOTS) {
      value = 0.6 * Math.sin(2 * Math.PI * this.voice.chime[slot] * t);
    } else {
      const turn = mix(this.voice.seed, slot);
      const speaker = turn % 5; // 0-1: first voice, 2-3: second, 4: pause
      if (speaker === 4) return 0;
      const f0 = this.voice.pitches[speaker < 2 ? 0 : 1] * (0.9 + ((turn >>> 8) % 21) / 100);
      // Pitch wobbling at 3 Hz (its phase integrated in closed form), syllables at 4 Hz.
      const phase = 2 * Math.PI * f0 *
        (t - (0.06 / (2 * Math.PI * 3)) * Math.cos(2 * Math.PI * 3 * t));
      const syllables = 0.35 + 0.65 * Math.sin(Math.PI * 4 * t) ** 2;
      value = syllables *
        (Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(3 * phase) +
          0.12 * Math.sin(4 * phase)) /
        1.87;
    }
    return Math.round(FULL_SCALE * edge * value);
  }
}

/** A 32-bit hash of (seed, n): the same inputs, the same turn. */
function mix(seed: number, n: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}
