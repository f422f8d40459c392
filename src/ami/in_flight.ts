/**
 * The actions a client has in flight, by ActionID: each response settles its
 * action, whatever the order they come in; a list action (`collect`) gathers
 * the events carrying its ActionID until its `...Complete` event; an action
 * that takes too long is rejected. Deadlines are kept in one queue per
 * timeout value with one timer each, not a timer per action.
 *
 * @module
 */

import { AmiTimeoutError } from "./errors.ts";
import type { AmiMessage } from "./message.ts";

/** A list action's answer: the response, its items, and the completion event. */
export interface AmiListResult {
  response: AmiMessage;
  events: AmiMessage[];
  /** The `...Complete` event (absent when the response was an error). */
  complete?: AmiMessage;
}

interface Entry {
  id: string;
  action: string;
  collect: boolean;
  deadline: number;
  settled: boolean;
  queue: DeadlineQueue;
  resolve: (value: AmiMessage | AmiListResult) => void;
  reject: (error: Error) => void;
  response?: AmiMessage;
  events: AmiMessage[];
}

/** Entries with the same timeout, so in deadline order; settled ones leave from the head. */
interface DeadlineQueue {
  timeoutMs: number;
  entries: Entry[];
  head: number;
  /** Entries not settled yet. */
  open: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** Actions waiting for their answer. */
export class InFlight {
  readonly #entries = new Map<string, Entry>();
  readonly #queues = new Map<number, DeadlineQueue>();
  #collecting = 0;
  #unmatched = 0;

  /** Responses that matched no action in flight (late answers after a timeout, for instance). */
  get unmatched(): number {
    return this.#unmatched;
  }

  has(actionId: string): boolean {
    return this.#entries.has(actionId);
  }

  /**
   * Waits for the answer to `actionId`: the response, or for `collect` the
   * list. Rejects with {@linkcode AmiTimeoutError} after `timeoutMs`.
   */
  wait(
    actionId: string,
    action: string,
    options: { collect: boolean; timeoutMs: number },
  ): Promise<AmiMessage | AmiListResult> {
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(options.timeoutMs);
      if (!queue) {
        queue = { timeoutMs: options.timeoutMs, entries: [], head: 0, open: 0 };
        this.#queues.set(options.timeoutMs, queue);
      }
      const entry: Entry = {
        id: actionId,
        action,
        collect: options.collect,
        deadline: Date.now() + options.timeoutMs,
        settled: false,
        queue,
        resolve,
        reject,
        events: [],
      };
      this.#entries.set(actionId, entry);
      queue.entries.push(entry);
      queue.open++;
      if (options.collect) this.#collecting++;
      if (queue.timer === undefined) this.#arm(queue);
    });
  }

  /** Settles the action a response answers; counts it as unmatched if none waits. */
  onResponse(response: AmiMessage): void {
    const id = response.actionId;
    const entry = id === undefined ? undefined : this.#entries.get(id);
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
    const entry = id === undefined ? undefined : this.#entries.get(id);
    if (!entry?.collect || !entry.response) return false;
    if (isListComplete(event)) {
      this.#remove(entry);
      entry.resolve({ response: entry.response, events: entry.events, complete: event });
    } else {
      entry.events.push(event);
    }
    return true;
  }

  /** Rejects every action in flight at once (the connection is gone), each with `error(action)`. */
  rejectAll(error: (action: string) => Error): void {
    for (const entry of [...this.#entries.values()]) {
      this.#remove(entry);
      entry.reject(error(entry.action));
    }
  }

  #remove(entry: Entry): void {
    if (entry.settled) return;
    entry.settled = true;
    this.#entries.delete(entry.id);
    if (entry.collect) this.#collecting--;
    const queue = entry.queue;
    queue.open--;
    while (queue.head < queue.entries.length && queue.entries[queue.head].settled) queue.head++;
    if (queue.open === 0) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
      queue.entries = [];
      queue.head = 0;
    } else if (queue.head > 1024 && queue.head * 2 > queue.entries.length) {
      queue.entries = queue.entries.slice(queue.head);
      queue.head = 0;
    }
  }

  /** One timer per queue, for its oldest open entry; it re-arms for the next. */
  #arm(queue: DeadlineQueue): void {
    const head = queue.entries[queue.head];
    queue.timer = setTimeout(() => this.#expire(queue), Math.max(0, head.deadline - Date.now()));
  }

  #expire(queue: DeadlineQueue): void {
    queue.timer = undefined;
    const now = Date.now();
    while (queue.head < queue.entries.length) {
      const entry = queue.entries[queue.head];
      if (entry.settled) {
        queue.head++;
      } else if (entry.deadline <= now) {
        const detail = entry.response
          ? `${entry.events.length} list events received, no completion event`
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
