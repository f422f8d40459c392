/**
 * The actions a client has in flight, by ActionID: each response settles its
 * action, whatever the order they come in; a list action (`collect`) gathers
 * the events carrying its ActionID until its `...Complete` event; an action
 * that takes too long is rejected.
 *
 * What an action costs here does not grow with the number in flight, and
 * little of it is per action: deadlines are kept in one queue per timeout
 * value, in deadline order, with one timer for the whole queue (armed for its
 * oldest action, re-armed when it fires, stopped once the queue has stayed
 * empty to the end of the current tick, so that answering a batch and sending
 * the next costs no timer); the clock is read once per tick, not per action;
 * and the client's own ActionIDs ({@linkcode ActionIds}) are found by their
 * serial number, then compared whole.
 *
 * @module
 */

import type { ActionIds } from "./action_ids.ts";
import { type ReconnectClock, systemClock } from "./backoff.ts";
import { AmiTimeoutError } from "./errors.ts";
import { SerialTable } from "./serial_table.ts";
import type { AmiMessage } from "./message.ts";

/** A list action's answer: the response, its items, and the completion event. */
export interface AmiListResult {
  response: AmiMessage;
  events: AmiMessage[];
  /** The `...Complete` event (absent when the response was an error). */
  complete?: AmiMessage;
}

/** Options of {@linkcode InFlight}. */
export interface InFlightOptions {
  /** The client's own ActionIDs, found by serial; without it, every ActionID is found as a string. */
  ids?: ActionIds;
  /** Clock and timers of the deadlines (the backoff's kind); tests pass a manual one. */
  clock?: ReconnectClock;
}

class Entry {
  settled = false;
  resolve!: (value: AmiMessage | AmiListResult) => void;
  reject!: (error: Error) => void;
  response: AmiMessage | undefined = undefined;
  /** List items, for a collect only. */
  events: AmiMessage[] | undefined;

  constructor(
    readonly id: string,
    /** The serial of an ActionID made by the client's {@linkcode ActionIds}, else -1. */
    readonly serial: number,
    readonly action: string,
    readonly collect: boolean,
    readonly deadline: number,
    readonly queue: DeadlineQueue,
  ) {
    this.events = collect ? [] : undefined;
  }
}

/** Entries with the same timeout, so in deadline order; settled ones leave from the head. */
interface DeadlineQueue {
  timeoutMs: number;
  entries: Entry[];
  head: number;
  /** Entries not settled yet. */
  open: number;
  /** Cancels the queue's timer, while one is armed. */
  timer: (() => void) | undefined;
  /** An end-of-tick check that stops the timer if the queue is still empty is pending. */
  idleCheck: boolean;
}

/** Actions waiting for their answer. */
export class InFlight {
  /** The client's own ActionIDs, by serial. */
  readonly #bySerial = new SerialTable<Entry>();
  /** Any other ActionID (a caller's own). */
  readonly #byId = new Map<string, Entry>();
  readonly #queues = new Map<number, DeadlineQueue>();
  readonly #ids: ActionIds | undefined;
  readonly #clock: ReconnectClock;
  /** The queue used last: nearly every action has the client's default timeout. */
  #lastQueue: DeadlineQueue | undefined;
  /** `clock.now()` as read in this tick, until a microtask forgets it. */
  #now: number | undefined;
  #collecting = 0;
  #unmatched = 0;
  #timers = 0;

  constructor(options: InFlightOptions = {}) {
    this.#ids = options.ids;
    this.#clock = options.clock ?? systemClock;
  }

  /** Responses that matched no action in flight (late answers after a timeout, for instance). */
  get unmatched(): number {
    return this.#unmatched;
  }

  /** Timers armed so far, for tests that count the work per action. */
  get timersArmed(): number {
    return this.#timers;
  }

  /** Actions waiting for their answer. */
  get size(): number {
    return this.#bySerial.size + this.#byId.size;
  }

  /** Whether an action with this ActionID is in flight. */
  has(actionId: string): boolean {
    return this.#find(actionId) !== undefined;
  }

