/**
 * Serializes writes to one connection and coalesces the messages queued
 * while a write is in flight into a single write, so that many messages
 * queued in the same tick cost one syscall and never interleave on the wire.
 * A write error is reported once, to the owner, not per message.
 *
 * @module
 */

import type { AmiConn } from "./transport.ts";

const encoder = new TextEncoder();

/** Writes up to this size are encoded into one buffer kept for the queue's life, not a new one each. */
const REUSED_BUFFER_BYTES = 64 * 1024;

/** A write queue over one {@linkcode AmiConn}. */
export class WriteQueue {
  readonly #conn: AmiConn;
  readonly #onError: (error: Error) => void;
  #text = "";
  #flushing: Promise<void> | undefined;
  #failed = false;
  #buffer: Uint8Array | undefined;

  /** `onError` is called once if a write fails; what is queued after that is dropped. */
  constructor(conn: AmiConn, onError: (error: Error) => void) {
    this.#conn = conn;
    this.#onError = onError;
  }

  /** Characters queued and not yet handed to the socket. */
  get queued(): number {
    return this.#text.length;
  }

  /** Queues already-serialized wire text. */
  write(text: string): void {
    if (this.#failed) return;
    this.#text += text;
    this.#flushing ??= this.#flush();
  }

  /** Resolves once everything queued so far has been written (or the connection failed). */
  drain(): Promise<void> {
    return this.#flushing ?? Promise.resolve();
  }

  async #flush(): Promise<void> {
    // Let the rest of this tick queue its messages before the first write.
    await Promise.resolve();
    while (this.#text !== "" && !this.#failed) {
      const text = this.#text;
      this.#text = "";
      try {
        await this.#conn.write(this.#encode(text));
      } catch (error) {
        this.#failed = true;
        this.#text = "";
        this.#onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    this.#flushing = undefined;
  }

  /**
   * UTF-8 bytes of `text`. A small write goes through the kept buffer: the
   * previous write is complete by then, as the flush awaits each write.
   */
  #encode(text: string): Uint8Array {
    if (text.length * 3 > REUSED_BUFFER_BYTES) return encoder.encode(text);
    this.#buffer ??= new Uint8Array(REUSED_BUFFER_BYTES);
    return this.#buffer.subarray(0, encoder.encodeInto(text, this.#buffer).written);
  }
}
