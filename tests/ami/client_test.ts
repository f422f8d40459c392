import { assert, assertEquals, assertRejects } from "../_support/assert.ts";
import { AmiClient, type AmiClientOptions, type AmiStateChange } from "../../src/ami/client.ts";
import {
  AmiAuthError,
  AmiConnectionError,
  AmiDisconnectedError,
  AmiInjectionError,
  AmiOutcomeUnknownError,
  AmiProtocolError,
  AmiTimeoutError,
} from "../../src/ami/errors.ts";
import { isEventGap } from "../../src/ami/event_stream.ts";
import type { AmiMessage } from "../../src/ami/message.ts";
import { AmiServer, type AmiServerSession } from "../../src/ami/server.ts";
import { defaultTransport, type Transport } from "../../src/ami/transport.ts";
import { denoTransport } from "../../src/ami/transport_deno.ts";
import { nodeTransport } from "../../src/ami/transport_node.ts";
import { ManualClock } from "../../src/pbx/clock.ts";
import { OPS, opsClient, startServer, type TestServer } from "../_support/ami_server.ts";
import { countingTransport, startFloodServer } from "../_support/flood_server.ts";
import { seededRandom } from "../_support/random.ts";
import { nextState, unusedPort, waitFor } from "../_support/wait.ts";

function client(port: number, options: Partial<AmiClientOptions> = {}): AmiClient {
  return opsClient(port, { reconnect: { initialMs: 5, maxMs: 50 }, ...options });
}

/** Runs `body` with a started server and a client, closing both whatever happens. */
async function withPair(
  serverSetup: (server: AmiServer) => void,
  clientOptions: Partial<AmiClientOptions>,
  body: (ami: AmiClient, test: TestServer) => Promise<void>,
): Promise<void> {
  const test = await startServer({ transport: clientOptions.transport }, serverSetup);
  const ami = client(test.port, clientOptions);
  try {
    await body(ami, test);
  } finally {
    await ami.close();
    await test.close();
  }
}

const noSetup = () => {};

for (const [name, transport] of [["Deno", denoTransport], ["node:net", nodeTransport]] as const) {
  Deno.test(`AmiClient logs in with a plain secret over ${name} sockets`, async () => {
    await withPair(noSetup, { transport }, async (ami) => {
      const states: string[] = [];
      ami.onState((change) => states.push(change.state));
      const events = ami.events();
      await ami.connect();
      assertEquals(states, ["connecting", "connected"]);
      assertEquals(ami.banner, "Asterisk Call Manager/11.0.0");
      assertEquals((await events.next()).value?.name, "FullyBooted");
      assertEquals((await events.next()).value?.get("AccountID"), "ops");
      const pong = await ami.send({ Action: "Ping" });
      assertEquals(pong.get("Ping"), "Pong");
    });
  });
}

Deno.test("AmiClient logs in with the MD5 challenge", async () => {
  const seen: AmiMessage[] = [];
  await withPair(noSetup, { authType: "md5" }, async (ami, { server }) => {
    server.handle("Whoami", {
      handle: (request, session) => {
        seen.push(request);
        session.reply(request, "Success", { fields: [["User", session.user!.username]] });
      },
    });
    await ami.connect();
    assertEquals((await ami.send({ Action: "Whoami" })).get("User"), "ops");
  });
  assertEquals(seen.length, 1);
});

for (const authType of ["plain", "md5"] as const) {
  Deno.test(`AmiClient rejects a refused ${authType} login with AmiAuthError and the server's message`, async () => {
    await withPair(noSetup, { authType, secret: "wrong" }, async (ami) => {
      const error = await assertRejects(ami.connect(), AmiAuthError, 'user "ops"');
      assertEquals(error.serverMessage, "Authentication failed");
      assert(!error.message.includes("wrong"), "the secret is not in the message");
      assertEquals(ami.state, "disconnected");
    });
  });
}

Deno.test("AmiClient with events off receives no login events", async () => {
  await withPair(noSetup, { events: "off" }, async (ami) => {
    const events = ami.events();
    await ami.connect();
    await ami.send({ Action: "Ping" }); // anything sent after login arrives before this answer
    assertEquals(events.pending, 0);
  });
});

