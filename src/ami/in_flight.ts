/**
 * The actions a client has in flight, by ActionID: each response settles its
 * action, whatever the order they come in; a list action (`collect`) gathers
 * the events carrying its ActionID until its `...Complete` event; a timer
 * rejects an action that takes too long.
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
  action: string;
  collect: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (value: AmiMessage | AmiListResult) => void;
  reject: (error: Error) => void;
  response?: AmiMessage;
  events: AmiMessage[];
}

/** Actions waiting for their answer. */
export class InFlight {
  readonly #entries = new Map<string, Entry>();
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
      const timer = setTimeout(() => {
        const entry = this.#remove(actionId);
        const detail = entry?.response
          ? `${entry.events.length} list events received, no completion event`
          : "no response";
        reject(new AmiTimeoutError(action, options.timeoutMs, detail));
      }, options.timeoutMs);
      this.#entries.set(actionId, {
        action,
        collect: options.collect,
        timer,
        resolve,
        reject,
        events: [],
      });
      if (options.collect) this.#collecting++;
    });
  }

  /** Settles the action a response answers; counts it as unmatched if none waits. */
  onResponse(response: AmiMessage): void {
    const id = response.actionId;
    const entry = id === undefined ? undefined : this.#entries.get(id);
    if (id === undefined || !entry) {
      this.#unmatched++;
    } else if (!entry.collect) {
      this.#remove(id)!.resolve(response);
    } else if (isSuccess(response)) {
      entry.response = response; // the list items follow
    } else {
      this.#remove(id)!.resolve({ response, events: [] });
    }
  }

  /** Takes a list item for a collect in progress; false if the event is not one (an ordinary event). */
  onEvent(event: AmiMessage): boolean {
    if (this.#collecting === 0) return false;
    const id = event.actionId;
    const entry = id === undefined ? undefined : this.#entries.get(id);
    if (!entry?.collect || !entry.response) return false;
    if (isListComplete(event)) {
      this.#remove(id!)!.resolve({
        response: entry.response,
        events: entry.events,
        complete: event,
      });
    } else {
      entry.events.push(event);
    }
    return true;
  }

  /** Rejects every action in flight at once (the connection is gone). */
  rejectAll(error: Error): void {
    for (const id of [...this.#entries.keys()]) this.#remove(id)!.reject(error);
  }

  #remove(actionId: string): Entry | undefined {
    const entry = this.#entries.get(actionId);
    if (!entry) return undefined;
    this.#entries.delete(actionId);
    clearTimeout(entry.timer);
    if (entry.collect) this.#collecting--;
    return entry;
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
