/**
 * One subscriber's view of an event stream: an async iterable over a bounded
 * buffer. What happens when the subscriber falls behind is its choice:
 *
 * - `drop-oldest` (the default): the oldest events are lost, never memory,
 *   and the stream says so where it happened: in their place the iterator
 *   yields one {@linkcode EventGap} (an `EventsLost` event whose `lost` says
 *   how many). {@linkcode EventSubscription.dropped} counts them all.
 * - `backpressure`: nothing is lost. While the buffer is full the client
 *   stops reading the socket, so TCP slows the PBX down; reading resumes
 *   once the subscriber has read half of it.
 *
 * @example
 * ```ts
 * import { EventSubscription, isEventGap } from "./event_stream.ts";
 * import { AmiMessage } from "./message.ts";
 *
 * const events = new EventSubscription(() => {}, { bufferSize: 2 });
 * for (const n of [1, 2, 3]) events.push(new AmiMessage({ Event: "Tick", N: n }));
 * const gap = (await events.next()).value!; // where event 1 was
 * console.assert(isEventGap(gap) && gap.lost === 1);
 * console.assert((await events.next()).value!.get("N") === "2");
 * ```
 *
 * @module
 */

import { AmiMessage } from "./message.ts";

/** Default number of events buffered per subscriber. */
export const DEFAULT_EVENT_BUFFER = 10_000;

/** The `Event:` name of an {@linkcode EventGap}. */
export const EVENT_GAP_NAME = "EventsLost";

/** What a subscription does when its buffer is full; see the module doc. */
export type OverflowMode = "drop-oldest" | "backpressure";

/** Options of a subscription. */
export interface SubscriptionOptions {
  /** Events kept for a subscriber that is not reading. Default 10,000. */
  bufferSize?: number;
  /**
   * `drop-oldest` (default) loses the oldest events and yields an {@linkcode EventGap} where they
   * were; `backpressure` stops the client reading the socket while the buffer is full. A
   * backpressure subscriber must keep reading: while it does not, no answer to any action is read
   * either.
   */
  overflow?: OverflowMode;
  /** Only events for which this returns true are delivered (and buffered); gaps always are. */
  filter?: (event: AmiMessage) => boolean;
}

/**
 * The marker a `drop-oldest` subscription yields where events were lost: an
 * `Event: EventsLost` message with a `Lost:` header, so that consumers that
 * only look at event names pass over it. Tell it from a PBX's event with
 * {@linkcode isEventGap}, never by its name.
 */
export class EventGap extends AmiMessage {
  /** How many events were lost at this point of the stream. */
  readonly lost: number;

  constructor(lost: number) {
    super([["Event", EVENT_GAP_NAME], ["Lost", String(lost)]]);
    this.lost = lost;
  }
}

/** Whether `event` is the subscription's own gap marker (a PBX cannot forge one). */
export function isEventGap(event: AmiMessage): event is EventGap {
  return event instanceof EventGap;
}

/** An async iterable of events with a bounded buffer, gap markers and a loss counter. */
export class EventSubscription implements AsyncIterableIterator<AmiMessage> {
  /** A ring; it only grows in backpressure mode, by what one socket read can hold past the limit. */
  #ring: (AmiMessage | undefined)[];
  readonly #limit: number;
  readonly #backpressure: boolean;
  readonly #filter: ((event: AmiMessage) => boolean) | undefined;
  readonly #onClose: (subscription: EventSubscription) => void;
  #head = 0;
  #count = 0;
  #dropped = 0;
  /** Events lost just before the head of the ring, not yet reported by a gap. */
  #unreported = 0;
  #closed = false;
  #waiter: ((result: IteratorResult<AmiMessage>) => void) | undefined;
  #drained: PromiseWithResolvers<void> | undefined;

