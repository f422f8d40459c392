/**
 * mock-ami beyond the captures: the call center's phones and traffic,
 * ChanSpy and ControlPlayback as the proxy uses them, fault switches, and
 * many sessions at once. Real TCP on 127.0.0.1:0; time on a manual clock
 * where the test needs a call or a playback to end.
 */

import AsteriskManager from "asterisk-manager";
import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { AmiClient, type AmiClientOptions } from "../../src/ami/client.ts";
import { AmiAuthError, AmiDisconnectedError } from "../../src/ami/errors.ts";
import type { AmiMessage } from "../../src/ami/message.ts";
import * as actions from "../../src/ami/actions.ts";
import { ManualClock } from "../../src/pbx/clock.ts";
import { REGISTRATION_REFRESH_MS } from "../../src/pbx/sip.ts";
import { createMockAmi, type MockAmi, type MockAmiOptions } from "../../src/pbx/mock_ami.ts";
import { OPS } from "../_support/ami_server.ts";
import { waitFor } from "../_support/wait.ts";

async function withMock(
  options: Partial<MockAmiOptions>,
  body: (
    mock: MockAmi,
    connect: (o?: Partial<AmiClientOptions>) => Promise<AmiClient>,
  ) => Promise<void>,
) {
  const mock = createMockAmi({ users: [OPS], loginFailureDelayMs: 0, ...options });
  const { port } = await mock.listen({ hostname: "127.0.0.1", port: 0 });
  const clients: AmiClient[] = [];
  const connect = async (o: Partial<AmiClientOptions> = {}) => {
    const client = new AmiClient({
      host: "127.0.0.1",
      port,
      username: "ops",
      secret: "opspass",
      keepaliveMs: 0,
      reconnect: false,
      ...o,
    });
    clients.push(client);
    await client.connect();
    return client;
  };
  try {
    await body(mock, connect);
  } finally {
    for (const client of clients) await client.close();
    await mock.close();
  }
}

/** Collects events until `done` says so; the subscription stays open (no `for await` break). */
async function eventsUntil(
  events: AsyncIterator<AmiMessage>,
  done: (seen: AmiMessage[]) => boolean,
): Promise<AmiMessage[]> {
  const seen: AmiMessage[] = [];
  while (!done(seen)) {
    const next = await events.next();
    if (next.done) {
      throw new Error(`the event stream ended after ${seen.map((e) => e.name).join(", ")}`);
    }
    seen.push(next.value);
  }
  return seen;
}

Deno.test("mock-ami starts with live calls between phones and from the trunk, named as Asterisk names them", async () => {
  await withMock({ calls: 3, seed: 7 }, async (mock, connect) => {
    await waitFor(
      () => mock.pbx.channels.every((c) => c.state === 6),
      "the start calls to be answered",
    );
    const ami = await connect();
    const { events } = await ami.collect(actions.coreShowChannels());
    assertEquals(events.length, 6, "three calls, two legs each");
    for (const event of events) {
      assertMatch(event.get("Channel")!, /^SIP\/(2\d\d|trunk)-[0-9a-f]{8}$/);
      assertMatch(event.get("Uniqueid")!, /^\d+\.\d+$/);
      assert(event.get("BridgeId") !== "", "every call is bridged");
    }
    // The two legs of a call share a Linkedid and a bridge.
    const byBridge = Map.groupBy(events, (e) => e.get("BridgeId"));
    for (const legs of byBridge.values()) {
      assertEquals(legs.length, 2);
      assertEquals(legs[0].get("Linkedid"), legs[1].get("Linkedid"));
    }
  });
});

Deno.test("mock-ami churn places and ends calls with Newchannel, Dial, Bridge and Hangup events", async () => {
  const clock = new ManualClock();
  await withMock({ clock, churn: 2, calls: 0, answerDelayMs: 500 }, async (mock, connect) => {
    const ami = await connect({ events: "call" });
    const events = ami.events();
    clock.advance(1_000); // two calls placed
    clock.advance(1_000); // answered
    const started = await eventsUntil(
      events,
      (seen) => seen.filter((e) => e.name === "BridgeEnter").length >= 4,
    );
    const names = new Set(started.map((e) => e.name));
    for (
      const name of [
        "Newchannel",
        "DialBegin",
        "Newstate",
        "DialEnd",
        "BridgeCreate",
        "BridgeEnter",
      ]
    ) {
      assert(names.has(name), `saw ${name}`);
    }
    const first = mock.pbx.channels.slice(0, 4).map((c) => c.name);
    clock.advance(200_000); // churned calls last at most 3 minutes
    assert(first.every((name) => !mock.pbx.findChannel(name)), "the first calls have ended");
    // The bridge dissolves, then the legs hang up with Normal Clearing (30-sip-call-chanspy).
    const ended = await eventsUntil(
      events,
      (seen) => seen.some((e) => e.name === "Hangup" && e.get("Cause") === "16"),
    );
    assert(ended.some((e) => e.name === "BridgeDestroy"), "the bridge went first");
  });
});

