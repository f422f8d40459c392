/**
 * One subscriber of the event hub: the `ReadableStream` of SSE bytes its
 * HTTP answer sends, and the backlog of events it has not taken yet. Events
 * go into the stream while its queue has room (`desiredSize`), in chunks of
 * at most 64 KiB, and the rest waits in the backlog (shared entries, not
 * copies) until the reader takes more. A subscriber is judged by its own
 * backlog, never by the size of what was published at once: it is
 * {@linkcode SseSubscriber.lagging} when its queue has been full with events
 * still waiting for `overflowAfterMs` on end, or when the waiting events pass
 * `maxBacklogBytes`. Time the whole process was frozen (stopped, or its event
 * loop blocked) is not held against it: the gap between two judgments counts
 * for at most {@linkcode MAX_JUDGED_GAP_MS}, since no reader could read then.
 *
 * @example
 * ```ts
 * import { SseSubscriber } from "./sse_subscriber.ts";
 *
 * const subscriber = new SseSubscriber(new Uint8Array(), {
 *   position: 0, maxQueuedBytes: 1 << 20, maxBacklogBytes: 32 << 20, overflowAfterMs: 5_000,
 *   now: () => Date.now(), onCancel: () => {},
 * });
 * subscriber.offer([{ id: 1, bytes: new TextEncoder().encode("id: 1\ndata: {}\n\n") }], 1);
 * subscriber.finish(undefined, true);
 * console.assert((await new Response(subscriber.stream).text()).startsWith("id: 1"));
 * ```
 *
 * @module
 */

/** An event as bytes on the wire, with its id. */
export interface WireEntry {
  readonly id: number;
  readonly bytes: Uint8Array;
}

/** Options of an {@linkcode SseSubscriber}. */
export interface SseSubscriberOptions {
  /** Id through which the subscriber is served when it starts. */
  position: number;
  /** Bytes its stream may queue (on top of the first chunk) before events wait in the backlog. */
  maxQueuedBytes: number;
  /** Bytes of waiting events past which it is lagging at once. */
  maxBacklogBytes: number;
  /** How long its queue may stay full with events waiting before it is lagging, in ms. */
  overflowAfterMs: number;
  /** Clock in ms (injected by tests). */
  now: () => number;
  /** The reader went away (the stream was cancelled). */
  onCancel: () => void;
}

/** The largest chunk put into the stream at once. */
export const CHUNK_BYTES = 64 * 1024;
/** The most a gap between two judgments adds to the time a subscriber has been behind. */
export const MAX_JUDGED_GAP_MS = 1_000;

/** A stream of SSE bytes fed from a backlog that only grows while the reader is behind. */
export class SseSubscriber {
  /** The bytes to send: the HTTP answer's body. */
  readonly stream: ReadableStream<Uint8Array>;
  /** Queue size at which the stream's queue is empty (`desiredSize` equals it). */
  readonly highWaterMark: number;
  /** Id through which events have been offered (sent, waiting, or filtered out by the hub). */
  position: number;
  readonly #options: SseSubscriberOptions;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #backlog: WireEntry[] = [];
  #head = 0;
  #backlogBytes = 0;
  /** When it was last judged behind (ms), undefined while it is not behind. */
  #judgedAt: number | undefined;
  /** How long it has been behind, in ms, freezes counted short. */
  #behindMs = 0;
  #draining = false;
  #finished = false;

