/**
 * The server-sent-events hub behind the proxy's `GET /ami/events`. Events are
 * published once: numbered, redacted (AMI's `Secret` and `Key` never leave the
 * proxy), kept in a ring for `Last-Event-ID` resume, serialized once and fanned
 * out to every subscriber as a `ReadableStream` of SSE bytes that an HTTP
 * handler returns as the body of a `text/event-stream` response. Events
 * published in one burst reach each subscriber as one chunk when its queue has
 * room, else in chunks as it reads (`sse_subscriber.ts`). Each subscriber is
 * judged by its own backlog, never by the size of a burst: one whose queue
 * stays full with events waiting for `overflowAfterMs` (5 s), or whose
 * waiting events pass `maxBacklogBytes` (32 MiB), is ended with an
 * `overflow` event; the others get every event.
 *
 * @example
 * ```ts
 * import { EventHub } from "./event_hub.ts";
 *
 * const hub = new EventHub({ heartbeatMs: 0 });
 * const body = hub.subscribe({ lastEventId: null });
 * hub.publish({ event: "job", data: { jobId: "j1", state: "done", Secret: "s3cret" } });
 * hub.close();
 * const text = await new Response(body).text();
 * // "retry: 3000\n\nid: 1\nevent: job\ndata: {\"jobId\":\"j1\",\"state\":\"done\"}\n\n"
 * // + "event: shutdown\ndata: {\"reason\":\"server shutting down\"}\n\n"
 * console.assert(text.includes('data: {"jobId":"j1","state":"done"}'));
 * ```
 *
 * @module
 */

import { SseSubscriber, type WireEntry } from "./sse_subscriber.ts";

/** An event as published; `jobId`, `owner` and `pbx` are for filters and are not sent. */
export interface HubEventInput {
  /** The SSE event name; must not contain a line break. */
  event: string;
  /** Sent as one line of JSON, without any property named like a secret. */
  data: unknown;
  /** The job the event belongs to. */
  jobId?: string;
  /** Who started the job (the JWT subject), for "sees only its own jobs". */
  owner?: string;
  /** The PBX it comes from, for tokens limited to some PBXs (claim `pbx`). */
  pbx?: string;
}

/** A published event: its id and its redacted data. */
export interface HubEvent extends HubEventInput {
  /** Strictly increasing, one more than the previous event's. */
  readonly id: number;
}

/** Options of an {@linkcode EventHub}. */
export interface EventHubOptions {
  /** Id of the first event; default 1 (the proxy passes `Date.now() * 1000`). */
  firstId?: number;
  /** Events kept for `Last-Event-ID` resume; default 10,000. */
  ringSize?: number;
  /** Bytes a subscriber's stream may queue unread (on top of its replay) before events wait; default 1 MiB. */
  maxQueuedBytes?: number;
  /** Bytes of waiting events past which a subscriber is ended at once; default 32 MiB. */
  maxBacklogBytes?: number;
  /** How long a subscriber's queue may stay full with events waiting before it is ended, in ms; default 5,000. */
  overflowAfterMs?: number;
  /** Clock in ms, for tests; default `performance.now()`. */
  now?: () => number;
  /** Interval of `: heartbeat` comments; default 15,000; 0 disables them. */
  heartbeatMs?: number;
  /** Reconnection delay sent as `retry:` when a subscriber connects; default 3,000. */
  retryMs?: number;
}

/** Options of {@linkcode EventHub.subscribe}. */
export interface SubscribeOptions {
  /** The raw `Last-Event-ID` header, if any. */
  lastEventId?: string | null;
  /** Only events it accepts are sent (replayed or live); control events always are. */
  filter?: (event: HubEvent) => boolean;
  /** Ends the subscription when aborted (the request went away). */
  signal?: AbortSignal;
}

/** Property names removed from event data at any depth, compared in lower case. */
export const REDACTED_NAMES: ReadonlySet<string> = new Set(
  ["secret", "key", "password", "token", "authorization", "md5"],
);

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(": heartbeat\n\n");
const OVERFLOW_REASON = "the client did not keep up; reconnect with Last-Event-ID";
const DEFAULT_FINAL = { event: "shutdown", data: { reason: "server shutting down" } };

interface Entry extends WireEntry {
  event: HubEvent;
}

