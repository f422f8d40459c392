import { assertEquals, assertThrows } from "../_support/assert.ts";
import { ascii, concat } from "../_support/bytes.ts";
import { MediaFormatError } from "../../src/recordings/errors.ts";
import {
  type AudioFormat,
  CONTENT_TYPES,
  formatOfName,
  mediaInfo,
} from "../../src/recordings/media_info.ts";
import { wavHeader } from "../../src/recordings/wav.ts";

function u32be(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

/** The MPEG audio streams the tests build: header bytes and frame sizes, written out by hand. */
interface Stream {
  name: string;
  /** Second header byte: sync bits, version, layer, no CRC. */
  b1: number;
  /** Bitrate index (high nibble) and sample rate index; the padding bit is set per frame. */
  b2: number;
  /** Channel mode in the two high bits (0xC0 mono). */
  b3: number;
  bitrateKbps: number;
  sampleRate: number;
  samplesPerFrame: number;
  /** Slot count per frame, unpadded and fractional: samples / 8 * bitrate / sample rate. */
  bytesPerFrame: number;
  channels: number;
  codec: string;
}

const MPEG1_L3_128K_44K: Stream = {
  name: "MPEG-1 Layer III 128 kbit/s 44.1 kHz stereo",
  b1: 0xFB,
  b2: 0x90,
  b3: 0x00,
  bitrateKbps: 128,
  sampleRate: 44100,
  samplesPerFrame: 1152,
  bytesPerFrame: 144 * 128000 / 44100, // 417.96
  channels: 2,
  codec: "mp3",
};

const STREAMS: Stream[] = [
  MPEG1_L3_128K_44K,
  {
    name: "MPEG-2 Layer III 64 kbit/s 22.05 kHz mono",
    b1: 0xF3,
    b2: 0x80,
    b3: 0xC0,
    bitrateKbps: 64,
    sampleRate: 22050,
    samplesPerFrame: 576,
    bytesPerFrame: 72 * 64000 / 22050,
    channels: 1,
    codec: "mp3",
  },
  {
    name: "MPEG-2.5 Layer III 8 kbit/s 8 kHz mono",
    b1: 0xE3,
    b2: 0x18,
    b3: 0xC0,
    bitrateKbps: 8,
    sampleRate: 8000,
    samplesPerFrame: 576,
    bytesPerFrame: 72 * 8000 / 8000,
    channels: 1,
    codec: "mp3",
  },
  {
    name: "MPEG-1 Layer II 192 kbit/s 48 kHz joint stereo",
    b1: 0xFD,
    b2: 0xA4,
    b3: 0x40,
    bitrateKbps: 192,
    sampleRate: 48000,
    samplesPerFrame: 1152,
    bytesPerFrame: 144 * 192000 / 48000,
    channels: 2,
    codec: "mp2",
  },
];

/**
 * `count` frames of `stream`, padded as an encoder does so that the stream keeps its bitrate;
 * the first frame's body starts with `firstBody` (a Xing, Info or VBRI header).
 */
function mpegFrames(
  stream: Stream,
  count: number,
  firstBody: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const base = Math.floor(stream.bytesPerFrame);
    const length = Math.floor((i + 1) * stream.bytesPerFrame) -
      Math.floor(i * stream.bytesPerFrame);
    const padding = length > base ? 1 : 0;
    const frame = new Uint8Array(base + padding);
    frame.set([0xFF, stream.b1, stream.b2 | padding << 1, stream.b3]);
    if (i === 0) frame.set(firstBody, 4);
    frames.push(frame);
  }
  return concat(...frames);
}

/** A Xing/Info header preceded by the side information it follows (zeros). */
function xingBody(
  id: "Xing" | "Info",
  sideInfoBytes: number,
  frames: number | undefined,
): Uint8Array {
  const flags = frames === undefined ? 0 : 1;
  return concat(new Uint8Array(sideInfoBytes), ascii(id), u32be(flags), u32be(frames ?? 0));
}

/** A VBRI header at byte 36 of the frame (32 bytes after the frame header). */
function vbriBody(frames: number): Uint8Array {
  return concat(new Uint8Array(32), ascii("VBRI"), new Uint8Array(6), u32be(123456), u32be(frames));
}

/** An ID3v2.4 tag of `size` bytes (after its header), with a footer when `footer` is set. */
function id3v2(size: number, footer = false): Uint8Array {
  const syncsafe = [21, 14, 7, 0].map((shift) => (size >> shift) & 0x7F);
  const header = new Uint8Array([...ascii("ID3"), 4, 0, footer ? 0x10 : 0, ...syncsafe]);
  const body = new Uint8Array(size).fill(0xFF); // would be false syncs if not skipped
  return concat(
    header,
    body,
    footer ? concat(ascii("3DI"), header.subarray(3)) : new Uint8Array(0),
  );
}

