import { assert, assertEquals } from "../_support/assert.ts";
import { AmiMessage, serializeMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { defaultTransport } from "../../src/ami/transport.ts";
import { startServer } from "../_support/ami_server.ts";
import {
  type Capture,
  expectedMessages,
  listCaptures,
  readBytes,
} from "../_support/transcripts.ts";

/** Values that differ between runs of a real Asterisk, replaced before comparing. */
const VARYING = new Set([
  "Timestamp",
  "Uptime",
  "LastReload",
  "EventTV",
  "SessionTV",
  "SessionID",
  "LocalAddress",
  "RemoteAddress",
]);

function normalize(messages: [string, string][][]): [string, string][][] {
  return messages.map((m) => m.map(([k, v]) => [k, VARYING.has(k) ? "*" : v]));
}

/** Actions as one byte string, as a client pipelining them would write it. */
function wire(...actions: Record<string, string>[]): Uint8Array {
  return new TextEncoder().encode(actions.map((fields) => serializeMessage(fields)).join(""));
}

/** Sends `bytes` to the server as one write and reads everything until the server closes. */
async function converse(port: number, bytes: Uint8Array) {
  const conn = await defaultTransport().connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes);
  const parser = new AmiParser({ expectBanner: true });
  const messages: [string, string][][] = [];
  for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
    messages.push(...parser.push(chunk).map((m) => [...m] as [string, string][]));
  }
  conn.close();
  return { banner: parser.banner, messages };
}

// Scenarios whose actions are all answered by AmiServer itself (no PBX behind it).
// 04 (MD5) is left out: its Key only fits the challenge that real server chose.
const PROTOCOL_SCENARIOS = [
  "01-banner-login-success",
  "02-login-wrong-secret",
  "02b-login-unknown-user-and-missing-username",
  "03-login-events-off",
  "05-ping",
  "06-logoff",
  "07-unknown-action",
  "09-before-login",
];

const captures = listCaptures().filter((c) => PROTOCOL_SCENARIOS.includes(c.scenario));

for (const capture of captures) {
  Deno.test(`AmiServer answers ${capture.scenario}/${capture.label} as Asterisk 22 did`, async () => {
    const { port, close } = await startServer();
    try {
      const got = await converse(port, readBytes(capture, "sent"));
      const expected = expectedMessages(capture);
      assertEquals(got.banner, expected.banner);
      assertEquals(normalize(got.messages), normalize(expected.messages));
    } finally {
      await close();
    }
  });
}

Deno.test("AmiServer closes a connection that never logs in after authTimeoutMs, silently", async () => {
  const capture: Capture = listCaptures().find((c) =>
    c.scenario === "27-unauthenticated-idle-timeout"
  )!;
  const { port, close } = await startServer({ authTimeoutMs: 50 });
  try {
    const got = await converse(port, new Uint8Array());
    assertEquals(got.banner, expectedMessages(capture).banner);
    assertEquals(got.messages, []);
  } finally {
    await close();
  }
});

Deno.test("AmiServer filters events by the Events action and the user's read classes", async () => {
  const { server, port, close } = await startServer({}, (s) =>
    s.handle("Announce", {
      handle(request, session) {
        session.reply(request, "Success", { message: "Event Sent" });
        s.broadcast({
          Event: "UserEvent",
          Privilege: "user,all",
          UserEvent: request.get("Tag") ?? "",
        });
        s.broadcast({ Event: "Newstate", Privilege: "call,all", Channel: "SIP/202-0000000a" });
      },
    }));
  try {
    const script = wire(
      { Action: "Login", Username: "ops", Secret: "opspass", Events: "off" },
      { Action: "Announce", Tag: "while-off" },
      { Action: "Events", ActionID: "on", EventMask: "on" },
      { Action: "Announce", Tag: "while-on" },
      { Action: "Events", ActionID: "system", EventMask: "system" },
      { Action: "Announce", Tag: "while-system" },
      { Action: "Events", ActionID: "user", EventMask: "user" },
      { Action: "Announce", Tag: "while-user" },
      { Action: "Events", ActionID: "none" },
      { Action: "Logoff" },
    );
    const got = await converse(port, script);
    const events = got.messages.filter(([[k]]) => k === "Event").map((m) => new AmiMessage(m));
    assertEquals(
      events.map((e) => `${e.name}:${e.get("UserEvent") ?? e.get("Channel")}`),
      ["UserEvent:while-on", "Newstate:SIP/202-0000000a", "UserEvent:while-user"],
    );
    const answers = got.messages.map((m) => new AmiMessage(m)).filter((m) => m.get("Events"));
    assertEquals(answers.map((m) => m.get("Events")), ["On", "On", "On"]);
    const invalid = got.messages.map((m) => new AmiMessage(m)).find((m) => m.actionId === "none");
    assertEquals(invalid?.get("Message"), "Invalid event mask");
    assertEquals(server.sessions.size, 0);
  } finally {
    await close();
  }
});