  /**
   * Waits for the answer to `actionId`: the response, or for `collect` the
   * list. Rejects with {@linkcode AmiTimeoutError} after `timeoutMs`.
   * `serial` says the ActionID was just made by the `ids` of the options
   * (their `lastSerial`), so no other action can have it; for any other
   * ActionID, the caller checks {@linkcode has} first.
   */
  wait(
    actionId: string,
    action: string,
    options: { collect: boolean; timeoutMs: number; serial?: number },
  ): Promise<AmiMessage | AmiListResult> {
    const timeoutMs = options.timeoutMs;
    let queue = this.#lastQueue;
    if (queue?.timeoutMs !== timeoutMs) queue = this.#lastQueue = this.#queueFor(timeoutMs);
    const entry = new Entry(
      actionId,
      this.#ids === undefined ? -1 : options.serial ?? -1,
      action,
      options.collect,
      this.#tickNow() + timeoutMs,
      queue,
    );
    const answer = new Promise<AmiMessage | AmiListResult>((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    if (entry.serial >= 0) this.#bySerial.set(entry);
    else this.#byId.set(actionId, entry);
    queue.entries.push(entry);
    queue.open++;
    if (entry.collect) this.#collecting++;
    if (queue.timer === undefined) this.#arm(queue);
    return answer;
  }

  /** Settles the action a response answers; counts it as unmatched if none waits. */
  onResponse(response: AmiMessage): void {
    const id = response.actionId;
    const entry = id === undefined ? undefined : this.#find(id);
    if (!entry) {
      this.#unmatched++;
    } else if (!entry.collect) {
      this.#remove(entry);
      entry.resolve(response);
    } else if (isSuccess(response)) {
      entry.response = response; // the list items follow
    } else {
      this.#remove(entry);
      entry.resolve({ response, events: [] });
    }
  }

  /** Takes a list item for a collect in progress; false if the event is not one (an ordinary event). */
  onEvent(event: AmiMessage): boolean {
    if (this.#collecting === 0) return false;
    const id = event.actionId;
    const entry = id === undefined ? undefined : this.#find(id);
    if (!entry?.collect || !entry.response) return false;
    if (isListComplete(event)) {
      this.#remove(entry);
      entry.resolve({ response: entry.response, events: entry.events!, complete: event });
    } else {
      entry.events!.push(event);
    }
    return true;
  }

  /** Rejects every action in flight at once (the connection is gone), each with `error(action)`. */
  rejectAll(error: (action: string) => Error): void {
    for (const entry of [...this.#bySerial.values(), ...this.#byId.values()]) {
      this.#remove(entry);
      entry.reject(error(entry.action));
    }
    for (const queue of this.#queues.values()) this.#stopIfIdle(queue);
  }

  /** The entry waiting for exactly `actionId`: by serial if it has the shape, else by string. */
  #find(actionId: string): Entry | undefined {
    const serial = this.#ids?.serialOf(actionId);
    if (serial !== undefined) {
      const entry = this.#bySerial.get(serial);
      if (entry !== undefined && entry.id === actionId) return entry;
    }
    return this.#byId.size === 0 ? undefined : this.#byId.get(actionId);
  }

  #queueFor(timeoutMs: number): DeadlineQueue {
    const last = this.#lastQueue;
    if (last && last.open === 0 && last.timer === undefined) this.#forget(last);
    let queue = this.#queues.get(timeoutMs);
    if (!queue) {
      queue = { timeoutMs, entries: [], head: 0, open: 0, timer: undefined, idleCheck: false };
      this.#queues.set(timeoutMs, queue);
    }
    return queue;
  }

  /** The clock as read once in this tick: the actions sent in one tick share a reading. */
  #tickNow(): number {
    if (this.#now === undefined) {
      this.#now = this.#clock.now();
      queueMicrotask(() => this.#now = undefined);
    }
    return this.#now;
  }

  #remove(entry: Entry): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.serial >= 0) this.#bySerial.delete(entry.serial);
    else this.#byId.delete(entry.id);
    if (entry.collect) this.#collecting--;
    const queue = entry.queue;
    queue.open--;
    const entries = queue.entries;
    while (queue.head < entries.length && entries[queue.head].settled) queue.head++;
    if (queue.open === 0) {
      queue.entries = [];
      queue.head = 0;
      if (queue.timer !== undefined && !queue.idleCheck) {
        // Answering a batch usually makes its callers send the next at once: keep the timer then.
        queue.idleCheck = true;
        queueMicrotask(() => {
          queue.idleCheck = false;
          this.#stopIfIdle(queue);
        });
      }
    } else if (queue.head > 1024 && queue.head * 2 > entries.length) {
      queue.entries = entries.slice(queue.head);
      queue.head = 0;
    }
  }

  /** Stops the timer of an empty queue, and forgets the queue unless it is the one used last. */
  #stopIfIdle(queue: DeadlineQueue): void {
    if (queue.open > 0) return;
    queue.timer?.();
    queue.timer = undefined;
    if (queue !== this.#lastQueue) this.#forget(queue);
  }

  /** Drops an empty queue, so that one-off timeouts (a login's remaining time) do not pile up. */
  #forget(queue: DeadlineQueue): void {
    if (this.#queues.get(queue.timeoutMs) === queue) this.#queues.delete(queue.timeoutMs);
  }

  /** One timer per queue, for its oldest open entry; it re-arms for the next. */
  #arm(queue: DeadlineQueue): void {
    const head = queue.entries[queue.head];
    this.#timers++;
    queue.timer = this.#clock.schedule(
      Math.max(0, head.deadline - this.#clock.now()),
      () => this.#expire(queue),
    );
  }

  #expire(queue: DeadlineQueue): void {
    queue.timer = undefined;
    const now = this.#clock.now();
    while (queue.head < queue.entries.length) {
      const entry = queue.entries[queue.head];
      if (entry.settled) {
        queue.head++;
      } else if (entry.deadline <= now) {
        const detail = entry.response
          ? `${entry.events!.length} list events received, no completion event`
          : "no response";
        this.#remove(entry);
        entry.reject(new AmiTimeoutError(entry.action, queue.timeoutMs, detail));
      } else {
        break;
      }
    }
    if (queue.open > 0 && queue.timer === undefined) this.#arm(queue);
  }
}

/** Whether a response says `Response: Success` (any case). */
export function isSuccess(response: AmiMessage): boolean {
  return response.get("Response")?.toLowerCase() === "success";
}

function isListComplete(event: AmiMessage): boolean {
  const eventList = event.get("EventList");
  return eventList !== undefined
    ? eventList.toLowerCase() === "complete"
    : event.name.endsWith("Complete");
}