Deno.test("formatOfName reads the extension, case-insensitive", () => {
  const cases: Array<[string, AudioFormat | undefined]> = [
    ["call.wav", "wav"],
    ["call.WAV", "wav"],
    ["out-1700000000.123.Wav", "wav"],
    ["call.gsm", "gsm"],
    ["call.GSM", "gsm"],
    ["voicemail.mp3", "mp3"],
    ["call.ogg", undefined],
    ["call.wav49", undefined],
    ["call.wav.txt", undefined],
    ["wav", undefined],
    ["", undefined],
    ["call.toString", undefined],
  ];
  for (const [name, format] of cases) assertEquals(formatOfName(name), format, name);
});

Deno.test("CONTENT_TYPES names each format's media type", () => {
  assertEquals(CONTENT_TYPES, { wav: "audio/wav", gsm: "audio/x-gsm", mp3: "audio/mpeg" });
});

Deno.test("mediaInfo reads WAV codecs from the format code and bits", () => {
  const pcm = (bits: number) =>
    wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: bits, dataSize: 0 });
  const withFormat = (code: number, bits: number) => {
    const header = pcm(16);
    new DataView(header.buffer).setUint16(20, code, true);
    new DataView(header.buffer).setUint16(34, bits, true);
    return header;
  };
  const cases: Array<[Uint8Array, string]> = [
    [pcm(8), "pcm_u8"],
    [pcm(16), "pcm_s16le"],
    [pcm(24), "pcm_s24le"],
    [pcm(32), "pcm_s32le"],
    [withFormat(1, 12), "unknown"],
    [withFormat(3, 32), "pcm_f32le"],
    [withFormat(6, 8), "alaw"],
    [withFormat(7, 8), "mulaw"],
    [withFormat(0x31, 0), "gsm"],
    [withFormat(0x55, 0), "unknown"],
  ];
  for (const [head, codec] of cases) assertEquals(mediaInfo("wav", head, head.length).codec, codec);
});

Deno.test("mediaInfo reads a WAV file's duration, rate and channels", () => {
  const head = wavHeader({ sampleRate: 16000, channels: 2, bitsPerSample: 16, dataSize: 0 });
  assertEquals(mediaInfo("wav", head, 44 + 64000 * 3), {
    format: "wav",
    contentType: "audio/wav",
    codec: "pcm_s16le",
    durationMs: 3000,
    sampleRate: 16000,
    channels: 2,
  });
});

Deno.test("mediaInfo reads raw GSM as 33-byte frames of 20 ms", () => {
  const cases: Array<[fileSize: number, durationMs: number]> = [
    [33 * 50, 1000],
    [33 * 50 + 32, 1000], // a frame still being written
    [33, 20],
    [0, 0],
  ];
  for (const [fileSize, durationMs] of cases) {
    const head = new Uint8Array(Math.min(fileSize, 65536)).fill(0xD8);
    assertEquals(mediaInfo("gsm", head, fileSize), {
      format: "gsm",
      contentType: "audio/x-gsm",
      codec: "gsm",
      durationMs,
      sampleRate: 8000,
      channels: 1,
    });
  }
});

Deno.test("mediaInfo rejects a GSM file whose first byte is no frame start", () => {
  assertThrows(() => mediaInfo("gsm", ascii("RIFF"), 33 * 10), MediaFormatError, '"0x52"');
  assertThrows(
    () =>
      mediaInfo(
        "gsm",
        wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 0 }),
        100,
      ),
    MediaFormatError,
  );
});

Deno.test("mediaInfo estimates a constant-bitrate MP3's duration from its size", () => {
  for (const stream of STREAMS) {
    const file = mpegFrames(stream, 100);
    const exactMs = 100 * stream.samplesPerFrame * 1000 / stream.sampleRate;
    const info = mediaInfo("mp3", file, file.length);
    assertEquals(info, {
      format: "mp3",
      contentType: "audio/mpeg",
      codec: stream.codec,
      durationMs: Math.floor(file.length * 8 / stream.bitrateKbps),
      sampleRate: stream.sampleRate,
      channels: stream.channels,
    }, stream.name);
    assertEquals(Math.abs(info.durationMs! - exactMs) <= 1, true, stream.name);
  }
});