Deno.test("AmiClient correlates 1,000 concurrent actions answered out of order", async () => {
  const held: [AmiMessage, AmiServerSession][] = [];
  const setup = (server: AmiServer) =>
    server.handle("Echo", {
      handle(request, session) {
        held.push([request, session]);
        if (held.length < 1000) return;
        // Every action is in: answer them all in a seeded random order.
        const random = seededRandom(7);
        for (let i = held.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [held[i], held[j]] = [held[j], held[i]];
        }
        for (const [req, s] of held) {
          s.reply(req, "Success", { fields: [["Echo", req.get("Value")!]] });
        }
      },
    });
  await withPair(setup, {}, async (ami) => {
    await ami.connect();
    const replies = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => ami.send({ Action: "Echo", Value: `v${i}` })),
    );
    assertEquals(
      replies.map((r) => r.get("Echo")),
      Array.from({ length: 1000 }, (_, i) => `v${i}`),
    );
    const order = held.map(([request]) => Number(request.get("Value")!.slice(1)));
    assert(order.some((n, i) => n !== i), "the server really answered out of order");
  });
});

Deno.test("AmiClient uses the injected ActionID generator and keeps a caller's own ActionID", async () => {
  const ids: (string | undefined)[] = [];
  let n = 0;
  const setup = (server: AmiServer) =>
    server.handle("Record", {
      handle: (request, session) => {
        ids.push(request.actionId);
        session.reply(request, "Success");
      },
    });
  await withPair(setup, { actionId: () => `test-${++n}` }, async (ami) => {
    await ami.connect();
    await ami.send({ Action: "Record" });
    await ami.send({ Action: "Record", ActionID: "mine" });
    await assertRejects(
      Promise.all([
        ami.send({ Action: "Record", ActionID: "dup" }),
        ami.send({ Action: "Record", ActionID: "dup" }),
      ]),
      Error,
      "already in flight",
    );
  });
  assertEquals(ids.slice(0, 2), [`test-2`, "mine"]); // test-1 was the Login
});

Deno.test("AmiClient default ActionIDs are unique and unpredictable", async () => {
  const ids = new Set<string>();
  const setup = (server: AmiServer) =>
    server.handle("Record", {
      handle: (request, session) => {
        ids.add(request.actionId!);
        session.reply(request, "Success");
      },
    });
  await withPair(setup, {}, async (ami) => {
    await ami.connect();
    await Promise.all(Array.from({ length: 200 }, () => ami.send({ Action: "Record" })));
  });
  assertEquals(ids.size, 200);
  // A serial, then 66 random bits: unique, and not guessable from the ActionIDs seen before.
  for (const id of ids) assert(/^[1-9][0-9]*-[A-Za-z0-9+/]{11}$/.test(id), `got ${id}`);
  assertEquals(new Set([...ids].map((id) => id.slice(-11))).size, 200);
});

function listServer(count: number) {
  return (server: AmiServer) =>
    server.handle("CoreShowChannels", {
      handle(request, session) {
        session.reply(request, "Success", { eventList: true, message: "Channels will follow" });
        for (let i = 0; i < count; i++) {
          session.listItem(request, "CoreShowChannel", [["Channel", `SIP/20${i}-0000000${i}`]]);
        }
        server.broadcast({ Event: "Newstate", Privilege: "call,all", Channel: "SIP/299-00000001" });
        session.listComplete(request, "CoreShowChannelsComplete", count);
      },
    });
}

Deno.test("AmiClient.collect gathers a list until its Complete event", async () => {
  await withPair(listServer(3), { events: "on" }, async (ami) => {
    const events = ami.events({ filter: (e) => e.name === "Newstate" });
    await ami.connect();
    const result = await ami.collect({ Action: "CoreShowChannels" });
    assertEquals(result.response.get("EventList"), "start");
    assertEquals(result.events.map((e) => e.get("Channel")), [
      "SIP/200-00000000",
      "SIP/201-00000001",
      "SIP/202-00000002",
    ]);
    assertEquals(result.complete?.get("ListItems"), "3");
    assertEquals((await events.next()).value?.name, "Newstate", "other events still flow");
    const empty = await ami.collect({ Action: "CoreShowChannels" }, { timeoutMs: 2000 });
    assertEquals(empty.events.length, 3);
  });
});

Deno.test("AmiClient.collect returns at once on an error response", async () => {
  await withPair(noSetup, {}, async (ami) => {
    await ami.connect();
    const result = await ami.collect({ Action: "NoSuchList" });
    assertEquals(result.response.get("Response"), "Error");
    assertEquals(result.events, []);
  });
});