Deno.test("AmiServer checks write classes and read classes per user", async () => {
  const { server, port, close } = await startServer({}, (s) => {
    s.handle("Hangup", {
      write: ["system", "call"],
      handle: (request, session) =>
        session.reply(request, "Success", { message: "Channel Hungup" }),
    });
    s.handle("Originate", {
      write: ["originate"],
      handle: (request, session) => {
        session.reply(request, "Success", { message: "Originate successfully queued" });
        s.broadcast({ Event: "Newchannel", Privilege: "call,all", Channel: "SIP/201-00000001" });
        s.broadcast({ Event: "Reload", Privilege: "system,all", Module: "manager" });
      },
    });
  });
  try {
    const script = wire(
      { Action: "Login", Username: "limited", Secret: "limitedpass" },
      { Action: "Hangup", ActionID: "h", Channel: "SIP/202-0000000a" },
      { Action: "Originate", ActionID: "o", Channel: "SIP/201" },
      { Action: "Ping", ActionID: "p" },
      { Action: "Logoff" },
    );
    const got = await converse(port, script);
    const byId = new Map(got.messages.map((m) => new AmiMessage(m)).map((m) => [m.actionId, m]));
    assertEquals(byId.get("h")?.get("Message"), "Permission denied");
    assertEquals(byId.get("o")?.get("Message"), "Originate successfully queued");
    assertEquals(byId.get("p")?.get("Ping"), "Pong");
    const events = got.messages.filter(([[k]]) => k === "Event").map(([[, name]]) => name);
    // read=call: no FullyBooted (system) or SuccessfulAuth (security) at login, no Reload.
    assertEquals(events, ["Newchannel"]);
    assertEquals(server.sessions.size, 0);
  } finally {
    await close();
  }
});

Deno.test("AmiServer answers a list with ActionID on every item, even with events off", async () => {
  const { port, close } = await startServer({}, (s) =>
    s.handle("CoreShowChannels", {
      write: ["system", "reporting"],
      handle(request, session) {
        session.reply(request, "Success", { eventList: true, message: "Channels will follow" });
        session.listItem(request, "CoreShowChannel", [["Channel", "SIP/202-0000000a"]]);
        session.listComplete(request, "CoreShowChannelsComplete", 1);
      },
    }));
  try {
    const script = wire(
      { Action: "Login", Username: "ops", Secret: "opspass", Events: "off" },
      { Action: "CoreShowChannels", ActionID: "csc" },
      { Action: "Logoff" },
    );
    const got = await converse(port, script);
    assertEquals(got.messages.slice(1, 4), [
      [["Response", "Success"], ["ActionID", "csc"], ["EventList", "start"], [
        "Message",
        "Channels will follow",
      ]],
      [["Event", "CoreShowChannel"], ["ActionID", "csc"], ["Channel", "SIP/202-0000000a"]],
      [["Event", "CoreShowChannelsComplete"], ["ActionID", "csc"], ["EventList", "Complete"], [
        "ListItems",
        "1",
      ]],
    ]);
  } finally {
    await close();
  }
});

Deno.test("AmiServer closes a session whose message passes the size limit", async () => {
  const { server, port, close } = await startServer({ maxMessageBytes: 1024 });
  try {
    const got = await converse(
      port,
      new TextEncoder().encode("Action: Login\r\nJunk: " + "x".repeat(4096)),
    );
    assertEquals(got.messages, []);
    assert(server.sessions.size === 0);
  } finally {
    await close();
  }
});