Deno.test("Originate of a ChanSpy listen: the phone answers, spies on exactly the target, and leaves with it", async () => {
  const clock = new ManualClock();
  await withMock({ clock, calls: 2, seed: 3, answerDelayMs: 300 }, async (mock, connect) => {
    clock.advance(1);
    const ami = await connect();
    const events = ami.events();
    const target = mock.pbx.channels.find((c) => c.role === "endpoint" && c.state === 6)!;
    const queued = await ami.send(
      actions.originateListen({
        listenerChannel: "SIP/209",
        targetChannel: target.name,
        mode: "whisper",
      }),
    );
    assertEquals(queued.get("Message"), "Originate successfully queued");
    clock.advance(300);
    const seen = await eventsUntil(events, (s) => s.some((e) => e.name === "ChanSpyStart"));
    const response = seen.find((e) => e.name === "OriginateResponse")!;
    assertEquals([response.get("Response"), response.get("Reason"), response.actionId], [
      "Success",
      "4",
      queued.actionId,
    ]);
    const spyer = response.get("Channel")!;
    assertMatch(spyer, /^SIP\/209-[0-9a-f]{8}$/);
    const start = seen.find((e) => e.name === "ChanSpyStart")!;
    assertEquals([start.get("SpyerChannel"), start.get("SpyeeChannel")], [spyer, target.name]);
    // The target hangs up: with E the spy stops and its channel hangs up too.
    await ami.send(actions.hangup({ channel: target.name }));
    const after = await eventsUntil(
      events,
      (s) => s.some((e) => e.name === "Hangup" && e.get("Channel") === spyer),
    );
    assert(after.some((e) => e.name === "ChanSpyStop" && e.get("SpyerChannel") === spyer));
  });
});

Deno.test("an Async Originate does not hold up the session's next actions while the phone rings", async () => {
  const clock = new ManualClock();
  await withMock({ clock, calls: 1, answerDelayMs: 300 }, async (mock, connect) => {
    clock.advance(1);
    const ami = await connect();
    const target = mock.pbx.channels.find((c) => c.role === "endpoint" && c.state === 6)!;
    const originate = () =>
      ami.send(
        actions.originateListen({
          listenerChannel: "SIP/209",
          targetChannel: target.name,
          mode: "listen",
        }),
      );
    // Nothing advances the clock: no phone answers, yet every action is answered.
    const answers = await Promise.all([originate(), originate(), ami.send(actions.ping())]);
    assertEquals(answers.map((a) => a.get("Response")), ["Success", "Success", "Success"]);
  });
});

Deno.test("Originate with ChannelId gives the new channel that uniqueid; a uniqueid in use fails", async () => {
  const clock = new ManualClock();
  await withMock({ clock, calls: 1, answerDelayMs: 300 }, async (mock, connect) => {
    clock.advance(1);
    const ami = await connect();
    const events = ami.events();
    const target = mock.pbx.channels.find((c) => c.role === "endpoint" && c.state === 6)!;
    const listen = (channelId: string) =>
      ami.send(
        actions.originateListen({
          listenerChannel: "SIP/209",
          targetChannel: target.name,
          mode: "listen",
          channelId,
        }),
      );
    const first = await listen("job_abc");
    const created = await eventsUntil(events, (s) => s.some((e) => e.name === "Newchannel"));
    const newchannel = created.find((e) => e.name === "Newchannel")!;
    assertEquals(newchannel.get("Uniqueid"), "job_abc");
    assertEquals(mock.pbx.findChannel("job_abc")?.name, newchannel.get("Channel"));
    // While it rings, a Hangup by that uniqueid reaches it.
    const hungUp = await ami.send({ Action: "Hangup", Channel: "job_abc" });
    assertEquals(hungUp.get("Response"), "Success");
    const ended = await eventsUntil(events, (s) => s.some((e) => e.name === "OriginateResponse"));
    const response = ended.find((e) => e.name === "OriginateResponse")!;
    assertEquals([response.get("Response"), response.actionId], ["Failure", first.actionId]);

    const second = await listen("job_dup");
    await eventsUntil(events, (s) => s.some((e) => e.name === "Newchannel"));
    const third = await listen("job_dup"); // the uniqueid is taken by the ringing channel
    const failed = await eventsUntil(
      events,
      (s) => s.some((e) => e.name === "OriginateResponse" && e.actionId === third.actionId),
    );
    assertEquals(
      failed.find((e) => e.actionId === third.actionId)!.get("Response"),
      "Failure",
    );
    assert(second.actionId !== third.actionId);
  });
});

