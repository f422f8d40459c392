/**
 * The recordings API over real HTTP on 127.0.0.1 (serveHttp), as a player
 * uses it: ranges, HEAD, conditional requests.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { serveHttp } from "../../src/http/serve.ts";
import { createRecordingsApp } from "../../src/recordings/app.ts";
import { SyntheticCatalog } from "../../src/recordings/synthetic.ts";

const NOW = Date.UTC(2026, 10, 25, 10, 30);

async function withServer(fn: (base: string, catalog: SyntheticCatalog) => Promise<void>) {
  const catalog = new SyntheticCatalog({ count: 8, seed: 2, now: NOW });
  const errors: unknown[] = [];
  const app = createRecordingsApp({ catalog, now: () => NOW, onError: (e) => errors.push(e) });
  const server = await serveHttp(app.fetch, { hostname: "127.0.0.1", port: 0 });
  try {
    await fn(server.url, catalog);
  } finally {
    await server.close();
  }
  assertEquals(errors, []);
}

async function bytes(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

Deno.test("GET /recordings/:id/stream answers every Range form with the right slice", async () => {
  await withServer(async (base) => {
    const { recordings } = await (await fetch(`${base}/recordings?limit=1`)).json();
    const url = `${base}${recordings[0].streamUrl}`;
    const whole = await fetch(url);
    assertEquals(whole.status, 200);
    assertEquals(whole.headers.get("accept-ranges"), "bytes");
    assertEquals(whole.headers.get("content-type"), "audio/wav");
    const file = await bytes(whole);
    const size = file.length;
    assertEquals(Number(whole.headers.get("content-length")), size);
    assertEquals(size, recordings[0].size);

    const cases: [string, number, number][] = [
      ["bytes=0-0", 0, 0],
      ["bytes=0-43", 0, 43],
      ["bytes=1000-1999", 1000, 1999],
      [`bytes=${size - 100}-`, size - 100, size - 1],
      ["bytes=-256", size - 256, size - 1],
      [`bytes=10-${size + 5000}`, 10, size - 1],
      ["bytes=-99999999", 0, size - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await fetch(url, { headers: { Range: range } });
      assertEquals(response.status, 206, range);
      assertEquals(response.headers.get("content-range"), `bytes ${start}-${end}/${size}`, range);
      assertEquals(Number(response.headers.get("content-length")), end - start + 1, range);
      assertEquals(await bytes(response), file.subarray(start, end + 1), range);
    }

    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, "bytes=-0"]) {
      const response = await fetch(url, { headers: { Range: range } });
      assertEquals(response.status, 416, range);
      assertEquals(response.headers.get("content-range"), `bytes */${size}`);
      await response.body?.cancel();
    }
    for (const range of ["bytes=0-1,4-5", "bytes=9-3", "lines=1-2"]) {
      const response = await fetch(url, { headers: { Range: range } });
      assertEquals(response.status, 200, `${range} is ignored`);
      assertEquals((await bytes(response)).length, size);
    }
  });
});

Deno.test("HEAD, ETag/If-None-Match, If-Modified-Since and If-Range behave as players expect", async () => {
  await withServer(async (base) => {
    const { recordings } = await (await fetch(`${base}/recordings?limit=1`)).json();
    const url = `${base}${recordings[0].streamUrl}`;
    const head = await fetch(url, { method: "HEAD" });
    assertEquals(head.status, 200);
    assertEquals(Number(head.headers.get("content-length")), recordings[0].size);
    assertEquals((await bytes(head)).length, 0);
    const etag = head.headers.get("etag")!;
    const lastModified = head.headers.get("last-modified")!;
    assertMatch(etag, /^"[^"]+"$/);
    assert(!Number.isNaN(Date.parse(lastModified)));

    const headRange = await fetch(url, { method: "HEAD", headers: { Range: "bytes=0-9" } });
    assertEquals([headRange.status, headRange.headers.get("content-length")], [206, "10"]);
    await headRange.body?.cancel();

    const conditions: Record<string, string>[] = [
      { "If-None-Match": etag },
      { "If-None-Match": `"x", W/${etag}` },
      { "If-Modified-Since": lastModified },
    ];
    for (const headers of conditions) {
      const response = await fetch(url, { headers });
      assertEquals(response.status, 304, JSON.stringify(headers));
      assertEquals(response.headers.get("etag"), etag);
      assertEquals((await bytes(response)).length, 0);
    }
    const changed = await fetch(url, { headers: { "If-None-Match": '"other"' } });
    assertEquals(changed.status, 200);
    await changed.body?.cancel();

    const resumed = await fetch(url, { headers: { Range: "bytes=100-199", "If-Range": etag } });
    assertEquals(resumed.status, 206);
    await resumed.body?.cancel();
    const stale = await fetch(url, { headers: { Range: "bytes=100-199", "If-Range": '"old"' } });
    assertEquals(stale.status, 200, "a changed file is sent whole");
    assertEquals((await bytes(stale)).length, recordings[0].size);
  });
});

Deno.test("GET /recordings pages, filters and explains bad parameters", async () => {
  await withServer(async (base, catalog) => {
    const all = (await catalog.list({ limit: 100 })).recordings;
    const seen: string[] = [];
    let url = `${base}/recordings?limit=3`;
    for (;;) {
      const page = await (await fetch(url)).json();
      seen.push(...page.recordings.map((r: { id: string }) => r.id));
      if (!page.nextCursor) break;
      url = `${base}/recordings?limit=3&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    assertEquals(seen, all.map((r) => r.id));

    const ext = all[0].dst!;
    const byExt = await (await fetch(`${base}/recordings?extension=${ext}`)).json();
    assert(byExt.recordings.length > 0);
    for (const r of byExt.recordings) assert([r.src, r.dst, r.callerId?.number].includes(ext));
    const recent = await (await fetch(`${base}/recordings?from=24h`)).json();
    for (const r of recent.recordings) assert(Date.parse(r.startedAt) >= NOW - 86_400_000);
    const first = await (await fetch(`${base}/recordings?limit=1`)).json();
    assertEquals(Object.keys(first.recordings[0]), [
      "id",
      "file",
      "startedAt",
      "durationMs",
      "src",
      "dst",
      "callerId",
      "direction",
      "format",
      "contentType",
      "codec",
      "sampleRate",
      "channels",
      "size",
      "streamUrl",
    ]);

    for (
      const [query, message] of [
        ["limit=0", /limit="0" must be a whole number from 1 to 1000/],
        ["limit=ten", /limit="ten"/],
        ["from=last+tuesday", /from="last tuesday" is not a time/],
        ["direction=sideways", /direction="sideways" must be one of/],
        ["cursor=zzz", /is not a cursor from this server/],
      ] as const
    ) {
      const response = await fetch(`${base}/recordings?${query}`);
      assertEquals(response.status, 400, query);
      assertMatch((await response.json()).error, message);
    }
  });
});

Deno.test("metadata, unknown ids and unknown paths are JSON; nothing else is served", async () => {
  await withServer(async (base, catalog) => {
    const [r] = (await catalog.list({ limit: 1 })).recordings;
    const meta = await (await fetch(`${base}/recordings/${encodeURIComponent(r.id)}/metadata`))
      .json();
    assertEquals([meta.id, meta.durationMs, meta.size], [r.id, r.durationMs, r.size]);
    for (
      const path of [
        "/recordings/nope/metadata",
        "/recordings/nope/stream",
        "/recordings/..%2F..%2Fetc%2Fpasswd/stream",
        "/recordings/%2e%2e/stream",
        "/etc/passwd",
        "/",
      ]
    ) {
      const response = await fetch(`${base}${path}`);
      assertEquals(response.status, 404, path);
      assertEquals((await response.json()).error, "No such recording or endpoint");
    }
  });
});