Deno.test("AmiClient streams events to every subscriber in order", async () => {
  await withPair(noSetup, { events: "call" }, async (ami, { server }) => {
    const a = ami.events();
    const b = ami.events({ filter: (e) => e.get("Channel")?.endsWith("2") ?? false });
    await ami.connect();
    for (let i = 0; i < 5; i++) {
      server.broadcast({ Event: "Newstate", Privilege: "call,all", Channel: `SIP/20${i}` });
    }
    const fromA: string[] = [];
    for await (const event of a) {
      fromA.push(event.get("Channel")!);
      if (fromA.length === 5) break;
    }
    assertEquals(fromA, ["SIP/200", "SIP/201", "SIP/202", "SIP/203", "SIP/204"]);
    assertEquals((await b.next()).value?.get("Channel"), "SIP/202");
    assert(a.closed, "break ends the subscription");
  });
});

Deno.test("AmiClient subscriptions are bounded: a slow reader loses the oldest events, marked and counted", async () => {
  await withPair(noSetup, {}, async (ami, { server }) => {
    const slow = ami.events({ bufferSize: 10, filter: (e) => e.name === "Tick" });
    await ami.connect();
    for (let i = 0; i < 100; i++) {
      server.broadcast({ Event: "Tick", Privilege: "call,all", N: String(i) });
    }
    await ami.send({ Action: "Ping" }); // every Tick has arrived before this answer
    assertEquals(slow.pending, 10);
    assertEquals(slow.dropped, 90);
    const gap = (await slow.next()).value!;
    assert(isEventGap(gap), `a gap marker first, got ${gap.name}`);
    assertEquals(gap.lost, 90);
    const kept: string[] = [];
    for (let i = 0; i < 10; i++) kept.push((await slow.next()).value!.get("N")!);
    assertEquals(kept, Array.from({ length: 10 }, (_, i) => String(90 + i)));
  });
});

Deno.test("AmiClient times an action out and ignores its late answer", async () => {
  const late: [AmiMessage, AmiServerSession][] = [];
  const setup = (server: AmiServer) =>
    server.handle("Slow", { handle: (request, session) => void late.push([request, session]) });
  await withPair(setup, {}, async (ami) => {
    await ami.connect();
    const error = await assertRejects(
      ami.send({ Action: "Slow" }, { timeoutMs: 30 }),
      AmiTimeoutError,
      "Slow",
    );
    assertEquals(error.timeoutMs, 30);
    const [request, session] = late[0];
    session.reply(request, "Success");
    await ami.send({ Action: "Ping" });
    assertEquals(ami.unmatchedResponses, 1);
    assertEquals(ami.state, "connected");
  });
});

Deno.test("AmiClient rejects pending actions at once when the server drops, reconnects and resumes events", async () => {
  let drops = 0;
  const setup = (server: AmiServer) => {
    server.handle("Hold", { handle: () => {} });
    server.handle("Drop", {
      handle: (_request, session) => {
        drops++;
        session.close();
      },
    });
  };
  await withPair(setup, { actionTimeoutMs: 60_000 }, async (ami, { server }) => {
    const events = ami.events({ filter: (e) => e.name === "Newstate" });
    await ami.connect();
    const held = [ami.send({ Action: "Hold" }), ami.send({ Action: "Hold" })];
    const reconnecting = nextState(ami, "reconnecting");
    const connected = nextState(ami, "connected");
    const started = Date.now();
    // Sent, then the connection went: the outcome is unknown, and says which action it was.
    const dropped = await assertRejects(ami.send({ Action: "Drop" }), AmiOutcomeUnknownError);
    assertEquals(dropped.action, "Drop");
    for (const pending of held) await assertRejects(pending, AmiOutcomeUnknownError, "Hold");
    assert(Date.now() - started < 10_000, "rejected long before the 60 s action timeout");
    const change: AmiStateChange = await reconnecting;
    assert(change.error instanceof AmiDisconnectedError);
    assertEquals(change.attempt, 1);
    await connected;
    assertEquals(drops, 1, "the action in flight was not re-sent");
    await waitFor(() => [...server.sessions].some((s) => s.user), "the new login");
    server.broadcast({ Event: "Newstate", Privilege: "call,all", Channel: "SIP/202-0000000b" });
    assertEquals((await events.next()).value?.get("Channel"), "SIP/202-0000000b");
    assertEquals((await ami.send({ Action: "Ping" })).get("Ping"), "Pong");
  });
});

