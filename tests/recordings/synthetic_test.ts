import { assert, assertEquals } from "../_support/assert.ts";
import { SyntheticCatalog } from "../../src/recordings/synthetic.ts";
import { SAMPLE_RATE, SyntheticAudio } from "../../src/recordings/synthetic_audio.ts";
import { seededRandom } from "../../src/random.ts";

const NOW = Date.UTC(2026, 10, 25, 10, 30);

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function wavOf(catalog: SyntheticCatalog, id: string): Promise<Uint8Array> {
  const opened = (await catalog.open(id))!;
  return await readAll(opened.stream(0, opened.recording.size - 1));
}

/** Power of `frequency` in `samples` (Goertzel). */
function power(samples: Int16Array, frequency: number): number {
  const k = 2 * Math.cos((2 * Math.PI * frequency) / SAMPLE_RATE);
  let s1 = 0, s2 = 0;
  for (const x of samples) [s1, s2] = [x + k * s1 - s2, s1];
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

function pcm(wav: Uint8Array, fromSample: number, toSample: number): Int16Array {
  const view = new DataView(wav.buffer, wav.byteOffset + 44);
  return Int16Array.from(
    { length: toSample - fromSample },
    (_, i) => view.getInt16((fromSample + i) * 2, true),
  );
}

Deno.test("SyntheticCatalog makes valid WAV files: header consistent, data = duration × rate × 2", async () => {
  const catalog = new SyntheticCatalog({ count: 6, seed: 3, now: NOW });
  const { recordings } = await catalog.list({});
  assertEquals(recordings.length, 6);
  for (const r of recordings) {
    const wav = await wavOf(catalog, r.id);
    const view = new DataView(wav.buffer, wav.byteOffset);
    const text = (at: number) => new TextDecoder().decode(wav.subarray(at, at + 4));
    const dataSize = (r.durationMs! * SAMPLE_RATE * 2) / 1000;
    assertEquals(wav.length, r.size);
    assertEquals([text(0), view.getUint32(4, true), text(8), text(12)], [
      "RIFF",
      r.size - 8,
      "WAVE",
      "fmt ",
    ]);
    const fmt = {
      chunkSize: view.getUint32(16, true),
      formatCode: view.getUint16(20, true),
      channels: view.getUint16(22, true),
      sampleRate: view.getUint32(24, true),
      byteRate: view.getUint32(28, true),
      blockAlign: view.getUint16(32, true),
      bitsPerSample: view.getUint16(34, true),
    };
    assertEquals(fmt, {
      chunkSize: 16,
      formatCode: 1,
      channels: 1,
      sampleRate: SAMPLE_RATE,
      byteRate: SAMPLE_RATE * 2,
      blockAlign: 2,
      bitsPerSample: 16,
    });
    assertEquals([text(36), view.getUint32(40, true)], ["data", dataSize]);
    assertEquals(wav.length, 44 + dataSize);
    assertEquals([r.format, r.contentType, r.codec, r.sampleRate, r.channels], [
      "wav",
      "audio/wav",
      "pcm_s16le",
      8000,
      1,
    ]);
    assert(r.durationMs! >= 15_000 && r.durationMs! <= 480_000, `duration ${r.durationMs}`);
    assert(r.startedAt < NOW && r.startedAt >= NOW - 8 * 86_400_000);
  }
});

Deno.test("SyntheticCatalog is deterministic, and a larger count keeps the smaller set", async () => {
  const a = new SyntheticCatalog({ count: 10, seed: 9, now: NOW });
  const b = new SyntheticCatalog({ count: 10, seed: 9, now: NOW });
  const c = new SyntheticCatalog({ count: 20, seed: 9, now: NOW });
  const other = new SyntheticCatalog({ count: 10, seed: 10, now: NOW });
  const ids = async (catalog: SyntheticCatalog) =>
    (await catalog.list({ limit: 100 })).recordings.map((r) => r.id);
  assertEquals(await a.list({ limit: 100 }), await b.list({ limit: 100 }));
  const first = (await ids(a))[0];
  assertEquals(await wavOf(a, first), await wavOf(b, first));
  const bigger = new Set(await ids(c));
  assert((await ids(a)).every((id) => bigger.has(id)));
  assert((await ids(other)).some((id) => !bigger.has(id)), "another seed, other calls");
});

Deno.test("SyntheticCatalog recordings sound different: each opens with its own chime, then voices", async () => {
  const catalog = new SyntheticCatalog({ count: 12, seed: 1, now: NOW });
  const notes = [196, 220, 247, 262, 294, 330, 349, 392, 440, 494, 523, 587, 659, 698, 784];
  const signatures = new Set<string>();
  for (const r of (await catalog.list({ limit: 100 })).recordings) {
    const wav = await wavOf(catalog, r.id);
    // The loudest note of each 400 ms chime slot.
    const chime = [0, 1, 2].map((slot) => {
      const slice = pcm(wav, slot * 3200 + 200, slot * 3200 + 3000);
      return notes.reduce((best, f) => power(slice, f) > power(slice, best) ? f : best);
    });
    const speech = pcm(wav, 3 * 3200, 3 * 3200 + 8000 * 5);
    const rms = Math.sqrt(speech.reduce((sum, x) => sum + x * x, 0) / speech.length);
    assert(rms > 1000, `${r.id}: the conversation is audible (rms ${rms.toFixed(0)})`);
    signatures.add(`${chime.join(",")}|${Math.round(rms / 200)}`);
  }
  assert(signatures.size >= 11, `12 recordings, ${signatures.size} distinct sounds`);
});

Deno.test("SyntheticAudio.bytes of any range equals the same slice of the whole file", () => {
  const audio = new SyntheticAudio(
    { seed: 7, chime: [220, 330, 440], pitches: [110, 190] },
    24_000,
  );
  const whole = audio.bytes(0, audio.size);
  assertEquals(whole.length, 44 + 48_000);
  const random = seededRandom(5);
  const ranges = [[0, 1], [0, 44], [43, 46], [44, 45], [45, 46], [47, 1001], [
    audio.size - 1,
    audio.size,
  ]];
  for (let i = 0; i < 50; i++) {
    const a = Math.floor(random() * audio.size);
    ranges.push([a, a + 1 + Math.floor(random() * Math.min(9000, audio.size - a))]);
  }
  for (const [start, end] of ranges) {
    assertEquals(audio.bytes(start, end), whole.subarray(start, end), `${start}-${end}`);
  }
});

Deno.test("SyntheticCatalog.open streams exactly the range asked for", async () => {
  const catalog = new SyntheticCatalog({ count: 2, seed: 4, now: NOW });
  const [r] = (await catalog.list({ limit: 1 })).recordings;
  const whole = await wavOf(catalog, r.id);
  for (const [start, end] of [[0, 0], [0, 43], [1, 70_000], [r.size - 10, r.size - 1]]) {
    const opened = (await catalog.open(r.id))!;
    assertEquals(await readAll(opened.stream(start, end)), whole.subarray(start, end + 1));
  }
  assertEquals(await catalog.open("nope"), undefined);
  assertEquals(
    catalog.playbackPath(r, "/var/spool/asterisk/monitor/"),
    `/var/spool/asterisk/monitor/${r.id}`,
  );
});
