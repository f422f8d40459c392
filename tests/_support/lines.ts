/** Reading a process's output line by line, as it comes. */

/** The lines of a text stream, read on demand; a line not yet ended waits for its end. */
export class LineReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #lines: string[] = [];

  constructor(stream: ReadableStream<Uint8Array<ArrayBuffer>>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next `count` non-empty lines (fewer if the stream ends first). */
  async read(count: number): Promise<string[]> {
    while (this.#lines.length < count) {
      const { value, done } = await this.#reader.read();
      if (done) break;
      this.#buffer += value;
      const parts = this.#buffer.split("\n");
      this.#buffer = parts.pop()!;
      this.#lines.push(...parts.filter(Boolean));
    }
    return this.#lines.splice(0, count);
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }
}