Deno.test("ChanSpy with u spies on the exact channel only, never on a longer name with the same prefix", async () => {
  const clock = new ManualClock();
  await withMock({ clock, extensions: ["100", "1001", "201"], calls: 0 }, async (mock, connect) => {
    const ami = await connect();
    const events = ami.events();
    // A call on 1001 only: SIP/100-... does not exist, SIP/1001-... does.
    await ami.send({
      Action: "Originate",
      Channel: "SIP/1001",
      Application: "Wait",
      Data: "600",
      Async: "true",
    });
    clock.advance(1_000);
    const busy = mock.pbx.channels[0].name;
    assertMatch(busy, /^SIP\/1001-/);
    await ami.send(actions.originateListen({
      listenerChannel: "SIP/201",
      targetChannel: busy.replace("SIP/1001-", "SIP/100-"), // exact name of a channel that does not exist
      mode: "listen",
    }));
    clock.advance(1_000);
    const seen = await eventsUntil(events, (s) => s.filter((e) => e.name === "Hangup").length >= 1);
    assert(!seen.some((e) => e.name === "ChanSpyStart"), "no spying on SIP/1001");
  });
});

Deno.test("ControlPlayback on a ControlPlayback() playback: pause toggles, skips move, stop ends with the offset", async () => {
  const clock = new ManualClock();
  await withMock({ clock, calls: 0, defaultSoundMs: 120_000 }, async (_mock, connect) => {
    const ami = await connect();
    const events = ami.events();
    await ami.send(
      actions.originatePlayback({ channel: "SIP/201", file: "recordings/call-1", skipMs: 5_000 }),
    );
    clock.advance(300); // answered
    const [answered] = (await eventsUntil(events, (s) =>
      s.some((e) => e.name === "OriginateResponse")))
      .filter((e) => e.name === "OriginateResponse");
    const channel = answered.get("Channel")!;
    const control = async (c: actions.PlaybackControl) => {
      const r = await ami.send(actions.controlPlayback({ channel, control: c }));
      assertEquals(
        [...r].map(([k]) => k),
        ["Response", "ActionID"],
        "a bare Success, as Asterisk's",
      );
    };
    clock.advance(10_000); // at 10 s
    await control("pause");
    clock.advance(60_000); // paused: still 10 s
    await control("pause"); // resume
    clock.advance(2_000); // 12 s
    await control("forward"); // 17 s
    await control("reverse");
    await control("reverse"); // 7 s
    clock.advance(1_000); // 8 s
    await control("stop");
    const vars = await eventsUntil(
      events,
      (s) => s.some((e) => e.get("Variable") === "CPLAYBACKOFFSET"),
    );
    const value = (name: string) => vars.find((e) => e.get("Variable") === name)?.get("Value");
    assertEquals(value("CPLAYBACKSTATUS"), "REMOTESTOPPED");
    assertEquals(value("CPLAYBACKOFFSET"), "8000");
  });
});

Deno.test("a playback plays for the recording's length, then its channel hangs up", async () => {
  const clock = new ManualClock();
  await withMock({ clock, calls: 0 }, async (mock, connect) => {
    const ami = await connect();
    const events = ami.events();
    await ami.send(actions.originatePlayback({ channel: "PJSIP/202", file: "ops/sample" })); // 5.2 s
    clock.advance(300);
    await waitFor(() => mock.pbx.channels.length === 1, "the answered channel");
    clock.advance(5_100);
    assertEquals(mock.pbx.channels.length, 1, "still playing");
    clock.advance(200);
    const seen = await eventsUntil(events, (s) => s.some((e) => e.name === "Hangup"));
    const value = (name: string) => seen.find((e) => e.get("Variable") === name)?.get("Value");
    assertEquals([value("CPLAYBACKSTATUS"), value("CPLAYBACKOFFSET")], ["SUCCESS", "-1"]);
    assertEquals(mock.pbx.channels.length, 0);
  });
});

