/**
 * What the recording server tells about a file: its format, content type,
 * codec and duration, read from the file's first bytes and its size, without
 * decoding audio. Reads WAV (PCM, A-law, µ-law, GSM "WAV49"), raw GSM 06.10
 * and MP3 (Xing/Info or VBRI frame counts, else a constant bitrate estimate).
 *
 * @example
 * ```ts
 * import { formatOfName, mediaInfo } from "./media_info.ts";
 *
 * const format = formatOfName("call-1234.gsm"); // "gsm"
 * const head = new Uint8Array(33 * 50).fill(0xd8);
 * const info = mediaInfo(format!, head, head.length);
 * info.durationMs; // 1000
 * ```
 *
 * @module
 */

import { MediaFormatError } from "./errors.ts";
import { parseWav, type WavFormat } from "./wav.ts";

/** The audio formats the recording server serves. */
export type AudioFormat = "wav" | "gsm" | "mp3";

/** The `Content-Type` of each format. */
export const CONTENT_TYPES: Record<AudioFormat, string> = {
  wav: "audio/wav",
  gsm: "audio/x-gsm",
  mp3: "audio/mpeg",
};

/** What is known about a recording; `null` where the format does not tell. */
export interface MediaInfo {
  format: AudioFormat;
  contentType: string;
  /** "pcm_s16le" (and other `pcm_*`), "alaw", "mulaw", "gsm", "mp3" ("mp2", "mp1") or "unknown". */
  codec: string;
  durationMs: number | null;
  sampleRate: number | null;
  channels: number | null;
}

const EXTENSIONS: Record<string, AudioFormat> = { wav: "wav", gsm: "gsm", mp3: "mp3" };

/** The format a file name's extension says (case-insensitive; `.WAV` is GSM WAV49), if any. */
export function formatOfName(fileName: string): AudioFormat | undefined {
  const dot = fileName.lastIndexOf(".");
  if (dot < 0) return undefined;
  const extension = fileName.slice(dot + 1).toLowerCase();
  return Object.hasOwn(EXTENSIONS, extension) ? EXTENSIONS[extension] : undefined;
}

/** Reads what a `format` file of `fileSize` bytes holds from its first bytes `head`. */
export function mediaInfo(format: AudioFormat, head: Uint8Array, fileSize: number): MediaInfo {
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) {
    throw new RangeError(
      `Cannot read media info: file size must be an integer >= 0, got "${fileSize}"`,
    );
  }
  const known = format === "wav"
    ? wavInfo(head, fileSize)
    : format === "gsm"
    ? gsmInfo(head, fileSize)
    : mp3Info(head, fileSize);
  return { format, contentType: CONTENT_TYPES[format], ...known };
}

type Known = Omit<MediaInfo, "format" | "contentType">;

function wavInfo(head: Uint8Array, fileSize: number): Known {
  const wav = parseWav(head, fileSize);
  return {
    codec: wavCodec(wav),
    durationMs: wav.durationMs,
    sampleRate: wav.sampleRate,
    channels: wav.channels,
  };
}

function wavCodec({ formatCode, bitsPerSample }: WavFormat): string {
  switch (formatCode) {
    case 1:
      if (bitsPerSample === 8) return "pcm_u8";
      return [16, 24, 32].includes(bitsPerSample) ? `pcm_s${bitsPerSample}le` : "unknown";
    case 3:
      return [32, 64].includes(bitsPerSample) ? `pcm_f${bitsPerSample}le` : "unknown";
    case 6:
      return "alaw";
    case 7:
      return "mulaw";
    case 0x31:
      return "gsm";
    default:
      return "unknown";
  }
}

/** Raw GSM 06.10 as Asterisk writes it: 33-byte frames of 160 samples at 8 kHz, mono. */
const GSM_FRAME_BYTES = 33;
const GSM_FRAME_MS = 20;

function gsmInfo(head: Uint8Array, fileSize: number): Known {
  // Each frame starts with the 4-bit signature 0xD.
  if (fileSize > 0 && head.length > 0 && (head[0] & 0xF0) !== 0xD0) {
    throw new MediaFormatError(
      `Cannot read GSM file: first byte is "0x${
        hex(head[0])
      }", not a GSM 06.10 frame start (0xD0-0xDF)`,
    );
  }
  return {
    codec: "gsm",
    durationMs: Math.floor(fileSize / GSM_FRAME_BYTES) * GSM_FRAME_MS,
    sampleRate: 8000,
    channels: 1,
  };
}

// MPEG audio tables, in kbit/s and Hz, indexed by the header's bitrate and sample rate indexes.
const BITRATES = {
  v1l1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l23: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  2.5: [11025, 12000, 8000],
};

interface MpegFrame {
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  bitrateKbps: number;
  sampleRate: number;
  channels: 1 | 2;
  samplesPerFrame: number;
  frameBytes: number;
}

