import { assert, assertEquals, assertRejects } from "../_support/assert.ts";
import { eventually } from "../_support/wait.ts";
import { createRecordingsApp, type RecordingJson } from "../../src/recordings/app.ts";
import { DirectoryCatalog, type DirectoryOptions } from "../../src/recordings/directory.ts";
import { RecordingsDirectoryError } from "../../src/recordings/errors.ts";
import { wavHeader } from "../../src/recordings/wav.ts";

/** 8 kHz mono 16-bit PCM: 16,000 bytes a second. */
function wav(durationMs: number): Uint8Array {
  const dataSize = durationMs * 16;
  const file = new Uint8Array(44 + dataSize);
  file.set(wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataSize }));
  for (let i = 44; i < file.length; i++) file[i] = i % 251;
  return file;
}

/** Raw GSM 06.10: 33-byte frames of 20 ms, each starting with the signature 0xD. */
const gsm = (frames: number) => new Uint8Array(33 * frames).fill(0xD8);

/** `count` frames of CBR MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, padded as an encoder does. */
function mp3(count: number): Uint8Array {
  const perFrame = 144 * 128000 / 44100;
  const frames: number[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor((i + 1) * perFrame) - Math.floor(i * perFrame);
    const padding = length > Math.floor(perFrame) ? 1 : 0;
    frames.push(0xFF, 0xFB, 0x90 | padding << 1, 0x00, ...new Array(length - 4).fill(0));
  }
  return new Uint8Array(frames);
}

