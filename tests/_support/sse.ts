/** Reading server-sent events from a fetch response, frame by frame. */

import { checkStreamEvent, isProxyStream } from "./contract.ts";

/** One SSE frame: its fields (comments are `comment`). */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/**
 * Reads frames from `response` as they arrive. A proxy's stream (opened
 * through `contractFetch`) has each event held to the API document.
 */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  readonly #checked: boolean;
  #buffer = "";

  constructor(response: Response) {
    this.#checked = isProxyStream(response);
    this.#reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next frame, or undefined when the stream ends; rejects after `timeoutMs`. */
  async next(timeoutMs = 5_000): Promise<SseFrame | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const text = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const frame: SseFrame = {};
        for (const line of text.split("\n")) {
          if (line.startsWith(":")) frame.comment = line.slice(1).trim();
          else {
            const at = line.indexOf(":");
            const key = line.slice(0, at) as keyof SseFrame;
            frame[key] = line.slice(at + 1).replace(/^ /, "");
          }
        }
        if (this.#checked && frame.event !== undefined) {
          checkStreamEvent(frame.event, frame.data ?? "");
        }
        return frame;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("Timed out waiting for an SSE frame")),
          Math.max(0, deadline - Date.now()),
        );
      });
      try {
        const { value, done } = await Promise.race([this.#reader.read(), timeout]);
        if (done) return undefined;
        this.#buffer += value;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /** The next frame with an event name matching `predicate` (skipping others). */
  async until(predicate: (frame: SseFrame) => boolean, timeoutMs = 5_000): Promise<SseFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = await this.next(Math.max(1, deadline - Date.now()));
      if (!frame) throw new Error("The event stream ended");
      if (predicate(frame)) return frame;
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}