/** Reads a 4-byte MPEG audio frame header at `offset`, or undefined when there is none. */
function readFrameHeader(bytes: Uint8Array, offset: number): MpegFrame | undefined {
  if (offset + 4 > bytes.length || bytes[offset] !== 0xFF) return undefined;
  const [b1, b2, b3] = bytes.subarray(offset + 1, offset + 4);
  if ((b1 & 0xE0) !== 0xE0) return undefined;
  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  // Reserved values; bitrate index 0 ("free format") has no frame length to check.
  if (
    versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 ||
    rateIndex === 3
  ) {
    return undefined;
  }
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = (4 - layerBits) as 1 | 2 | 3;
  const table = version === 1
    ? [BITRATES.v1l1, BITRATES.v1l2, BITRATES.v1l3][layer - 1]
    : layer === 1
    ? BITRATES.v2l1
    : BITRATES.v2l23;
  const bitrateKbps = table[bitrateIndex];
  const sampleRate = SAMPLE_RATES[version][rateIndex];
  const padding = (b2 >> 1) & 1;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
  const frameBytes = layer === 1
    ? (Math.floor(12 * bitrateKbps * 1000 / sampleRate) + padding) * 4
    : Math.floor(samplesPerFrame / 8 * bitrateKbps * 1000 / sampleRate) + padding;
  const channels = (b3 >> 6) === 3 ? 1 : 2;
  return { version, layer, bitrateKbps, sampleRate, channels, samplesPerFrame, frameBytes };
}

/** Offset of the first byte after the ID3v2 tags at the start of `bytes` (0 when there are none). */
function skipId3v2(bytes: Uint8Array): number {
  let offset = 0;
  while (offset + 10 <= bytes.length && readAscii(bytes, offset, 3) === "ID3") {
    const flags = bytes[offset + 5];
    const size = (bytes[offset + 6] & 0x7F) << 21 | (bytes[offset + 7] & 0x7F) << 14 |
      (bytes[offset + 8] & 0x7F) << 7 | (bytes[offset + 9] & 0x7F);
    offset += 10 + size + (flags & 0x10 ? 10 : 0);
  }
  return offset;
}

/** The first frame header in `bytes` from `start`, confirmed by the next one when it is within `bytes`. */
function findFirstFrame(
  bytes: Uint8Array,
  start: number,
): { offset: number; frame: MpegFrame } | undefined {
  for (let offset = start; offset + 4 <= bytes.length; offset++) {
    const frame = readFrameHeader(bytes, offset);
    if (frame === undefined) continue;
    const next = offset + frame.frameBytes;
    if (next + 4 <= bytes.length) {
      const following = readFrameHeader(bytes, next);
      if (
        following === undefined || following.version !== frame.version ||
        following.layer !== frame.layer || following.sampleRate !== frame.sampleRate
      ) continue;
    }
    return { offset, frame };
  }
  return undefined;
}

/** The frame count of a Xing/Info (with the frames flag) or VBRI header in the frame at `offset`. */
function vbrFrameCount(bytes: Uint8Array, offset: number, frame: MpegFrame): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Frame header (4 bytes), then the Layer III side information.
  const xing = offset + 4 +
    (frame.version === 1 ? (frame.channels === 1 ? 17 : 32) : (frame.channels === 1 ? 9 : 17));
  if (xing + 12 <= bytes.length && ["Xing", "Info"].includes(readAscii(bytes, xing, 4))) {
    if (view.getUint32(xing + 4) & 1) return view.getUint32(xing + 8);
    return undefined;
  }
  // VBRI: id (4), version (2), delay (2), quality (2), bytes (4), frames (4).
  const vbri = offset + 36;
  if (vbri + 18 <= bytes.length && readAscii(bytes, vbri, 4) === "VBRI") {
    return view.getUint32(vbri + 14);
  }
  return undefined;
}

function mp3Info(head: Uint8Array, fileSize: number): Known {
  const start = skipId3v2(head);
  const found = findFirstFrame(head, start);
  if (found === undefined) {
    throw new MediaFormatError(
      start > 0 && start + 4 > head.length
        ? `Cannot read MP3 header: its ID3v2 tag ends at byte ${start}, beyond the ${head.length} bytes read`
        : `Cannot read MP3 header: no MPEG audio frame within the first ${head.length} bytes`,
    );
  }
  const { offset, frame } = found;
  const frames = vbrFrameCount(head, offset, frame);
  const durationMs = frames
    ? Math.floor(frames * frame.samplesPerFrame * 1000 / frame.sampleRate)
    : Math.floor(Math.max(0, fileSize - offset) * 8 / frame.bitrateKbps);
  return {
    codec: `mp${frame.layer}`,
    durationMs,
    sampleRate: frame.sampleRate,
    channels: frame.channels,
  };
}

function readAscii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}