Deno.test("AmiClient keeps retrying a refused re-login with backoff, and close() stops it", async () => {
  let secret = "opspass";
  const users = (name: string) =>
    name === "ops" ? { username: "ops", secret, read: ["all"], write: ["all"] } : undefined;
  const test = await startServer({ users });
  const ami = client(test.port);
  try {
    await ami.connect();
    const changes: AmiStateChange[] = [];
    ami.onState((change) => changes.push(change));
    secret = "rotated"; // ops changed manager.conf
    for (const session of test.server.sessions) session.close();
    await waitFor(
      () => changes.filter((c) => c.error instanceof AmiAuthError).length >= 2,
      "two refused re-logins",
    );
    const attempts = changes.filter((c) => c.state === "reconnecting").map((c) => c.attempt);
    assertEquals(attempts, attempts.map((_, i) => i + 1));
    secret = "opspass";
    await nextState(ami, "connected");
    await ami.close();
    // A reconnect timer left behind would fail this test (Deno's op sanitizer).
    assertEquals(changes.at(-1)?.state, "closed");
  } finally {
    await ami.close();
    await test.close();
  }
});

Deno.test("AmiClient starts the backoff again only after a connection stayed up healthyMs", async () => {
  const clock = new ManualClock();
  const reconnect = { initialMs: 100, maxMs: 10_000, healthyMs: 5_000 };
  await withPair(noSetup, { reconnect, clock, random: () => 0.999999 }, async (ami, { server }) => {
    const retries: AmiStateChange[] = [];
    ami.onState((change) => change.state === "reconnecting" && retries.push(change));
    const dropAndRetry = async (connectedFor: number) => {
      const connected = nextState(ami, "connected");
      await waitFor(() => [...server.sessions].some((s) => s.user), "a logged-in session");
      clock.advance(connectedFor);
      for (const session of server.sessions) session.close();
      await waitFor(() => clock.pending === 1, "the retry timer");
      clock.advance(retries.at(-1)!.delayMs!);
      await connected;
    };
    await ami.connect();
    await dropAndRetry(4_999); // lost before it was healthy...
    await dropAndRetry(0); // ...and again: the delay grows
    await dropAndRetry(5_000); // healthy: the next loss starts from the bottom
    await dropAndRetry(0);
    assertEquals(retries.map((c) => [c.attempt, c.delayMs]), [[1, 100], [2, 200], [1, 100], [
      2,
      200,
    ]]);
  });
});

Deno.test("AmiClient.start keeps trying until the PBX comes up, then connects", async () => {
  const port = unusedPort();
  const ami = client(port);
  const changes: AmiStateChange[] = [];
  ami.onState((change) => changes.push(change));
  ami.start();
  let server: AmiServer | undefined;
  try {
    await waitFor(
      () => changes.filter((c) => c.state === "reconnecting").length >= 2,
      "two attempts while nothing listens",
    );
    assert(changes.some((c) => c.error instanceof AmiConnectionError));
    server = new AmiServer({ users: [OPS] });
    await server.listen({ hostname: "127.0.0.1", port });
    await nextState(ami, "connected");
    assertEquals((await ami.send({ Action: "Ping" })).get("Ping"), "Pong");
  } finally {
    await ami.close();
    await server?.close();
  }
});

Deno.test("AmiClient.start stops trying on close()", async () => {
  const port = unusedPort();
  const ami = client(port);
  ami.start();
  await nextState(ami, "reconnecting");
  await ami.close(); // a retry timer left behind would fail this test (op sanitizer)
  assertEquals(ami.state, "closed");
});

Deno.test("AmiClient fails fast while disconnected", async () => {
  await withPair(noSetup, {}, async (ami) => {
    const unsent = await assertRejects(
      ami.send({ Action: "Ping" }),
      AmiDisconnectedError,
      "state: disconnected",
    );
    assert(!(unsent instanceof AmiOutcomeUnknownError), "never sent: not an unknown outcome");
  });
});

Deno.test("AmiClient keepalive notices a peer that stops answering and reconnects", async () => {
  let frozen = 0;
  const setup = (server: AmiServer) =>
    server.handle("Freeze", {
      // The session runs one action at a time, so a handler that never ends freezes it.
      handle: () => {
        frozen++;
        return new Promise(() => {});
      },
    });
  await withPair(setup, { keepaliveMs: 40 }, async (ami) => {
    await ami.connect();
    ami.send({ Action: "Freeze" }).catch(() => {});
    const change = await nextState(ami, "reconnecting");
    assert(change.error?.message.includes("stopped answering"), change.error?.message);
    await nextState(ami, "connected");
    assertEquals((await ami.send({ Action: "Ping" })).get("Ping"), "Pong");
    assertEquals(frozen, 1);
  });
});