Deno.test("mock-ami plays a file for the length soundDurationMs gives it (a recordings catalog's)", async () => {
  const clock = new ManualClock();
  const lengths = new Map([["/var/spool/asterisk/monitor/rec-1", 2_000]]);
  await withMock(
    { clock, calls: 0, soundDurationMs: (f) => lengths.get(f) },
    async (mock, connect) => {
      const ami = await connect();
      await ami.send(
        actions.originatePlayback({
          channel: "SIP/202",
          file: "/var/spool/asterisk/monitor/rec-1",
        }),
      );
      clock.advance(300);
      await waitFor(() => mock.pbx.channels.length === 1, "the answered channel");
      clock.advance(1_900);
      assertEquals(mock.pbx.channels.length, 1, "still playing");
      clock.advance(200);
      await waitFor(() => mock.pbx.channels.length === 0, "the end of the 2 s recording");
    },
  );
});

Deno.test("Originate to a phone that does not exist fails as Asterisk's does, sync and async", async () => {
  await withMock({ calls: 0 }, async (_mock, connect) => {
    const ami = await connect();
    const events = ami.events({ filter: (e) => e.name === "OriginateResponse" });
    const sync = await ami.send({
      Action: "Originate",
      Channel: "SIP/999",
      Application: "Wait",
      Data: "1",
    });
    assertEquals([sync.get("Response"), sync.get("Message")], ["Error", "Originate failed"]);
    const queued = await ami.send({
      Action: "Originate",
      Channel: "SIP/999",
      Application: "Wait",
      Data: "1",
      Async: "true",
    });
    assertEquals(queued.get("Message"), "Originate successfully queued");
    const failure = (await events.next()).value!;
    assertEquals(
      [
        failure.get("Response"),
        failure.get("Channel"),
        failure.get("Reason"),
        failure.get("Uniqueid"),
      ],
      ["Failure", "SIP/999", "0", "<unknown>"],
    );
  });
});

Deno.test("mock-ami fault switches: refused logins, dropped sessions, latency", async () => {
  await withMock({ refuseLogins: true }, async (_mock, connect) => {
    const error = await assertRejects(connect(), AmiAuthError);
    assertEquals(error.serverMessage, "Authentication failed");
  });
  await withMock({ dropAfterActions: 2 }, async (_mock, connect) => {
    const ami = await connect(); // action 1: Login
    await ami.send(actions.ping()); // action 2
    await assertRejects(ami.send(actions.ping()), AmiDisconnectedError); // action 3: dropped
  });
  await withMock({ latencyMs: 50 }, async (_mock, connect) => {
    const ami = await connect();
    const t0 = performance.now();
    await ami.send(actions.ping());
    assert(performance.now() - t0 >= 45, "the answer waited for the latency");
  });
});

Deno.test("mock-ami answers Getvar functions, Status and core show channels for live calls", async () => {
  await withMock({ calls: 1, seed: 2 }, async (mock, connect) => {
    await waitFor(() => mock.pbx.channels.every((c) => c.state === 6), "the call to be answered");
    const ami = await connect();
    const channel = mock.pbx.channels[0].name;
    const state = await ami.send(actions.getvar({ channel, variable: "CHANNEL(state)" }));
    assertEquals(state.get("Value"), "Up");
    const status = await ami.collect(actions.status());
    assertEquals(status.events.length, 2);
    assertEquals(status.events[0].get("Privilege"), "Call");
    assertEquals([...status.events[0]].at(-1)?.[0], "ActionID", "ActionID comes last in Status");
    assertEquals(status.complete?.get("Items"), "2");
    const output = (await ami.send(actions.command("core show channels"))).getAll("Output");
    assertMatch(output[0], /^Channel\s+Location\s+State\s+Application\(Data\)/);
    assertEquals(output.slice(-3), ["2 active channels", "1 active call", "1 call processed"]);
  });
});

Deno.test("mock-ami answers a line longer than 1024 bytes as Asterisk does", async () => {
  await withMock({}, async (mock) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: mock.server.addr!.port });
    const text = `Action: Login\r\nUsername: ops\r\nSecret: opspass\r\nEvents: off\r\n\r\n` +
      `Action: Ping\r\nActionID: long\r\nX: ${"x".repeat(2000)}\r\n\r\nAction: Logoff\r\n\r\n`;
    await conn.write(new TextEncoder().encode(text));
    const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assertMatch(
      reply,
      /Response: Error\r\nActionID: long\r\nMessage: Failed to parse message: line too long/,
    );
  });
});