interface Subscriber {
  sse: SseSubscriber;
  filter?: (event: HubEvent) => boolean;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Fans published events out to SSE subscribers, with resume, filters and backpressure. */
export class EventHub {
  readonly #ring: (Entry | undefined)[];
  readonly #firstId: number;
  readonly #maxQueuedBytes: number;
  readonly #maxBacklogBytes: number;
  readonly #overflowAfterMs: number;
  readonly #now: () => number;
  readonly #heartbeatMs: number;
  readonly #retry: Uint8Array;
  readonly #subscribers = new Set<Subscriber>();
  #lastId: number;
  #stored = 0;
  #pending: Entry[] = [];
  #pendingBytes = 0;
  #flushScheduled = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #final: Uint8Array | undefined;

  constructor(options: EventHubOptions = {}) {
    this.#firstId = checkInteger("firstId", options.firstId ?? 1, 0);
    this.#ring = new Array(checkInteger("ringSize", options.ringSize ?? 10_000, 1));
    this.#maxQueuedBytes = checkInteger("maxQueuedBytes", options.maxQueuedBytes ?? 1 << 20, 1);
    this.#maxBacklogBytes = checkInteger("maxBacklogBytes", options.maxBacklogBytes ?? 32 << 20, 1);
    this.#overflowAfterMs = checkInteger("overflowAfterMs", options.overflowAfterMs ?? 5_000, 0);
    this.#now = options.now ?? (() => performance.now());
    this.#heartbeatMs = checkInteger("heartbeatMs", options.heartbeatMs ?? 15_000, 0);
    const retryMs = checkInteger("retryMs", options.retryMs ?? 3_000, 0);
    this.#retry = encoder.encode(`retry: ${retryMs}\n\n`);
    this.#lastId = this.#firstId - 1;
  }