  constructor(
    onClose: (subscription: EventSubscription) => void,
    options: SubscriptionOptions = {},
  ) {
    const size = options.bufferSize ?? DEFAULT_EVENT_BUFFER;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot subscribe: bufferSize must be a positive integer, got ${size}`);
    }
    const overflow = options.overflow ?? "drop-oldest";
    if (overflow !== "drop-oldest" && overflow !== "backpressure") {
      throw new RangeError(
        `Cannot subscribe: overflow must be "drop-oldest" or "backpressure", got "${overflow}"`,
      );
    }
    this.#ring = new Array(size);
    this.#limit = size;
    this.#backpressure = overflow === "backpressure";
    this.#filter = options.filter;
    this.#onClose = onClose;
  }

  /** Events lost because this subscriber's buffer was full (always 0 with backpressure). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting to be read (a gap marker not counted). */
  get pending(): number {
    return this.#count;
  }

  /** Whether the subscription has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A backpressure subscription with no room left: the client must not read until it drains. */
  get full(): boolean {
    return this.#backpressure && this.#count >= this.#limit && !this.#closed;
  }

  /** Resolves once a full subscription has been read down to half its buffer, or has ended. */
  drained(): Promise<void> {
    if (!this.full) return Promise.resolve();
    this.#drained ??= Promise.withResolvers<void>();
    return this.#drained.promise;
  }

  /**
   * Delivers one event (called by the client). When the buffer is full, a
   * drop-oldest subscription drops the oldest; a backpressure one keeps it
   * (the client stops reading once this read's events are in).
   */
  push(event: AmiMessage): void {
    if (this.#closed || (this.#filter && !this.#filter(event))) return;
    if (this.#waiter) {
      const resolve = this.#waiter;
      this.#waiter = undefined;
      resolve({ value: event, done: false });
      return;
    }
    if (this.#count === this.#ring.length) {
      if (this.#backpressure) this.#grow();
      else this.#dropOldest();
    }
    const capacity = this.#ring.length;
    const tail = this.#head + this.#count;
    this.#ring[tail < capacity ? tail : tail - capacity] = event;
    this.#count++;
  }

  next(): Promise<IteratorResult<AmiMessage>> {
    if (this.#count > 0) return Promise.resolve({ value: this.#take(), done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /**
   * Takes every event already buffered (a gap marker included, in its
   * place), without waiting: a consumer that handles a burst at once (one
   * read's worth of events) rather than one per microtask.
   */
  takeBuffered(): AmiMessage[] {
    const events: AmiMessage[] = [];
    while (this.#count > 0) events.push(this.#take());
    return events;
  }

  /** The gap marker if events were lost here, else the oldest event. */
  #take(): AmiMessage {
    if (this.#unreported > 0) {
      const gap = new EventGap(this.#unreported);
      this.#unreported = 0;
      return gap;
    }
    const event = this.#ring[this.#head]!;
    this.#ring[this.#head] = undefined;
    if (++this.#head === this.#ring.length) this.#head = 0;
    this.#count--;
    if (this.#drained && this.#count <= this.#limit >> 1) this.#resume();
    return event;
  }

  #dropOldest(): void {
    this.#ring[this.#head] = undefined;
    if (++this.#head === this.#ring.length) this.#head = 0;
    this.#count--;
    this.#dropped++;
    this.#unreported++;
  }

  /** Doubles the ring, oldest first, so that a read's events past the limit are kept. */
  #grow(): void {
    const grown: (AmiMessage | undefined)[] = new Array(this.#ring.length * 2);
    for (let i = 0; i < this.#count; i++) {
      grown[i] = this.#ring[(this.#head + i) % this.#ring.length];
    }
    this.#ring = grown;
    this.#head = 0;
  }

  #resume(): void {
    this.#drained?.resolve();
    this.#drained = undefined;
  }

  /** Ends the subscription (also what `break` in a `for await` does). */
  return(): Promise<IteratorResult<AmiMessage>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops delivery; buffered events are discarded and a pending `next()` ends. */
  close(): void {
    this.end();
    this.#ring.fill(undefined);
    this.#count = 0;
    this.#unreported = 0;
    this.#onClose(this);
  }

  /** Ends delivery (the source is gone); what is buffered can still be read. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.({ value: undefined, done: true });
    this.#waiter = undefined;
    this.#resume();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