async function write(dir: string, relative: string, bytes: Uint8Array): Promise<string> {
  const path = `${dir}/${relative}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, bytes);
  return path;
}

const local = (y: number, mo: number, d: number, h: number, mi: number) =>
  new Date(y, mo - 1, d, h, mi).getTime();

const OUT = "out-5550142-201-20261124-101500-1763979300.17";

/** A temp directory, removed when disposed (`await using`). */
async function tempDir(prefix = "astrix-recordings-") {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** A catalog of `dir` and an app over it; the catalog closes when disposed. */
async function openCatalog(dir: string, options: DirectoryOptions = { rescanMs: 10 }) {
  const catalog = await DirectoryCatalog.open(dir, options);
  return {
    catalog,
    app: createRecordingsApp({ catalog }),
    [Symbol.dispose]: () => catalog.close(),
  };
}

/** A monitor spool in year/month/day folders, with files the catalog must skip. */
async function spool() {
  const temp = await tempDir();
  const dir = temp.path;
  await write(dir, "2026/11/24/20261124-093000-201-5550142-1763976600.5.wav", wav(2000));
  await write(dir, `2026/11/24/${OUT}.wav`, wav(3000));
  await write(dir, "2026/11/24/in-201-5550199-20261124-111500-1763982900.20.wav", wav(500));
  await write(dir, "2026/11/25/exten-202-201-20261125-080000-1764054000.3.gsm", gsm(50));
  await write(dir, "2026/11/23/OUT201-20261123-101500-1763893000.1.gsm", gsm(10));
  await write(dir, "2026/11/25/20261125-120000-5550100-202-1764068400.9.mp3", mp3(100));
  const greeting = await write(dir, "2026/misc/greeting.wav", wav(1000));
  await Deno.utime(greeting, 0, new Date(Date.UTC(2020, 0, 1, 12)));
  await write(dir, "2026/11/24/broken.wav", new TextEncoder().encode("not a wav file at all"));
  await write(dir, "2026/11/24/.20261124-120000-201-202-1.1.wav", wav(100));
  await write(dir, ".trash/20261124-130000-201-202-2.2.wav", wav(100));
  await write(dir, "2026/11/24/notes.txt", new TextEncoder().encode("call notes"));
  await write(dir, "2026/11/24/20261124-140000-201-202-3.3.ogg", new Uint8Array(100));
  return temp;
}

async function listIds(app: ReturnType<typeof createRecordingsApp>): Promise<string[]> {
  const response = await app.request("/recordings?limit=1000");
  assertEquals(response.status, 200);
  return (await response.json()).recordings.map((r: RecordingJson) => r.id);
}

async function status(app: ReturnType<typeof createRecordingsApp>, path: string) {
  const response = await app.request(path);
  await response.body?.cancel();
  return response.status;
}

/** Polls `check` until it holds. */
function until(check: () => Promise<boolean>, what: string): Promise<true> {
  return eventually(async () => (await check()) || undefined, what);
}

Deno.test("DirectoryCatalog reads Asterisk names and file headers, lists newest first", async () => {
  await using dir = await spool();
  using opened = await openCatalog(dir.path);
  const { app } = opened;
  const cases: Array<[id: string, expected: Partial<RecordingJson>]> = [
    ["20261124-093000-201-5550142-1763976600.5", {
      src: "201",
      dst: "5550142",
      direction: "outbound",
      startedAt: new Date(local(2026, 11, 24, 9, 30)).toISOString(),
      durationMs: 2000,
      size: 44 + 32000,
      contentType: "audio/wav",
      codec: "pcm_s16le",
    }],
    [OUT, {
      src: "201",
      dst: "5550142",
      direction: "outbound",
      startedAt: new Date(local(2026, 11, 24, 10, 15)).toISOString(),
      durationMs: 3000,
      size: 44 + 48000,
      contentType: "audio/wav",
    }],
    ["in-201-5550199-20261124-111500-1763982900.20", {
      src: "5550199",
      dst: "201",
      direction: "inbound",
      durationMs: 500,
      contentType: "audio/wav",
    }],
    ["exten-202-201-20261125-080000-1764054000.3", {
      src: "201",
      dst: "202",
      direction: "internal",
      startedAt: new Date(local(2026, 11, 25, 8, 0)).toISOString(),
      durationMs: 1000,
      size: 1650,
      contentType: "audio/x-gsm",
      codec: "gsm",
    }],
    ["OUT201-20261123-101500-1763893000.1", {
      src: "201",
      dst: null,
      direction: "outbound",
      durationMs: 200,
      contentType: "audio/x-gsm",
    }],
    ["20261125-120000-5550100-202-1764068400.9", {
      direction: "inbound",
      durationMs: Math.floor(41795 * 8 / 128),
      size: 41795,
      contentType: "audio/mpeg",
      codec: "mp3",
      sampleRate: 44100,
    }],
    ["greeting", {
      src: null,
      dst: null,
      direction: "unknown",
      startedAt: new Date(Date.UTC(2020, 0, 1, 12) - 1000).toISOString(),
      durationMs: 1000,
    }],
  ];
  for (const [id, expected] of cases) {
    const response = await app.request(`/recordings/${encodeURIComponent(id)}/metadata`);
    assertEquals(response.status, 200, id);
    const json = await response.json();
    assertEquals(Object.fromEntries(Object.keys(expected).map((k) => [k, json[k]])), expected, id);
  }
  // Dot-files, dot-folders, other extensions and the broken header are not listed.
  assertEquals(await listIds(app), [
    "20261125-120000-5550100-202-1764068400.9",
    "exten-202-201-20261125-080000-1764054000.3",
    "in-201-5550199-20261124-111500-1763982900.20",
    OUT,
    "20261124-093000-201-5550142-1763976600.5",
    "OUT201-20261123-101500-1763893000.1",
    "greeting",
  ]);
});

Deno.test("DirectoryCatalog reports an invalid header once per change of the file", async () => {
  await using dir = await spool();
  const skipped: string[] = [];
  using opened = await openCatalog(dir.path, {
    rescanMs: 10,
    onSkip: (path, reason) => skipped.push(`${path}: ${reason}`),
  });
  const { app } = opened;
  assertEquals(skipped, [
    `2026/11/24/broken.wav: Cannot read WAV header: file does not start with "RIFF....WAVE"`,
  ]);
  // Each new file shows up only after a rescan: two of them prove two rescans happened.
  for (const name of ["a-1", "a-2"]) {
    await write(dir.path, `2026/11/24/${name}.wav`, wav(100));
    await until(async () => (await listIds(app)).includes(name), `${name} listed`);
  }
  assertEquals(skipped.length, 1);
  await write(dir.path, "2026/11/24/broken.wav", new TextEncoder().encode("still not a wav"));
  await until(async () => (await listIds(app), skipped.length === 2), "second report");
  assertEquals(await status(app, "/recordings/broken/stream"), 404);
});

Deno.test("DirectoryCatalog picks up added files after the rescan interval and drops deleted ones", async () => {
  await using dir = await spool();
  using opened = await openCatalog(dir.path, { rescanMs: 50 });
  using stale = await openCatalog(dir.path, { rescanMs: 60_000 });
  const { app } = opened;
  const added = "20261126-090000-203-204-1764147600.1";
  // A name without a date is dated by its mtime: pin it, so the order holds on any day.
  const late = await write(dir.path, "2026/11/24/late-call.wav", wav(100));
  await Deno.utime(late, 0, new Date(local(2026, 11, 24, 18, 0)));
  await write(dir.path, `2026/11/26/${added}.wav`, wav(1500));
  await until(async () => {
    const ids = await listIds(app);
    return ids.includes("late-call") && ids[0] === added;
  }, "both new files listed, the new day first");
  const fresh = (await listIds(app)).filter((id) => id !== added && id !== "late-call");
  assertEquals(await listIds(stale.app), fresh, "listed from the last scan");
  const response = await app.request(`/recordings/${added}/stream`);
  assertEquals(response.headers.get("Content-Length"), String(44 + 24000));
  assertEquals(new Uint8Array(await response.arrayBuffer()), wav(1500));

  await Deno.remove(`${dir.path}/2026/11/24/${OUT}.wav`);
  assertEquals(await status(app, `/recordings/${OUT}/stream`), 404);
  await until(async () => !(await listIds(app)).includes(OUT), "deleted file unlisted");
  assertEquals(await status(app, `/recordings/${OUT}/metadata`), 404);
});

Deno.test("DirectoryCatalog serves a file still being written at its current size", async () => {
  await using dir = await tempDir();
  const id = "20261124-150000-201-202-1763996400.4";
  const path = `${dir.path}/${id}.wav`;
  const first = wav(500);
  // Asterisk writes the sizes when the call ends: 0 until then.
  new DataView(first.buffer).setUint32(4, 0, true);
  new DataView(first.buffer).setUint32(40, 0, true);
  await Deno.writeFile(path, first);
  using opened = await openCatalog(dir.path);
  const { app } = opened;
  const before = await app.request(`/recordings/${id}/stream`);
  assertEquals(before.status, 200);
  assertEquals(before.headers.get("Content-Length"), String(first.length));
  assertEquals((await before.arrayBuffer()).byteLength, first.length);
  await Deno.writeFile(path, new Uint8Array(16_000).fill(7), { append: true });
  const after = await app.request(`/recordings/${id}/stream`);
  assertEquals(after.headers.get("Content-Length"), String(first.length + 16_000));
  assertEquals((await after.arrayBuffer()).byteLength, first.length + 16_000);
  assert(after.headers.get("ETag") !== before.headers.get("ETag"), "the ETag changed");
  const metadata = await (await app.request(`/recordings/${id}/metadata`)).json();
  assertEquals([metadata.size, metadata.durationMs], [first.length + 16_000, 1500]);
});

Deno.test("DirectoryCatalog keeps one recording, the wav, for one base name in two formats", async () => {
  await using dir = await tempDir();
  await write(dir.path, "x.gsm", gsm(50));
  await write(dir.path, "x.wav", wav(700));
  using opened = await openCatalog(dir.path);
  const { recordings } = await opened.catalog.list({});
  assertEquals(recordings.map((r) => [r.id, r.format, r.durationMs]), [["x", "wav", 700]]);
  const response = await opened.app.request("/recordings/x/stream");
  assertEquals(response.headers.get("Content-Type"), "audio/wav");
  assertEquals(new Uint8Array(await response.arrayBuffer()), wav(700));
});

Deno.test("createRecordingsApp answers 404 to path traversal and symlinks leaving the directory", async () => {
  await using dir = await spool();
  await using outside = await tempDir("astrix-outside-");
  await write(outside.path, "secret.wav", wav(100));
  await write(outside.path, "nested.wav", wav(100));
  const inside = `${dir.path}/2026/11/24/${OUT}.wav`;
  await Deno.symlink(`${outside.path}/secret.wav`, `${dir.path}/escape.wav`);
  await Deno.symlink(inside, `${dir.path}/2026/linked.wav`);
  await Deno.symlink(outside.path, `${dir.path}/2026/elsewhere`);
  using opened = await openCatalog(dir.path);
  const { app } = opened;
  for (
    const path of [
      "/recordings/..%2F..%2Fetc%2Fpasswd/stream",
      "/recordings/%2e%2e/stream",
      "/recordings/..%252F/stream",
      "/recordings/%2Fetc%2Fpasswd/stream",
      `/recordings/${encodeURIComponent(`${outside.path}/secret`)}/stream`,
      "/recordings/2026/stream",
      "/recordings/24/metadata",
      `/recordings/${OUT}.wav/stream`,
      "/recordings/escape/stream",
      "/recordings/escape/metadata",
      "/recordings/secret/stream",
      "/recordings/nested/stream",
    ]
  ) assertEquals(await status(app, path), 404, path);
  const ids = await listIds(app);
  assert(!ids.includes("escape") && !ids.includes("nested") && ids.includes("linked"), `${ids}`);
  const linked = await app.request("/recordings/linked/stream");
  assertEquals(linked.status, 200);
  assertEquals(new Uint8Array(await linked.arrayBuffer()), await Deno.readFile(inside));
});

Deno.test("DirectoryCatalog.open refuses a file or folder replaced by a symlink after the scan", async () => {
  await using dir = await spool();
  await using outside = await tempDir("astrix-outside-");
  await write(outside.path, "secret.wav", wav(3000));
  // No rescan during the test: the catalog still lists what it scanned.
  using opened = await openCatalog(dir.path, { rescanMs: 60_000 });
  const { app, catalog } = opened;
  const path = `${dir.path}/2026/11/24/${OUT}.wav`;
  assertEquals(await status(app, `/recordings/${OUT}/stream`), 200);
  await Deno.remove(path);
  await Deno.symlink(`${outside.path}/secret.wav`, path);
  assertEquals(await status(app, `/recordings/${OUT}/stream`), 404);
  assertEquals(await catalog.open(OUT), undefined);
  // A folder swapped for a symlink to an outside folder holding the same name.
  const old = "OUT201-20261123-101500-1763893000.1";
  assertEquals(await status(app, `/recordings/${old}/stream`), 200);
  await Deno.rename(`${dir.path}/2026/11/23`, `${outside.path}/23`);
  await Deno.symlink(`${outside.path}/23`, `${dir.path}/2026/11/23`);
  assertEquals(await status(app, `/recordings/${old}/stream`), 404);
});

Deno.test("DirectoryCatalog.playbackPath gives the spool path with subfolders, without extension", async () => {
  await using dir = await spool();
  using opened = await openCatalog(dir.path);
  const cases: Array<[id: string, spoolDir: string, expected: string]> = [
    [OUT, "/var/spool/asterisk/monitor", `/var/spool/asterisk/monitor/2026/11/24/${OUT}`],
    [OUT, "/var/spool/asterisk/monitor/", `/var/spool/asterisk/monitor/2026/11/24/${OUT}`],
    [
      "OUT201-20261123-101500-1763893000.1",
      "/mnt/monitor",
      "/mnt/monitor/2026/11/23/OUT201-20261123-101500-1763893000.1",
    ],
    ["greeting", "/var/spool/asterisk/monitor", "/var/spool/asterisk/monitor/2026/misc/greeting"],
  ];
  for (const [id, spoolDir, expected] of cases) {
    const recording = await opened.catalog.get(id);
    assert(recording, id);
    assertEquals(opened.catalog.playbackPath(recording, spoolDir), expected);
  }
});

Deno.test("DirectoryCatalog.open rejects a missing path or a regular file", async () => {
  await using dir = await tempDir();
  await Deno.writeFile(`${dir.path}/file.wav`, wav(100));
  for (const path of [`${dir.path}/missing`, `${dir.path}/file.wav`]) {
    const error = await assertRejects(
      () => DirectoryCatalog.open(path),
      RecordingsDirectoryError,
      `"${path}"`,
    );
    assert(error.message.includes("--dir"), error.message);
  }
});
