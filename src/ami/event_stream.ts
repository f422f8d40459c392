/**
 * One subscriber's view of an event stream: an async iterable over a bounded
 * ring buffer. A subscriber that falls behind loses its oldest events, never
 * memory; {@linkcode EventSubscription.dropped} counts what it lost.
 *
 * @module
 */

import type { AmiMessage } from "./message.ts";

/** Default number of events buffered per subscriber. */
export const DEFAULT_EVENT_BUFFER = 10_000;

/** Options of a subscription. */
export interface SubscriptionOptions {
  /** Events kept for a subscriber that is not reading; older ones are dropped. Default 10,000. */
  bufferSize?: number;
  /** Only events for which this returns true are delivered (and buffered). */
  filter?: (event: AmiMessage) => boolean;
}

/** An async iterable of events with a bounded buffer and a loss counter. */
export class EventSubscription implements AsyncIterableIterator<AmiMessage> {
  readonly #ring: (AmiMessage | undefined)[];
  readonly #filter: ((event: AmiMessage) => boolean) | undefined;
  readonly #onClose: (subscription: EventSubscription) => void;
  #head = 0;
  #count = 0;
  #dropped = 0;
  #closed = false;
  #waiter: ((result: IteratorResult<AmiMessage>) => void) | undefined;

  constructor(
    onClose: (subscription: EventSubscription) => void,
    options: SubscriptionOptions = {},
  ) {
    const size = options.bufferSize ?? DEFAULT_EVENT_BUFFER;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Cannot subscribe: bufferSize must be a positive integer, got ${size}`);
    }
    this.#ring = new Array(size);
    this.#filter = options.filter;
    this.#onClose = onClose;
  }

  /** Events lost because this subscriber's buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Events waiting to be read. */
  get pending(): number {
    return this.#count;
  }

  /** Whether the subscription has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Delivers one event (called by the client); drops the oldest if the buffer is full. */
  push(event: AmiMessage): void {
    if (this.#closed || (this.#filter && !this.#filter(event))) return;
    if (this.#waiter) {
      const resolve = this.#waiter;
      this.#waiter = undefined;
      resolve({ value: event, done: false });
      return;
    }
    const capacity = this.#ring.length;
    if (this.#count === capacity) {
      this.#ring[this.#head] = undefined;
      if (++this.#head === capacity) this.#head = 0;
      this.#count--;
      this.#dropped++;
    }
    const tail = this.#head + this.#count;
    this.#ring[tail < capacity ? tail : tail - capacity] = event;
    this.#count++;
  }

  next(): Promise<IteratorResult<AmiMessage>> {
    if (this.#count > 0) return Promise.resolve({ value: this.#shift(), done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /**
   * Takes every event already buffered, without waiting: a consumer that
   * handles a burst at once (one read's worth of events) rather than one per
   * microtask.
   */
  takeBuffered(): AmiMessage[] {
    const events: AmiMessage[] = [];
    while (this.#count > 0) events.push(this.#shift());
    return events;
  }

  #shift(): AmiMessage {
    const event = this.#ring[this.#head]!;
    this.#ring[this.#head] = undefined;
    if (++this.#head === this.#ring.length) this.#head = 0;
    this.#count--;
    return event;
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
    this.#onClose(this);
  }

  /** Ends delivery (the source is gone); what is buffered can still be read. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter?.({ value: undefined, done: true });
    this.#waiter = undefined;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