Deno.test("AmiClient.close logs off, rejects what is pending and ends subscriptions", async () => {
  const actions: string[] = [];
  const setup = (server: AmiServer) =>
    server.handle("Hold", { handle: (r) => void actions.push(r.name) });
  const test = await startServer({}, setup);
  const ami = client(test.port, { reconnect: { initialMs: 5, maxMs: 5 } });
  try {
    const events = ami.events();
    await ami.connect();
    const pending = ami.send({ Action: "Hold" });
    await waitFor(() => actions.length === 1, "the Hold action");
    const ended = (async () => {
      let n = 0;
      for await (const _ of events) n++;
      return n;
    })();
    await ami.close();
    await assertRejects(pending, AmiDisconnectedError, "closed");
    assertEquals(ami.state, "closed");
    assert((await ended) >= 0, "the iteration ended");
    await waitFor(() => test.server.sessions.size === 0, "the server to see the logoff");
    await assertRejects(ami.send({ Action: "Ping" }), AmiDisconnectedError);
    assert(ami.events().closed, "a subscription after close is already ended");
  } finally {
    await test.close();
  }
});

Deno.test("AmiClient reports a refused connection with host, port and what to check", async () => {
  const listener = await defaultTransport().listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close(); // nothing listens on this port now
  const ami = client(port);
  await assertRejects(ami.connect(), AmiConnectionError, `127.0.0.1:${port}`);
  assertEquals(ami.state, "disconnected");
});

Deno.test("AmiClient refuses a server that does not speak AMI", async () => {
  const listener = await defaultTransport().listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
      conn.close();
    }
  })();
  try {
    await assertRejects(
      client(listener.addr.port).connect(),
      AmiProtocolError,
      "does not speak AMI",
    );
  } finally {
    listener.close();
    await serving;
  }
});

Deno.test("AmiClient times out a connect that gets no banner", async () => {
  const listener = await defaultTransport().listen({ hostname: "127.0.0.1", port: 0 });
  const held: { close(): void }[] = [];
  const serving = (async () => {
    for await (const conn of listener) held.push(conn); // accept, then say nothing
  })();
  try {
    await assertRejects(
      client(listener.addr.port, { connectTimeoutMs: 50 }).connect(),
      AmiTimeoutError,
      "banner",
    );
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await serving;
  }
});

Deno.test("AmiClient refuses header injection and sends nothing", async () => {
  const seen: string[] = [];
  const setup = (server: AmiServer) =>
    server.handle("Hangup", {
      handle: (r, s) => (seen.push(r.get("Channel")!), s.reply(r, "Success")),
    });
  await withPair(setup, {}, async (ami) => {
    await ami.connect();
    await assertRejects(
      ami.send({ Action: "Originate", Channel: "SIP/201\r\nAction: Hangup\r\nChannel: SIP/202" }),
      AmiInjectionError,
      '"Channel"',
    );
    await assertRejects(
      ami.send([["Action", "Ping"], ["X\r\nAction", "Hangup"]]),
      AmiInjectionError,
    );
    await ami.send({ Action: "Hangup", Channel: "SIP/203-00000001" });
    assertEquals(seen, ["SIP/203-00000001"]);
  });
});

Deno.test("AmiClient speaks AMI over TLS with a trusted CA", async () => {
  const cert = Deno.readTextFileSync(new URL("../fixtures/tls/cert.pem", import.meta.url));
  const key = Deno.readTextFileSync(new URL("../fixtures/tls/key.pem", import.meta.url));
  for (const transport of [denoTransport, nodeTransport] as Transport[]) {
    const server = new AmiServer({ users: [OPS], transport });
    const { port } = await server.listen({ hostname: "127.0.0.1", port: 0, tls: { cert, key } });
    const ami = client(port, { transport, tls: { caCerts: [cert] } });
    try {
      await ami.connect();
      assertEquals((await ami.send({ Action: "Ping" })).get("Ping"), "Pong");
      const untrusted = client(port, { transport, tls: {}, connectTimeoutMs: 2000 });
      await assertRejects(untrusted.connect(), AmiConnectionError);
    } finally {
      await ami.close();
      await server.close();
    }
  }
});

Deno.test("AmiClient.close while a backpressure subscription holds reading reads on to the Logoff's answer", async () => {
  await using flood = startFloodServer(100_000);
  const transport = countingTransport(denoTransport);
  const ami = client(flood.port, { transport, reconnect: false });
  const events = ami.events({ bufferSize: 100, overflow: "backpressure" });
  await ami.connect();
  await waitFor(() => events.full, "the subscription to fill up");
  const readsWhenFull = transport.reads;
  const pending = events.pending;
  await ami.close();
  assert(transport.reads > readsWhenFull, "reading resumed to get the Goodbye");
  assertEquals(events.takeBuffered().length, pending, "what was buffered can still be read");
  assert((await events.next()).done, "then the subscription is over");
});
