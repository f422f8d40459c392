/**
 * The console's one connection to the proxy's event stream (`GET
 * /ami/events`, authenticated by the session cookie). Views subscribe to
 * job events, AMI events, and `resync`: the stream was (re)opened or says
 * events were missed (`gap`, `reset`, `overflow`), so what a view holds
 * must be read again. The browser's EventSource reconnects by itself,
 * resuming from the last event id.
 *
 * @module
 */

import type { JobEvent } from "./api.ts";

/** An AMI event as the stream relays it: its headers as keys. */
export type AmiEventData = { event: string } & Record<string, string | string[]>;

type Listener<T> = (value: T) => void;

/** What the stream is doing, for the board's indicator. */
export type StreamState = "connecting" | "live";

/** One event stream shared by every view of the page. */
export class LiveStream {
  readonly #job = new Set<Listener<JobEvent>>();
  readonly #ami = new Set<Listener<AmiEventData>>();
  readonly #resync = new Set<Listener<void>>();
  readonly #state = new Set<Listener<StreamState>>();
  #source: EventSource | undefined;
  state: StreamState = "connecting";

  /** Opens the stream (once). */
  open(url = "/ami/events"): void {
    if (this.#source) return;
    const source = new EventSource(url);
    this.#source = source;
    source.addEventListener("open", () => {
      this.#setState("live");
      this.#emit(this.#resync, undefined);
    });
    source.addEventListener("error", () => this.#setState("connecting"));
    source.addEventListener("job", (e) => {
      const job = parse<JobEvent>(e);
      if (job) this.#emit(this.#job, job);
    });
    source.addEventListener("ami", (e) => {
      const event = parse<AmiEventData>(e);
      if (event) this.#emit(this.#ami, event);
    });
    for (const name of ["gap", "reset", "overflow"]) {
      source.addEventListener(name, () => this.#emit(this.#resync, undefined));
    }
  }

  /** Closes the stream (logout). */
  close(): void {
    this.#source?.close();
    this.#source = undefined;
    this.#setState("connecting");
  }

  onJob(listener: Listener<JobEvent>): () => void {
    return subscribe(this.#job, listener);
  }

  onAmi(listener: Listener<AmiEventData>): () => void {
    return subscribe(this.#ami, listener);
  }

  onResync(listener: Listener<void>): () => void {
    return subscribe(this.#resync, listener);
  }

  onState(listener: Listener<StreamState>): () => void {
    return subscribe(this.#state, listener);
  }

  #setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.#emit(this.#state, state);
  }

  #emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const listener of listeners) listener(value);
  }
}

function subscribe<T>(listeners: Set<Listener<T>>, listener: Listener<T>): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function parse<T>(event: Event): T | undefined {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    return undefined;
  }
}
