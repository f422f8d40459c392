import { assertEquals, assertRejects } from "../_support/assert.ts";
import { HttpListenError, serveHttp } from "../../src/http/serve.ts";
import { headSize } from "../../src/http/head_size.ts";

Deno.test("serveHttp serves on a free port and tells the handler who is calling", async () => {
  const server = await serveHttp(
    (request, client) =>
      Response.json({ path: new URL(request.url).pathname, from: client.remoteAddr }),
    { hostname: "127.0.0.1", port: 0 },
  );
  try {
    assertEquals(server.url, `http://127.0.0.1:${server.port}`);
    assertEquals(await (await fetch(`${server.url}/x`)).json(), { path: "/x", from: "127.0.0.1" });
  } finally {
    await server.close();
  }
});

Deno.test("serveHttp close() cuts a stream the client stopped reading, after the grace period", async () => {
  // An endless body: only close() can end this answer.
  const server = await serveHttp(
    () =>
      new Response(
        new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(64 * 1024)) }, {
          highWaterMark: 0,
        }),
      ),
    { hostname: "127.0.0.1", port: 0 },
  );
  const response = await fetch(server.url);
  const reader = response.body!.getReader();
  await reader.read(); // streaming; then the client stalls
  const started = performance.now();
  await server.close({ graceMs: 200 });
  const took = performance.now() - started;
  assertEquals(took >= 150 && took < 5_000, true, `closed after ${took.toFixed(0)} ms`);
  await reader.cancel().catch(() => {});
});

Deno.test("serveHttp close() is immediate when nothing is in flight", async () => {
  const server = await serveHttp(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 });
  await (await fetch(server.url)).text();
  const started = performance.now();
  await server.close({ graceMs: 10_000 });
  assertEquals(performance.now() - started < 5_000, true);
});

Deno.test("serveHttp explains a port in use with HttpListenError", async () => {
  const first = await serveHttp(() => new Response("ok"), { hostname: "127.0.0.1", port: 0 });
  try {
    await assertRejects(
      () => serveHttp(() => new Response("no"), { hostname: "127.0.0.1", port: first.port }),
      HttpListenError,
      "the port is in use",
    );
  } finally {
    await first.close();
  }
});

Deno.test("headSize counts the request line and every header line", () => {
  const request = new Request("http://h/p?q=1", { headers: { a: "bc", de: "f" } });
  // "GET http://h/p?q=1 HTTP/1.1\r\n" + "a: bc\r\n" + "de: f\r\n" + "\r\n", the URL standing for Host.
  assertEquals(headSize(request), 3 + 14 + 13 + (1 + 2 + 4) + (2 + 1 + 4));
});