Deno.test("mediaInfo estimates MP3 duration from the file size beyond the bytes read", () => {
  const file = mpegFrames(MPEG1_L3_128K_44K, 100);
  assertEquals(file.length, 41795);
  const head = file.subarray(0, 4096);
  assertEquals(mediaInfo("mp3", head, file.length).durationMs, 2612);
  assertEquals(mediaInfo("mp3", head, 16000 * 60).durationMs, 60000); // one minute at 16000 B/s
});

Deno.test("mediaInfo reads the frame count of a Xing or Info header", () => {
  const cases: Array<[Stream, "Xing" | "Info", sideInfo: number, frames: number]> = [
    [MPEG1_L3_128K_44K, "Xing", 32, 1000],
    [MPEG1_L3_128K_44K, "Info", 32, 1000],
    [STREAMS[1], "Xing", 9, 500],
    [STREAMS[2], "Info", 9, 10],
  ];
  for (const [stream, id, sideInfo, frames] of cases) {
    // The file holds fewer frames than the header says: the header wins.
    const file = mpegFrames(stream, 5, xingBody(id, sideInfo, frames));
    const info = mediaInfo("mp3", file, file.length);
    const expected = Math.floor(frames * stream.samplesPerFrame * 1000 / stream.sampleRate);
    assertEquals(info.durationMs, expected, `${stream.name} ${id}`);
  }
  const file = mpegFrames(MPEG1_L3_128K_44K, 5, xingBody("Xing", 32, 1000));
  assertEquals(mediaInfo("mp3", file, file.length).durationMs, 26122);
});

Deno.test("mediaInfo falls back to the bitrate when a Xing header has no frame count", () => {
  const file = mpegFrames(MPEG1_L3_128K_44K, 5, xingBody("Xing", 32, undefined));
  assertEquals(mediaInfo("mp3", file, 16000).durationMs, 1000);
});

Deno.test("mediaInfo reads the frame count of a VBRI header", () => {
  const file = mpegFrames(MPEG1_L3_128K_44K, 5, vbriBody(200));
  assertEquals(
    mediaInfo("mp3", file, file.length).durationMs,
    Math.floor(200 * 1152 * 1000 / 44100),
  );
});

Deno.test("mediaInfo skips ID3v2 tags before the first MP3 frame", () => {
  const frames = mpegFrames(MPEG1_L3_128K_44K, 100);
  for (const footer of [false, true]) {
    const file = concat(id3v2(1000, footer), frames);
    assertEquals(mediaInfo("mp3", file, file.length).durationMs, 2612, `footer ${footer}`);
  }
  const tagged = concat(id3v2(300), mpegFrames(MPEG1_L3_128K_44K, 5, xingBody("Info", 32, 1000)));
  assertEquals(mediaInfo("mp3", tagged, tagged.length).durationMs, 26122);
});

Deno.test("mediaInfo skips a false MP3 sync whose next frame is missing", () => {
  const falseSync = new Uint8Array([0, 0xFF, 0xFB, 0x90, 0x00, 1, 2, 3]);
  const frames = mpegFrames(MPEG1_L3_128K_44K, 100);
  const file = concat(falseSync, frames);
  assertEquals(mediaInfo("mp3", file, file.length).durationMs, Math.floor(frames.length * 8 / 128));
});

Deno.test("mediaInfo rejects an MP3 with no frame in the bytes read", async (t) => {
  const cases: Array<[name: string, head: Uint8Array, message: string]> = [
    ["text", ascii("not an mp3 at all"), "no MPEG audio frame within the first 17 bytes"],
    ["reserved version", new Uint8Array([0xFF, 0xEB, 0x90, 0x00]), "no MPEG audio frame"],
    ["reserved sample rate", new Uint8Array([0xFF, 0xFB, 0x9C, 0x00]), "no MPEG audio frame"],
    ["bad bitrate", new Uint8Array([0xFF, 0xFB, 0xF0, 0x00]), "no MPEG audio frame"],
    ["empty", new Uint8Array(0), "no MPEG audio frame within the first 0 bytes"],
    [
      "big ID3v2 tag",
      id3v2(70000).subarray(0, 65536),
      "ID3v2 tag ends at byte 70010, beyond the 65536 bytes",
    ],
  ];
  for (const [name, head, message] of cases) {
    await t.step(name, () => {
      assertThrows(() => mediaInfo("mp3", head, 100_000), MediaFormatError, message);
    });
  }
});

Deno.test("mediaInfo rejects a file size that is not a byte count", () => {
  assertThrows(() => mediaInfo("gsm", new Uint8Array(0), 1.5), RangeError, 'got "1.5"');
});
