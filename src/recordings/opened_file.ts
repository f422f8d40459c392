/**
 * A recording file opened for reading: a range read at once, or streamed in
 * 64 KiB reads as the consumer pulls them (memory stays flat however large
 * the file). The handle closes when the read or the stream ends, fails or is
 * cancelled.
 *
 * @module
 */

import type { FileHandle } from "node:fs/promises";
import type { OpenedRecording, Recording } from "./catalog.ts";

const STREAM_CHUNK = 64 * 1024;

/** An open file as an {@linkcode OpenedRecording}: the handle closes when its stream ends. */
export function openedFile(recording: Recording, handle: FileHandle): OpenedRecording {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    recording,
    close,
    async bytes(start, end) {
      try {
        const buffer = new Uint8Array(end + 1 - start);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
        if (bytesRead !== buffer.length) {
          throw new Error(`${recording.id} was truncated while being sent`);
        }
        return buffer;
      } finally {
        await close();
      }
    },
    stream(start, end) {
      let at = start;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const length = Math.min(STREAM_CHUNK, end + 1 - at);
            const buffer = new Uint8Array(length);
            const { bytesRead } = await handle.read(buffer, 0, length, at);
            if (bytesRead === 0) throw new Error(`${recording.id} was truncated while being sent`);
            controller.enqueue(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
            at += bytesRead;
            if (at > end) {
              controller.close();
              await close();
            }
          } catch (error) {
            controller.error(error);
            await close();
          }
        },
        cancel: close,
      }, { highWaterMark: 0 });
    },
  };
}
