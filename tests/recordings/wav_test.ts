import { assertEquals, assertThrows } from "../_support/assert.ts";
import { ascii, concat } from "../_support/bytes.ts";
import { MediaFormatError, RecordingsError } from "../../src/recordings/errors.ts";
import { parseWav, WAV_HEADER_BYTES, wavHeader } from "../../src/recordings/wav.ts";

/** Little-endian bytes of 16- and 32-bit fields. */
function le(...fields: Array<[bits: 16 | 32, value: number]>): Uint8Array {
  const bytes = new Uint8Array(fields.reduce((n, [bits]) => n + bits / 8, 0));
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const [bits, value] of fields) {
    if (bits === 16) view.setUint16(offset, value, true);
    else view.setUint32(offset, value, true);
    offset += bits / 8;
  }
  return bytes;
}

/** A chunk with its header; `declaredSize` overrides the size field; odd bodies get a pad byte. */
function chunk(id: string, body: Uint8Array, declaredSize = body.length): Uint8Array {
  const pad = body.length % 2 ? new Uint8Array(1) : new Uint8Array(0);
  return concat(ascii(id), le([32, declaredSize]), body, pad);
}

/** A RIFF/WAVE file of `chunks`, with a RIFF size of `riffSize` (default: the real one). */
function riff(chunks: Uint8Array[], riffSize?: number): Uint8Array {
  const body = concat(ascii("WAVE"), ...chunks);
  return concat(ascii("RIFF"), le([32, riffSize ?? body.length]), body);
}

/** A 16-byte "fmt " chunk body. */
function fmt(formatCode: number, channels: number, sampleRate: number, bits: number): Uint8Array {
  const blockAlign = Math.max(1, channels * bits / 8);
  return le(
    [16, formatCode],
    [16, channels],
    [32, sampleRate],
    [32, sampleRate * blockAlign],
    [16, blockAlign],
    [16, bits],
  );
}

/** The 60-byte header Asterisk's format_wav_gsm writes for a `.WAV` (WAV49) file. */
function wav49Header(dataSize: number): Uint8Array {
  const fmt49 = le(
    [16, 0x31],
    [16, 1],
    [32, 8000],
    [32, 1625],
    [16, 65],
    [16, 0],
    [16, 2], // extra bytes
    [16, 320], // samples per block
  );
  const fact = le([32, dataSize / 65 * 320]);
  return riff([
    chunk("fmt ", fmt49),
    chunk("fact", fact),
    chunk("data", new Uint8Array(0), dataSize),
  ]);
}

Deno.test("wavHeader writes the canonical 44-byte PCM header", () => {
  const header = wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 1000 });
  assertEquals(header.length, WAV_HEADER_BYTES);
  assertEquals(
    header,
    riff([chunk("fmt ", fmt(1, 1, 8000, 16)), chunk("data", new Uint8Array(0), 1000)], 1036),
  );
});

Deno.test("wavHeader round-trips through parseWav", () => {
  const cases = [
    { sampleRate: 8000, channels: 1, bitsPerSample: 16 },
    { sampleRate: 8000, channels: 1, bitsPerSample: 8 },
    { sampleRate: 16000, channels: 1, bitsPerSample: 16 },
    { sampleRate: 44100, channels: 2, bitsPerSample: 16 },
    { sampleRate: 48000, channels: 2, bitsPerSample: 24 },
    { sampleRate: 96000, channels: 6, bitsPerSample: 32 },
  ];
  for (const { sampleRate, channels, bitsPerSample } of cases) {
    const blockAlign = channels * bitsPerSample / 8;
    const byteRate = sampleRate * blockAlign;
    const dataSize = byteRate * 3 / 2;
    const header = wavHeader({ sampleRate, channels, bitsPerSample, dataSize });
    assertEquals(parseWav(header, header.length + dataSize), {
      formatCode: 1,
      channels,
      sampleRate,
      bitsPerSample,
      byteRate,
      blockAlign,
      dataOffset: 44,
      dataSize,
      durationMs: 1500,
    });
  }
});

Deno.test("wavHeader rejects sizes and formats a header cannot hold", () => {
  const base = { sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 0 };
  const cases: Array<[Partial<typeof base>, string]> = [
    [{ dataSize: -1 }, 'data size must be an integer from 0 to 4294967259, got "-1"'],
    [{ dataSize: 1.5 }, 'got "1.5"'],
    [{ dataSize: 0xFFFFFFFF - 35 }, 'got "4294967260"'],
    [{ dataSize: NaN }, 'got "NaN"'],
    [{ channels: 0 }, "channel count must be"],
    [{ sampleRate: 0 }, "sample rate must be"],
    [{ bitsPerSample: 12 }, 'bits per sample must be 8, 16, 24 or 32, got "12"'],
    [{ sampleRate: 0xFFFFFFFF, channels: 2 }, "do not fit a WAV header"],
  ];
  for (const [override, message] of cases) {
    assertThrows(() => wavHeader({ ...base, ...override }), RangeError, message);
  }
  assertEquals(wavHeader({ ...base, dataSize: 0xFFFFFFFF - 36 }).length, 44);
});

