/**
 * The ceiling server of bench/sse_load.ts, run as its own process: a bare SSE
 * broadcaster on `Deno.serve` that does nothing else (no auth, no audit, no
 * AMI, no filters, no ring).
 *
 * - `GET /events`: a `text/event-stream` that starts with `retry: 3000` and
 *   then gets every broadcast event.
 * - `POST /go?from=S&n=N&batch=B`: answers 202 at once, then writes events
 *   S to S + N - 1 to every subscriber, B per tick: each batch is encoded
 *   once and enqueued once per subscriber (one chunk each), then the server
 *   yields to the event loop (a macrotask, so that the writes go out) and
 *   goes on as soon as no subscriber has more than 64 KiB queued. An event
 *   is the frame the proxy sends for the same UserEvent, byte for byte but
 *   the id: `id:`, `event: ami`, and `data:` with `"Seq":"<n>"`.
 *
 *   deno run -A bench/sse_bare_server.ts
 *
 * Prints `listening <port>` once ready, then serves until killed.
 */

const encoder = new TextEncoder();
const RETRY = encoder.encode("retry: 3000\n\n");
/** Bytes a subscriber may have queued before the broadcast waits for it. */
const HIGH_WATER_MARK = 64 * 1024;

const subscribers = new Set<ReadableStreamDefaultController<Uint8Array>>();
/** Like the proxy's hub: ids start at the time in microseconds. */
let nextId = Date.now() * 1000;

/** The proxy's frame for the UserEvent with this Seq (and a same-length ActionID). */
function frame(seq: number): string {
  return `id: ${nextId++}\nevent: ami\ndata: {"event":"UserEvent","Event":"UserEvent",` +
    `"Privilege":"user,all","UserEvent":"bench","ActionID":"b${seq}","Seq":"${seq}"}\n\n`;
}

/** Resolves after one turn of the event loop (unlike `setTimeout(0)`, not clamped to 1-4 ms). */
function macrotask(port: { tick: MessagePort; tock: MessagePort }): Promise<void> {
  return new Promise((resolve) => {
    port.tock.onmessage = () => resolve();
    port.tick.postMessage(0);
  });
}

function backlogged(): boolean {
  for (const controller of subscribers) if ((controller.desiredSize ?? 1) <= 0) return true;
  return false;
}

async function broadcast(from: number, n: number, batch: number): Promise<void> {
  const channel = new MessageChannel();
  const port = { tick: channel.port1, tock: channel.port2 };
  try {
    for (let seq = from; seq < from + n;) {
      let text = "";
      for (const end = Math.min(seq + batch, from + n); seq < end; seq++) text += frame(seq);
      const bytes = encoder.encode(text);
      for (const controller of subscribers) controller.enqueue(bytes);
      do await macrotask(port); while (backlogged());
    }
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}

function subscribe(): Response {
  let self: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      self = controller;
      controller.enqueue(RETRY);
      subscribers.add(controller);
    },
    cancel() {
      subscribers.delete(self);
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_MARK }));
  return new Response(body, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
}

function handle(request: Request): Response {
  const url = new URL(request.url);
  if (request.method === "GET" && url.pathname === "/events") return subscribe();
  if (request.method === "POST" && url.pathname === "/go") {
    const [from, n, batch] = ["from", "n", "batch"].map((name) =>
      Number(url.searchParams.get(name))
    );
    if (!(Number.isSafeInteger(from) && n > 0 && batch > 0)) {
      return new Response("Give from, n and batch as integers\n", { status: 400 });
    }
    broadcast(from, n, batch).catch((error) => console.error("broadcast failed:", error));
    return new Response(null, { status: 202 });
  }
  return new Response("Not found\n", { status: 404 });
}

if (import.meta.main) {
  Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(`listening ${port}`),
  }, handle);
}