Deno.test("200 concurrent sessions with events on each receive every broadcast event", async () => {
  await withMock({ calls: 0 }, async (mock, connect) => {
    const sessions = await Promise.all(Array.from({ length: 200 }, () => connect()));
    const counts = sessions.map(() => 0);
    const readers = sessions.map((ami, i) =>
      (async () => {
        for await (const _event of ami.events({ filter: (e) => e.name === "UserEvent" })) {
          if (++counts[i] === 50) break;
        }
      })()
    );
    const trigger = sessions[0];
    for (let n = 0; n < 50; n++) {
      const sent = await trigger.send({ Action: "UserEvent", UserEvent: "Tick", N: String(n) });
      assertEquals(sent.get("Message"), "Event Sent");
    }
    await Promise.all(readers);
    assertEquals(counts, sessions.map(() => 50));
    assertEquals(mock.server.sessions.size, 200);
  });
});

Deno.test("asterisk-manager (npm) originates a ChanSpy through mock-ami and receives ChanSpyStart", async () => {
  await withMock({ calls: 1 }, async (mock) => {
    await waitFor(() => mock.pbx.channels.every((c) => c.state === 6), "the call to be answered");
    const target = mock.pbx.channels[0].name;
    const ami = AsteriskManager(mock.server.addr!.port, "127.0.0.1", "ops", "opspass", true);
    try {
      const started = new Promise<{ spyeechannel: string }>((resolve) =>
        ami.on("chanspystart", resolve)
      );
      await new Promise<void>((resolve, reject) =>
        ami.on("fullybooted", resolve).on("error", reject)
      );
      const response = await new Promise<{ response: string }>((resolve, reject) =>
        ami.action(
          {
            action: "Originate",
            channel: "SIP/205",
            application: "ChanSpy",
            data: `${target},qESu`,
            async: "true",
          },
          (error: unknown, res: { response: string }) => error ? reject(error) : resolve(res),
        )
      );
      assertEquals(response.response, "Success");
      assertEquals((await started).spyeechannel, target);
    } finally {
      ami.disconnect();
    }
  });
});

Deno.test("mock-ami's SIP phones register as it starts and renew every minute: PeerStatus Registered, the device idle once", async () => {
  const clock = new ManualClock();
  const extensions = ["201", "202", "203"];
  await withMock(
    { clock, asterisk: 18, extensions, registerPhones: true },
    async (mock, connect) => {
      assertEquals([...mock.pbx.registeredPeers], extensions);
      const ami = await connect({ events: "system,security,call" });
      const events = ami.events();
      clock.advance(REGISTRATION_REFRESH_MS); // each phone renews once, spread over the minute
      const renewed = await eventsUntil(
        events,
        (seen) => seen.filter((e) => e.name === "SuccessfulAuth").length === 3,
      );
      const peers = renewed.filter((e) => e.name === "PeerStatus");
      assertEquals(peers.map((e) => e.get("Peer")), ["SIP/201", "SIP/202", "SIP/203"]);
      assertEquals(peers.map((e) => e.get("Address")), [
        "127.0.0.1:5061",
        "127.0.0.1:5062",
        "127.0.0.1:5063",
      ]);
      assert(peers.every((e) => e.get("PeerStatus") === "Registered"));
      // 18's digest authentication around each: ChallengeSent, then SuccessfulAuth (Service SIP).
      assertEquals(
        renewed.filter((e) => e.get("Service") === "SIP").map((e) => e.name),
        [
          "ChallengeSent",
          "SuccessfulAuth",
          "ChallengeSent",
          "SuccessfulAuth",
          "ChallengeSent",
          "SuccessfulAuth",
        ],
      );
      // A renewal changes nothing about the device: NOT_INUSE was announced at the first one.
      assertEquals(renewed.filter((e) => e.name === "DeviceStateChange"), []);
    },
  );
});

Deno.test("mock-ami without registerPhones (the replays) sends no PeerStatus; a PJSIP mock never does", async () => {
  for (const options of [{}, { tech: "PJSIP" as const, registerPhones: true }]) {
    await withMock({ ...options, extensions: ["201"] }, (mock) => {
      assertEquals(mock.pbx.registeredPeers.size, 0);
      return Promise.resolve();
    });
  }
});
