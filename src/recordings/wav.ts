/**
 * A small WAV (RIFF) writer and reader: the canonical 44-byte PCM header, and
 * a reader of the headers Asterisk writes (`.wav` PCM, `.WAV` GSM "WAV49",
 * A-law, µ-law), including those of a file still being recorded, whose RIFF
 * and data sizes are 0, 0xFFFFFFFF or out of date.
 *
 * @example
 * ```ts
 * import { parseWav, wavHeader } from "./wav.ts";
 *
 * const header = wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 16000 });
 * const info = parseWav(header, header.length + 16000);
 * info.durationMs; // 1000
 * ```
 *
 * @module
 */

import { MediaFormatError } from "./errors.ts";

/** The fields of a WAV "fmt " chunk. */
export interface WavFormat {
  /** 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law, 0x31 GSM 6.10; for 0xFFFE (extensible), the sub-format's code. */
  formatCode: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  byteRate: number;
  blockAlign: number;
}

/** What {@linkcode parseWav} reads: the format and where the samples are. */
export interface WavInfo extends WavFormat {
  /** Offset of the first sample byte in the file. */
  dataOffset: number;
  /** Bytes of samples the file holds (the declared size, clamped to the file). */
  dataSize: number;
  durationMs: number;
}

/** Size of the header {@linkcode wavHeader} writes. */
export const WAV_HEADER_BYTES = 44;

const MAX_U32 = 0xFFFFFFFF;
const WAVE_FORMAT_EXTENSIBLE = 0xFFFE;

/** Builds the canonical 44-byte little-endian PCM header for `dataSize` bytes of samples. */
export function wavHeader(
  options: { sampleRate: number; channels: number; bitsPerSample: number; dataSize: number },
): Uint8Array<ArrayBuffer> {
  const { sampleRate, channels, bitsPerSample, dataSize } = options;
  checkInteger("sample rate", sampleRate, 1, MAX_U32);
  checkInteger("channel count", channels, 1, 0xFFFF);
  if (![8, 16, 24, 32].includes(bitsPerSample)) {
    throw new RangeError(
      `Cannot write WAV header: bits per sample must be 8, 16, 24 or 32, got "${bitsPerSample}"`,
    );
  }
  checkInteger("data size", dataSize, 0, MAX_U32 - 36);
  const blockAlign = channels * bitsPerSample / 8;
  const byteRate = sampleRate * blockAlign;
  if (blockAlign > 0xFFFF || byteRate > MAX_U32) {
    throw new RangeError(
      `Cannot write WAV header: ${channels} channels of ${bitsPerSample} bits at ${sampleRate} Hz do not fit a WAV header`,
    );
  }

  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  writeId(header, 0, "RIFF");
  view.setUint32(4, 36 + dataSize, true);
  writeId(header, 8, "WAVE");
  writeId(header, 12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, byteRate, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, bitsPerSample, true);
  writeId(header, 36, "data");
  view.setUint32(40, dataSize, true);
  return header;
}

/**
 * Reads the format and data extent of a WAV file from its first bytes `head`
 * (up to the "data" chunk header) and its size on disk `fileSize`.
 * The RIFF size is ignored; a data size of 0, or one larger than the file,
 * is replaced by what the file holds after the data chunk header.
 */
export function parseWav(head: Uint8Array, fileSize: number): WavInfo {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
    throw new RangeError(
      `Cannot read WAV header: file size must be an integer >= 0, got "${fileSize}"`,
    );
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < 12 || readId(head, 0) !== "RIFF" || readId(head, 8) !== "WAVE") {
    throw new MediaFormatError(`Cannot read WAV header: file does not start with "RIFF....WAVE"`);
  }

  let format: WavFormat | undefined;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = readId(head, offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      format = readFormat(view, body, size);
    } else if (id === "data") {
      if (format === undefined) {
        throw new MediaFormatError(
          `Cannot read WAV header: no "fmt " chunk before the "data" chunk`,
        );
      }
      const available = Math.max(0, fileSize - body);
      const dataSize = size === 0 ? available : Math.min(size, available);
      const durationMs = Math.floor(dataSize * 1000 / format.byteRate);
      return { ...format, dataOffset: body, dataSize, durationMs };
    }
    offset = body + size + (size % 2);
  }
  throw new MediaFormatError(
    format === undefined
      ? `Cannot read WAV header: no "fmt " chunk within the first ${head.length} bytes`
      : `Cannot read WAV header: no "data" chunk within the first ${head.length} bytes`,
  );
}

function readFormat(view: DataView, offset: number, size: number): WavFormat {
  if (size < 16) {
    throw new MediaFormatError(
      `Cannot read WAV header: "fmt " chunk has ${size} bytes, not 16 or more`,
    );
  }
  if (offset + 16 > view.byteLength) {
    throw new MediaFormatError(
      `Cannot read WAV header: "fmt " chunk is cut off at byte ${view.byteLength}`,
    );
  }
  let formatCode = view.getUint16(offset, true);
  // WAVE_FORMAT_EXTENSIBLE: cbSize (2), valid bits (2), channel mask (4), then the
  // sub-format GUID, whose first two bytes are the format code it stands for.
  if (formatCode === WAVE_FORMAT_EXTENSIBLE && size >= 40 && offset + 26 <= view.byteLength) {
    formatCode = view.getUint16(offset + 24, true);
  }
  const format: WavFormat = {
    formatCode,
    channels: view.getUint16(offset + 2, true),
    sampleRate: view.getUint32(offset + 4, true),
    byteRate: view.getUint32(offset + 8, true),
    blockAlign: view.getUint16(offset + 12, true),
    bitsPerSample: view.getUint16(offset + 14, true),
  };
  for (const field of ["channels", "sampleRate", "byteRate"] as const) {
    if (format[field] === 0) {
      throw new MediaFormatError(`Cannot read WAV header: "fmt " chunk has ${field} 0`);
    }
  }
  return format;
}

function checkInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot write WAV header: ${what} must be an integer from ${min} to ${max}, got "${value}"`,
    );
  }
}

function readId(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

function writeId(bytes: Uint8Array, offset: number, id: string): void {
  for (let i = 0; i < 4; i++) bytes[offset + i] = id.charCodeAt(i);
}
