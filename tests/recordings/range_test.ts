import { assertEquals } from "../_support/assert.ts";
import {
  ifRangeHolds,
  noneMatch,
  notModifiedSince,
  parseRange,
  type RangeAnswer,
} from "../../src/recordings/range.ts";

const full: RangeAnswer = { kind: "full" };
const unsatisfiable: RangeAnswer = { kind: "unsatisfiable" };
const partial = (start: number, end: number): RangeAnswer => ({ kind: "partial", start, end });

Deno.test("parseRange reads every single-range form against a 1000-byte file", () => {
  const cases: [string | null, RangeAnswer][] = [
    [null, full],
    ["bytes=0-99", partial(0, 99)],
    ["bytes=100-", partial(100, 999)],
    ["bytes=-100", partial(900, 999)],
    ["bytes=-5000", partial(0, 999)], // more than the file: all of it, still 206
    ["bytes=990-5000", partial(990, 999)], // end clamped
    ["bytes=999-999", partial(999, 999)],
    ["Bytes = 5 - 9 ", partial(5, 9)],
    ["bytes=1000-", unsatisfiable],
    ["bytes=1000-2000", unsatisfiable],
    ["bytes=-0", unsatisfiable],
    ["bytes=9-5", full], // invalid: ignored
    ["bytes=0-1,5-6", full], // several ranges: ignored, whole file
    ["items=0-5", full],
    ["bytes=", full],
    ["bytes=-", full],
    ["bytes=a-b", full],
    ["bytes=1.5-2", full],
  ];
  for (const [header, expected] of cases) {
    assertEquals(parseRange(header, 1000), expected, String(header));
  }
});

Deno.test("parseRange on an empty file: every range is unsatisfiable", () => {
  assertEquals(parseRange("bytes=0-", 0), unsatisfiable);
  assertEquals(parseRange("bytes=-10", 0), unsatisfiable);
  assertEquals(parseRange(null, 0), full);
});

Deno.test("noneMatch compares weakly and accepts lists and *", () => {
  const etag = '"abc-1"';
  assertEquals(noneMatch(null, etag), false);
  assertEquals(noneMatch('"abc-1"', etag), true);
  assertEquals(noneMatch('W/"abc-1"', etag), true);
  assertEquals(noneMatch('"x", "abc-1"', etag), true);
  assertEquals(noneMatch("*", etag), true);
  assertEquals(noneMatch('"abc-2"', etag), false);
});

Deno.test("ifRangeHolds needs a strong ETag match or the exact Last-Modified second", () => {
  const modified = Date.UTC(2026, 10, 24, 10, 15, 0, 400);
  assertEquals(ifRangeHolds(null, '"e"', modified), true);
  assertEquals(ifRangeHolds('"e"', '"e"', modified), true);
  assertEquals(ifRangeHolds('"f"', '"e"', modified), false);
  assertEquals(ifRangeHolds('W/"e"', '"e"', modified), false);
  assertEquals(ifRangeHolds(new Date(modified).toUTCString(), '"e"', modified), true);
  assertEquals(ifRangeHolds(new Date(modified - 1000).toUTCString(), '"e"', modified), false);
  assertEquals(ifRangeHolds("not a date", '"e"', modified), false);
});

Deno.test("notModifiedSince compares at one-second precision", () => {
  const modified = Date.UTC(2026, 10, 24, 10, 15, 0, 400);
  assertEquals(notModifiedSince(new Date(modified).toUTCString(), modified), true);
  assertEquals(notModifiedSince(new Date(modified + 5000).toUTCString(), modified), true);
  assertEquals(notModifiedSince(new Date(modified - 1000).toUTCString(), modified), false);
  assertEquals(notModifiedSince(null, modified), false);
  assertEquals(notModifiedSince("garbage", modified), false);
});
