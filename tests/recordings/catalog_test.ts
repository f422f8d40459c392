import { assertEquals, assertThrows } from "../_support/assert.ts";
import { newestFirst, type Recording, selectPage } from "../../src/recordings/catalog.ts";
import { InvalidCursorError } from "../../src/recordings/errors.ts";

function recording(id: string, startedAt: number, fields: Partial<Recording> = {}): Recording {
  return {
    id,
    file: id,
    src: "201",
    dst: "202",
    callerId: { name: "Alice Moreno", number: "201" },
    direction: "internal",
    startedAt,
    durationMs: 1000,
    size: 8044,
    format: "wav",
    contentType: "audio/wav",
    codec: "pcm_s16le",
    sampleRate: 8000,
    channels: 1,
    lastModified: startedAt + 1000,
    etag: `"${id}"`,
    ...fields,
  };
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20);
const ALL = [
  recording("a", T0 + 5 * DAY, { src: "05551234567", dst: "205", direction: "inbound" }),
  recording("b", T0 + 4 * DAY, {
    src: "205",
    dst: "05559876543",
    direction: "outbound",
    callerId: { name: "Dana Okafor", number: "205" },
  }),
  recording("c1", T0 + 3 * DAY),
  recording("c2", T0 + 3 * DAY), // same second as c1: ordered by id
  recording("d", T0 + 2 * DAY, { callerId: { name: "Nordwind GmbH", number: "0555000111" } }),
  recording("e", T0 + 1 * DAY),
].sort(newestFirst);

const ids = (query: Parameters<typeof selectPage>[1]) =>
  selectPage(ALL, query).recordings.map((r) => r.id);

Deno.test("selectPage filters by time, extension, text and direction, newest first", () => {
  assertEquals(ids({}), ["a", "b", "c1", "c2", "d", "e"]);
  assertEquals(ids({ from: T0 + 3 * DAY }), ["a", "b", "c1", "c2"]);
  assertEquals(ids({ to: T0 + 3 * DAY }), ["d", "e"], "to is exclusive");
  assertEquals(ids({ from: T0 + 2 * DAY, to: T0 + 4 * DAY }), ["c1", "c2", "d"]);
  assertEquals(ids({ extension: "205" }), ["a", "b"]);
  assertEquals(ids({ extension: "0555000111" }), ["d"], "the caller id number counts");
  assertEquals(ids({ text: "NORDWIND" }), ["d"]);
  assertEquals(ids({ text: "okafor" }), ["b"]);
  assertEquals(ids({ text: "9876" }), ["b"]);
  assertEquals(ids({ direction: "inbound" }), ["a"]);
  assertEquals(ids({ extension: "999" }), []);
});

Deno.test("selectPage pages by cursor: every recording once, in order, the last page without a cursor", () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = selectPage(ALL, { limit: 4 - (pages % 2) * 2, cursor }); // pages of 4 and 2
    seen.push(...page.recordings.map((r) => r.id));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  assertEquals(seen, ["a", "b", "c1", "c2", "d", "e"]);
  assertEquals(pages, 2);
  assertEquals(
    selectPage(ALL, { limit: 6 }).nextCursor,
    undefined,
    "no cursor when nothing follows",
  );
  // A cursor keeps its place when the recording it names is gone and new ones arrive.
  const first = selectPage(ALL, { limit: 3 });
  const changed = [recording("new", T0 + 9 * DAY), ...ALL.filter((r) => r.id !== "c1")];
  assertEquals(selectPage(changed, { cursor: first.nextCursor }).recordings.map((r) => r.id), [
    "c2",
    "d",
    "e",
  ]);
});

Deno.test("selectPage clamps the limit and refuses a cursor it did not make", () => {
  assertEquals(selectPage(ALL, { limit: 0 }).recordings.length, 1);
  assertEquals(selectPage(ALL, { limit: 5000 }).recordings.length, 6);
  assertThrows(() => selectPage(ALL, { cursor: "bogus" }), InvalidCursorError, "not a cursor");
  assertThrows(() => selectPage(ALL, { cursor: btoa("[1]") }), InvalidCursorError);
});
