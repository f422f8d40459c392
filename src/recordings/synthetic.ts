/**
 * A synthetic set of recordings for development: `count` calls of the last
 * week, drawn from `seed` (the same seed and count give the same calls, the
 * same ids and the same sound, relative to the hour the catalog was made),
 * named as Asterisk's MixMonitor names files, with real WAV audio made on
 * the fly (nothing is written to disk).
 *
 * @example
 * ```ts
 * import { SyntheticCatalog } from "./synthetic.ts";
 *
 * const catalog = new SyntheticCatalog({ count: 20, seed: 1 });
 * const { recordings } = await catalog.list({ limit: 5 });
 * ```
 *
 * @module
 */

import { seededRandom } from "../random.ts";
import {
  type ListQuery,
  newestFirst,
  type OpenedRecording,
  type Recording,
  type RecordingCatalog,
  type RecordingPage,
  selectPage,
} from "./catalog.ts";
import { CONTENT_TYPES } from "./media_info.ts";
import type { Direction } from "./monitor_names.ts";
import { SAMPLE_RATE, SyntheticAudio } from "./synthetic_audio.ts";

/** Options of {@linkcode SyntheticCatalog}. */
export interface SyntheticOptions {
  count: number;
  seed: number;
  /** The calls end before this time (ms); default now. Rounded down to the hour. */
  now?: number;
}

const AGENTS = [
  "Alice Moreno",
  "Bruno Keller",
  "Chen Wei",
  "Dana Okafor",
  "Emil Novak",
  "Farah Haddad",
  "Goran Petrovic",
  "Hana Sato",
  "Ivan Lopes",
  "Julia Berg",
];
const CUSTOMERS = ["Acme Logistics", "M. Rossi", "K. Schmidt", "Nordwind GmbH", "L. Dubois", null];
const NOTES = [196, 220, 247, 262, 294, 330, 349, 392, 440, 494, 523, 587, 659, 698, 784];
const WEEK_MS = 7 * 86_400_000;
const STREAM_CHUNK = 64 * 1024;

interface Entry {
  recording: Recording;
  audio: SyntheticAudio;
}

/** Recordings generated from a seed. */
export class SyntheticCatalog implements RecordingCatalog {
  readonly #entries: Entry[];
  readonly #byId = new Map<string, Entry>();

  constructor(options: SyntheticOptions) {
    const hour = Math.floor((options.now ?? Date.now()) / 3_600_000) * 3_600_000;
    this.#entries = Array.from({ length: options.count }, (_, i) => generate(options.seed, i, hour))
      .sort((a, b) => newestFirst(a.recording, b.recording));
    for (const entry of this.#entries) this.#byId.set(entry.recording.id, entry);
  }

  list(query: ListQuery): Promise<RecordingPage> {
    return Promise.resolve(selectPage(this.#entries.map((e) => e.recording), query));
  }

  get(id: string): Promise<Recording | undefined> {
    return Promise.resolve(this.#byId.get(id)?.recording);
  }

  open(id: string): Promise<OpenedRecording | undefined> {
    const entry = this.#byId.get(id);
    if (!entry) return Promise.resolve(undefined);
    return Promise.resolve({
      recording: entry.recording,
      stream: (start, end) => rangeStream(entry.audio, start, end),
      bytes: (start, end) => Promise.resolve(entry.audio.bytes(start, end + 1)),
      close: () => Promise.resolve(),
    });
  }

  playbackPath(recording: Recording, spoolDir: string): string {
    return `${spoolDir.replace(/\/+$/, "")}/${recording.file}`;
  }

  close(): void {}
}

function rangeStream(
  audio: SyntheticAudio,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  let at = start;
  return new ReadableStream({
    pull(controller) {
      const to = Math.min(end + 1, at + STREAM_CHUNK);
      controller.enqueue(audio.bytes(at, to));
      at = to;
      if (at > end) controller.close();
    },
  }, { highWaterMark: 0 });
}

function generate(seed: number, index: number, hour: number): Entry {
  const random = seededRandom(Math.imul(seed, 2_654_435_761) ^ (index + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const agent = Math.floor(random() * AGENTS.length);
  const extension = String(201 + agent);
  const outside = `0555${String(Math.floor(random() * 1e7)).padStart(7, "0")}`;
  const kind = random();
  const direction: Direction = kind < 0.5 ? "inbound" : kind < 0.8 ? "outbound" : "internal";
  const colleague = String(
    201 + ((agent + 1 + Math.floor(random() * (AGENTS.length - 1))) % AGENTS.length),
  );
  const customer = pick(CUSTOMERS);
  const [src, dst, callerId] = direction === "inbound"
    ? [outside, extension, { name: customer, number: outside }]
    : direction === "outbound"
    ? [extension, outside, { name: AGENTS[agent], number: extension }]
    : [extension, colleague, { name: AGENTS[agent], number: extension }];
  // Seconds-aligned start within the week before the hour; 15 s to 8 min, in 20 ms frames.
  const startedAt = hour - 1_000 * Math.ceil(random() * (WEEK_MS / 1_000));
  const durationMs = 20 * Math.round((15_000 * 32 ** random()) / 20);
  const audio = new SyntheticAudio({
    seed: Math.floor(random() * 2 ** 32),
    chime: [pick(NOTES), pick(NOTES), pick(NOTES)],
    pitches: [95 + Math.floor(random() * 80), 150 + Math.floor(random() * 90)],
  }, (durationMs * SAMPLE_RATE) / 1_000);
  const uniqueId = `${Math.floor(startedAt / 1_000)}.${index}`;
  const id = `${localStamp(startedAt)}-${src}-${dst}-${uniqueId}`;
  return {
    audio,
    recording: {
      id,
      file: id,
      src,
      dst,
      callerId,
      direction,
      startedAt,
      durationMs,
      size: audio.size,
      format: "wav",
      contentType: CONTENT_TYPES.wav,
      codec: "pcm_s16le",
      sampleRate: SAMPLE_RATE,
      channels: 1,
      lastModified: startedAt + durationMs,
      etag: `"syn-${seed.toString(36)}-${index.toString(36)}-${audio.size.toString(36)}"`,
    },
  };
}

/** `YYYYMMDD-HHMMSS` in local time, as MixMonitor file names have it. */
function localStamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-` +
    `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}