Deno.test("parseWav takes the data size from the file while it is still recorded", () => {
  const byteRate = 16000; // 8 kHz, 16-bit mono
  const fileSize = 44 + 4000;
  const cases: Array<[name: string, riffSize: number, dataSize: number]> = [
    ["sizes 0", 0, 0],
    ["sizes 0xFFFFFFFF", 0xFFFFFFFF, 0xFFFFFFFF],
    ["sizes larger than the file", 36 + 8000, 8000],
    ["data size 0, RIFF size set", 36 + 4000, 0],
  ];
  for (const [name, riffSize, dataSize] of cases) {
    const head = riff([
      chunk("fmt ", fmt(1, 1, 8000, 16)),
      chunk("data", new Uint8Array(0), dataSize),
    ], riffSize);
    const info = parseWav(head, fileSize);
    assertEquals([info.dataOffset, info.dataSize, info.durationMs], [
      44,
      4000,
      4000 * 1000 / byteRate,
    ], name);
  }
});

Deno.test("parseWav keeps a data size smaller than the file (chunks after the data)", () => {
  const head = wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 3200 });
  assertEquals(parseWav(head, 44 + 3200 + 100).dataSize, 3200);
  assertEquals(parseWav(head, 44 + 3200 + 100).durationMs, 200);
});

Deno.test("parseWav reads the whole file when given it", () => {
  const file = concat(
    wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 8, dataSize: 0 }),
    new Uint8Array(800),
  );
  assertEquals(parseWav(file, file.length).durationMs, 100);
});

Deno.test("parseWav skips odd-sized chunks with their pad byte", () => {
  const list = chunk("LIST", ascii("INFOx")); // 5 bytes + pad
  const junk = chunk("JUNK", new Uint8Array(3));
  const head = riff([
    list,
    chunk("fmt ", fmt(1, 2, 44100, 16)),
    junk,
    chunk("data", new Uint8Array(0), 1764),
  ]);
  const info = parseWav(head, 100_000);
  assertEquals(info.dataOffset, 12 + (8 + 6) + (8 + 16) + (8 + 4) + 8);
  assertEquals(info.dataSize, 1764);
  assertEquals(info.durationMs, 10);
});

Deno.test("parseWav reads Asterisk's WAV49 header at 1625 bytes per second", () => {
  const dataSize = 65 * 50; // 50 blocks of 40 ms
  const head = wav49Header(dataSize);
  assertEquals(head.length, 60);
  assertEquals(parseWav(head, 60 + dataSize), {
    formatCode: 0x31,
    channels: 1,
    sampleRate: 8000,
    bitsPerSample: 0,
    byteRate: 1625,
    blockAlign: 65,
    dataOffset: 60,
    dataSize,
    durationMs: 2000,
  });
});

Deno.test("parseWav reads A-law and µ-law", () => {
  for (const formatCode of [6, 7]) {
    const head = riff([
      chunk("fmt ", fmt(formatCode, 1, 8000, 8)),
      chunk("data", new Uint8Array(0), 0),
    ]);
    const info = parseWav(head, head.length + 12000);
    assertEquals([info.formatCode, info.byteRate, info.durationMs], [formatCode, 8000, 1500]);
  }
});

Deno.test("parseWav reads the sub-format of WAVE_FORMAT_EXTENSIBLE", () => {
  const extensible = concat(
    fmt(0xFFFE, 2, 48000, 24),
    le([16, 22], [16, 24], [32, 3]),
    le([16, 1], [16, 0], [32, 0x00100000]), // KSDATAFORMAT_SUBTYPE_PCM, first 8 bytes
    new Uint8Array([0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]),
  );
  const head = riff([chunk("fmt ", extensible), chunk("data", new Uint8Array(0), 288000)]);
  const info = parseWav(head, head.length + 288000);
  assertEquals([info.formatCode, info.channels, info.bitsPerSample, info.durationMs], [
    1,
    2,
    24,
    1000,
  ]);
});

Deno.test("parseWav rejects what is not a readable WAV header", () => {
  const pcm = chunk("fmt ", fmt(1, 1, 8000, 16));
  const data = chunk("data", new Uint8Array(0), 0);
  const cases: Array<[name: string, head: Uint8Array, message: string]> = [
    ["empty", new Uint8Array(0), 'does not start with "RIFF....WAVE"'],
    ["text", ascii("hello, this is not audio"), 'does not start with "RIFF....WAVE"'],
    ["RIFF but not WAVE", concat(ascii("RIFF"), le([32, 4]), ascii("AVI ")), "RIFF....WAVE"],
    ["data before fmt", riff([data, pcm]), 'no "fmt " chunk before the "data" chunk'],
    ["no chunks", riff([]), 'no "fmt " chunk within the first 12 bytes'],
    ["no data", riff([pcm]), 'no "data" chunk within the first 36 bytes'],
    [
      "data beyond head",
      riff([pcm, chunk("LIST", new Uint8Array(4), 70000), data]),
      'no "data" chunk',
    ],
    ["short fmt", riff([chunk("fmt ", new Uint8Array(14)), data]), '"fmt " chunk has 14 bytes'],
    ["cut-off fmt", riff([pcm]).subarray(0, 30), '"fmt " chunk is cut off at byte 30'],
    [
      "byteRate 0",
      riff([chunk("fmt ", le([16, 1], [16, 1], [32, 8000], [32, 0], [16, 2], [16, 16])), data]),
      "byteRate 0",
    ],
    ["channels 0", riff([chunk("fmt ", fmt(1, 0, 8000, 16)), data]), "channels 0"],
  ];
  for (const [name, head, message] of cases) {
    const error = assertThrows(() => parseWav(head, head.length + 1000), MediaFormatError, message);
    assertEquals(error instanceof RecordingsError, true, name);
    assertEquals(error.name, "MediaFormatError", name);
  }
});

Deno.test("parseWav rejects a file size that is not a byte count", () => {
  const head = wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize: 0 });
  assertThrows(() => parseWav(head, -1), RangeError, 'file size must be an integer >= 0, got "-1"');
});
