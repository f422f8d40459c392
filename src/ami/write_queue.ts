/**
 * Serializes writes to one connection and coalesces the messages queued
 * while a write is in flight into a single write, so that many actions sent
 * in the same tick cost one syscall and never interleave on the wire.
 *
 * @module
 */

import type { AmiConn } from "./transport.ts";

const encoder = new TextEncoder();

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A write queue over one {@linkcode AmiConn}. */
export class WriteQueue {
  readonly #conn: AmiConn;
  #text = "";
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | undefined;

  constructor(conn: AmiConn) {
    this.#conn = conn;
  }

  /** Queues already-serialized wire text; resolves once it has been written. */
  write(text: string): Promise<void> {
    this.#text += text;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#flushing ??= this.#flush();
    return done;
  }

  /** Resolves once everything queued so far has been written (or has failed). */
  drain(): Promise<void> {
    return this.#flushing ?? Promise.resolve();
  }

  async #flush(): Promise<void> {
    // Let the rest of this tick queue its messages before the first write.
    await Promise.resolve();
    while (this.#text !== "") {
      const text = this.#text;
      const waiters = this.#waiters;
      this.#text = "";
      this.#waiters = [];
      try {
        await this.#conn.write(encoder.encode(text));
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.#flushing = undefined;
  }
}