  constructor(first: Uint8Array, options: SseSubscriberOptions) {
    this.#options = options;
    this.position = options.position;
    this.highWaterMark = options.maxQueuedBytes + first.byteLength;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        if (first.byteLength > 0) controller.enqueue(first);
      },
      pull: () => this.#drain(),
      cancel: () => {
        this.#finished = true;
        this.#backlog = [];
        options.onCancel();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: this.highWaterMark }));
  }

  /** Is the stream's queue empty (nothing on the way)? */
  get idle(): boolean {
    return this.#controller.desiredSize === this.highWaterMark &&
      this.#head === this.#backlog.length;
  }

  /** Are events waiting because its stream's queue is full? */
  get behind(): boolean {
    return this.#head < this.#backlog.length;
  }

  /** Bytes of events waiting behind the stream's queue. */
  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  /**
   * The id to resume from (`Last-Event-ID`) after what has gone into the stream: everything
   * through it was sent or filtered out.
   */
  get sentThrough(): number {
    return this.#head < this.#backlog.length ? this.#backlog[this.#head].id - 1 : this.position;
  }

  /**
   * Takes the events the subscriber accepts, in order, through id `through`; `whole` is their
   * bytes as one chunk when the hub built it (shared by every subscriber that takes them all).
   */
  offer(entries: readonly WireEntry[], through: number, whole?: Uint8Array): void {
    if (this.#finished) return;
    this.position = through;
    if (entries.length === 0) return;
    const caughtUp = this.#head === this.#backlog.length;
    if (caughtUp && whole && whole.byteLength <= (this.#controller.desiredSize ?? 0)) {
      this.#controller.enqueue(whole);
      return;
    }
    for (const entry of entries) {
      this.#backlog.push(entry);
      this.#backlogBytes += entry.bytes.byteLength;
    }
    this.#drain();
  }

  /** Has it been behind for too long, or is its backlog too big? (Judged at `now`.) */
  lagging(): boolean {
    if (this.#finished || this.#head === this.#backlog.length) return false;
    if (this.#backlogBytes > this.#options.maxBacklogBytes) return true;
    const now = this.#options.now();
    if (this.#judgedAt !== undefined) {
      this.#behindMs += Math.min(Math.max(now - this.#judgedAt, 0), MAX_JUDGED_GAP_MS);
    }
    this.#judgedAt = now;
    return this.#behindMs >= this.#options.overflowAfterMs;
  }

  /** Sends heartbeat bytes if nothing is on the way. */
  heartbeat(bytes: Uint8Array): void {
    if (!this.#finished && this.idle) this.#controller.enqueue(bytes);
  }

  /** Ends the stream: after the backlog if `deliverBacklog`, then `last` if any. */
  finish(last: Uint8Array | undefined, deliverBacklog: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    if (deliverBacklog) this.#enqueueWaiting(true);
    this.#backlog = [];
    this.#backlogBytes = 0;
    if (last) this.#controller.enqueue(last);
    this.#controller.close();
  }

  /** Fails the stream (a filter threw). */
  error(reason: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#backlog = [];
    this.#controller.error(reason);
  }

  /** Moves waiting events into the stream while its queue has room. */
  #drain(): void {
    // Enqueueing can call pull() at once, which calls this again: one drain at a time.
    if (this.#draining || this.#finished) return;
    this.#draining = true;
    try {
      this.#enqueueWaiting(false);
      if (this.#head === this.#backlog.length) {
        this.#judgedAt = undefined;
        this.#behindMs = 0;
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Enqueues waiting events, chunk by chunk: `all` of them, or while the queue has room. */
  #enqueueWaiting(all: boolean): void {
    const backlog = this.#backlog;
    while (this.#head < backlog.length) {
      const room = this.#controller.desiredSize ?? 0;
      if (!all && room <= 0) break;
      const limit = all ? CHUNK_BYTES : Math.min(CHUNK_BYTES, room);
      let end = this.#head;
      let size = 0;
      do {
        size += backlog[end].bytes.byteLength;
        end++;
      } while (end < backlog.length && size + backlog[end].bytes.byteLength <= limit);
      this.#controller.enqueue(concat(backlog, this.#head, end, size));
      this.#head = end;
      this.#backlogBytes -= size;
    }
    if (this.#head === backlog.length) {
      this.#backlog = [];
      this.#head = 0;
    } else if (this.#head > 1_024 && this.#head * 2 > backlog.length) {
      this.#backlog = backlog.slice(this.#head);
      this.#head = 0;
    }
  }
}

function concat(entries: readonly WireEntry[], from: number, to: number, size: number): Uint8Array {
  if (to - from === 1) return entries[from].bytes;
  const out = new Uint8Array(size);
  let offset = 0;
  for (let i = from; i < to; i++) {
    out.set(entries[i].bytes, offset);
    offset += entries[i].bytes.byteLength;
  }
  return out;
}