  /** Number of open subscriptions. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Number of subscriptions with events waiting because they have not read what was sent. */
  get behindCount(): number {
    let count = 0;
    for (const { sse } of this.#subscribers) if (sse.behind) count++;
    return count;
  }

  /** Id of the last published event (`firstId - 1` before the first). */
  get lastId(): number {
    return this.#lastId;
  }

  /** Numbers, redacts and stores an event; subscribers get it at the end of the current tick. */
  publish(input: HubEventInput): HubEvent {
    const json = toJson(input.event, input.data);
    const id = this.#lastId + 1;
    const event: HubEvent = { ...input, data: JSON.parse(json), id };
    const entry = { id, event, bytes: frame(input.event, json, id) };
    this.#lastId = id;
    this.#ring[(id - this.#firstId) % this.#ring.length] = entry;
    this.#stored = Math.min(this.#stored + 1, this.#ring.length);
    this.#pending.push(entry);
    this.#pendingBytes += entry.bytes.byteLength;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
    return event;
  }

  /** A stream of SSE bytes: `retry:`, a replay or a `reset` if asked to resume, then live events. */
  subscribe(options: SubscribeOptions = {}): ReadableStream<Uint8Array> {
    const { filter, signal } = options;
    if (this.#final) return closedStream(concat([this.#retry, this.#final]));
    if (signal?.aborted) return closedStream();
    const chunk = concat([this.#retry, ...this.#resume(options.lastEventId, filter)]);
    const subscriber: Subscriber = { sse: undefined!, filter, signal };
    subscriber.sse = new SseSubscriber(chunk, {
      position: this.#lastId,
      maxQueuedBytes: this.#maxQueuedBytes,
      maxBacklogBytes: this.#maxBacklogBytes,
      overflowAfterMs: this.#overflowAfterMs,
      now: this.#now,
      onCancel: () => void this.#remove(subscriber),
    });
    if (signal) {
      subscriber.onAbort = () => this.#end(subscriber);
      signal.addEventListener("abort", subscriber.onAbort, { once: true });
    }
    this.#subscribers.add(subscriber);
    if (this.#timer === undefined && this.#heartbeatMs > 0) {
      this.#timer = setInterval(() => this.#heartbeat(), this.#heartbeatMs);
      unrefTimer(this.#timer);
    }
    return subscriber.sse.stream;
  }

  /** Delivers what is pending, then sends `final` to every subscriber, now or later, and ends it. */
  close(final: HubEventInput = DEFAULT_FINAL): void {
    if (this.#final) return;
    const bytes = frame(final.event, toJson(final.event, final.data));
    this.#flush();
    this.#final = bytes;
    // Each gets what it has not taken yet, then the final event; the last one stops the timer.
    for (const subscriber of this.#subscribers) this.#end(subscriber, bytes, true);
  }

  /** The replay after `lastEventId`, or a `reset` when it cannot be resumed from, or nothing. */
  #resume(lastEventId: string | null | undefined, filter?: (e: HubEvent) => boolean): Uint8Array[] {
    if (lastEventId === null || lastEventId === undefined) return [];
    const text = lastEventId.trim();
    const resume = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
    const reason = !Number.isSafeInteger(resume)
      ? "Last-Event-ID is not an event id"
      : resume > this.#lastId
      ? "Last-Event-ID is newer than the last event (from a previous run?)"
      : resume < this.#lastId - this.#stored
      ? "Last-Event-ID is older than the events kept"
      : undefined;
    if (reason !== undefined) {
      return [frame("reset", JSON.stringify({ reason, lastId: this.#lastId }), this.#lastId)];
    }
    const replay = [];
    for (let id = resume + 1; id <= this.#lastId; id++) {
      const entry = this.#ring[(id - this.#firstId) % this.#ring.length]!;
      if (!filter || filter(entry.event)) replay.push(entry.bytes);
    }
    return replay;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    const batchBytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    const firstId = batch[0].id;
    const lastId = batch[batch.length - 1].id;
    // The bytes of the whole batch, built once for every subscriber that takes it all at once.
    let whole: Uint8Array | undefined;
    const shareable = batchBytes <= this.#maxQueuedBytes;
    for (const subscriber of this.#subscribers) {
      const { sse, filter } = subscriber;
      let accepted: readonly Entry[] = batch;
      if (filter || sse.position >= firstId) {
        try {
          accepted = batch.filter((e) => e.id > sse.position && (!filter || filter(e.event)));
        } catch (error) {
          this.#remove(subscriber);
          sse.error(error);
          continue;
        }
      }
      if (shareable && accepted.length === batch.length) {
        whole ??= concat(batch.map((entry) => entry.bytes));
      }
      sse.offer(accepted, lastId, accepted.length === batch.length ? whole : undefined);
      if (sse.lagging()) this.#overflow(subscriber);
    }
  }

  #heartbeat(): void {
    for (const subscriber of this.#subscribers) {
      // A subscriber with bytes still queued has data on the way; a heartbeat would only add to it.
      subscriber.sse.heartbeat(HEARTBEAT);
      if (subscriber.sse.lagging()) this.#overflow(subscriber);
    }
  }

  /** Ends a subscriber that did not keep up, telling it where to resume from. */
  #overflow(subscriber: Subscriber): void {
    const lastId = subscriber.sse.sentThrough;
    const data = JSON.stringify({ reason: OVERFLOW_REASON, lastId });
    this.#end(subscriber, frame("overflow", data, lastId));
  }

  #end(subscriber: Subscriber, last?: Uint8Array, deliverBacklog = false): void {
    if (!this.#remove(subscriber)) return;
    subscriber.sse.finish(last, deliverBacklog);
  }

  #remove(subscriber: Subscriber): boolean {
    if (!this.#subscribers.delete(subscriber)) return false;
    if (subscriber.onAbort) subscriber.signal?.removeEventListener("abort", subscriber.onAbort);
    if (this.#subscribers.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    return true;
  }
}

function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create event hub: ${name} must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

const redact = (name: string, value: unknown) =>
  REDACTED_NAMES.has(name.toLowerCase()) ? undefined : value;

/** The redacted JSON of `data` (one line: JSON escapes line breaks); checks the event name too. */
function toJson(event: string, data: unknown): string {
  if (/[\r\n]/.test(event)) {
    throw new RangeError(
      `Cannot publish event ${JSON.stringify(event)}: the name has a line break`,
    );
  }
  return JSON.stringify(data, redact) ?? "null";
}

function frame(event: string, json: string, id?: number): Uint8Array {
  const idLine = id === undefined ? "" : `id: ${id}\n`;
  return encoder.encode(`${idLine}event: ${event}\ndata: ${json}\n\n`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((size, part) => size + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function closedStream(chunk?: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (chunk) controller.enqueue(chunk);
      controller.close();
    },
  });
}

/** Lets the process exit while the heartbeat timer runs (Deno, Node and Bun spell it differently). */
function unrefTimer(timer: ReturnType<typeof setInterval>): void {
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);
  else (timer as { unref?: () => void }).unref?.();
}
