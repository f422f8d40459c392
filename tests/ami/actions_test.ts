import { assertEquals, assertThrows } from "../_support/assert.ts";
import * as actions from "../../src/ami/actions.ts";
import { AmiInjectionError } from "../../src/ami/errors.ts";
import { serializeMessage } from "../../src/ami/message.ts";

Deno.test("originateListen runs ChanSpy on exactly the target channel with the mode's options", () => {
  const cases = [["listen", "qESu"], ["whisper", "qESuw"], ["barge", "qESuB"]] as const;
  for (const [mode, flags] of cases) {
    assertEquals(
      actions.originateListen({
        listenerChannel: "SIP/201",
        targetChannel: "SIP/202-0000000a",
        mode,
        callerId: "Supervisor <201>",
      }),
      [
        ["Action", "Originate"],
        ["Channel", "SIP/201"],
        ["Application", "ChanSpy"],
        ["Data", `SIP/202-0000000a,${flags}`],
        ["Timeout", "30000"],
        ["Async", "true"],
        ["CallerID", "Supervisor <201>"],
      ],
    );
  }
});

Deno.test("originateListen accepts Local and PJSIP channel names", () => {
  const action = actions.originateListen({
    listenerChannel: "Local/201@from-internal",
    targetChannel: "Local/202@calls-00000002;2",
    mode: "listen",
  });
  assertEquals(action[3], ["Data", "Local/202@calls-00000002;2,qESu"]);
  actions.originateListen({
    listenerChannel: "PJSIP/201",
    targetChannel: "PJSIP/202-000001a3",
    mode: "listen",
  });
});

Deno.test("originateListen refuses targets that would add ChanSpy options or reach other calls", () => {
  const bad = [
    "SIP/202,B", // a comma would add barge
    "SIP/202-0000000a,qw",
    "SIP/202 ",
    "SIP/20(2)",
    "SIP/${EXTEN}",
    "SIP/202|B",
    "SIP/",
    "",
    "SIP/202\r\nAction: Hangup",
  ];
  for (const targetChannel of bad) {
    assertThrows(
      () => actions.originateListen({ listenerChannel: "SIP/201", targetChannel, mode: "listen" }),
      AmiInjectionError,
      '"Data"',
    );
  }
  assertThrows(
    () =>
      actions.originateListen({
        listenerChannel: "SIP/201,x",
        targetChannel: "SIP/202-1",
        mode: "listen",
      }),
    AmiInjectionError,
    '"Channel"',
  );
  assertThrows(
    () =>
      actions.originateListen({
        listenerChannel: "SIP/201",
        targetChannel: "SIP/202-1",
        mode: "spy" as actions.ListenMode,
      }),
    AmiInjectionError,
    "unknown listen mode",
  );
});

Deno.test("a live channel is named by name or Uniqueid; a channel to call only by Tech/resource", () => {
  // With ChanSpy's u (and Asterisk's channel lookup) a Uniqueid names exactly one call.
  const listen = actions.originateListen({
    listenerChannel: "SIP/201",
    targetChannel: "1796165591.2",
    mode: "listen",
  });
  assertEquals(listen.find(([key]) => key === "Data")?.[1], "1796165591.2,qESu");
  assertEquals(actions.hangup({ channel: "job_AbC-12.x" }).at(-1), ["Channel", "job_AbC-12.x"]);
  assertEquals(
    actions.controlPlayback({ channel: "1796165591.2", control: "pause" })[1],
    ["Channel", "1796165591.2"],
  );
  assertEquals(actions.status({ channel: "job_AbC-12.x" }).at(-1), ["Channel", "job_AbC-12.x"]);
  for (const bad of ["1796165591.2", "job_AbC"]) {
    assertThrows(
      () =>
        actions.originateListen({
          listenerChannel: bad,
          targetChannel: "SIP/202-1",
          mode: "listen",
        }),
      AmiInjectionError,
      '"Channel"',
    );
  }
});

Deno.test("originate builders set ChannelId when asked, and refuse one that is not a uniqueid", () => {
  const listen = actions.originateListen({
    listenerChannel: "SIP/201",
    targetChannel: "SIP/202-0000000a",
    mode: "listen",
    channelId: "job_AbC-12.x",
  });
  assertEquals(listen.at(-1), ["ChannelId", "job_AbC-12.x"]);
  const playback = actions.originatePlayback({ channel: "SIP/201", file: "x", channelId: "j1" });
  assertEquals(playback.at(-1), ["ChannelId", "j1"]);
  for (const bad of ["", "has space", "a,b", "x".repeat(151)]) {
    assertThrows(
      () => actions.originatePlayback({ channel: "SIP/201", file: "x", channelId: bad }),
      AmiInjectionError,
      "ChannelId",
    );
  }
});

Deno.test("originatePlayback plays with ControlPlayback so AMI can pause it", () => {
  assertEquals(
    actions.originatePlayback({
      channel: "SIP/201",
      file: "/var/spool/asterisk/monitor/20261124-101500-201-202-1795.1",
    }),
    [
      ["Action", "Originate"],
      ["Channel", "SIP/201"],
      ["Application", "ControlPlayback"],
      ["Data", "/var/spool/asterisk/monitor/20261124-101500-201-202-1795.1,3000"],
      ["Timeout", "30000"],
      ["Async", "true"],
    ],
  );
  assertEquals(
    actions.originatePlayback({ channel: "SIP/201", file: "ops/sample", skipMs: 5000 })[3],
    [
      "Data",
      "ops/sample,5000",
    ],
  );
});

Deno.test("originatePlayback refuses file names that are URLs, escape, or add arguments", () => {
  for (
    const file of ["http://evil/x", "a,1,#,*,0,5", "../../etc/passwd", "/a/../b", "a b", "", "x\ny"]
  ) {
    assertThrows(
      () => actions.originatePlayback({ channel: "SIP/201", file }),
      AmiInjectionError,
      '"Data"',
    );
  }
  assertThrows(
    () => actions.originatePlayback({ channel: "SIP/201", file: "x", skipMs: 0 }),
    AmiInjectionError,
  );
});

Deno.test("controlPlayback takes only the controls Asterisk knows", () => {
  assertEquals(actions.controlPlayback({ channel: "SIP/201-00000001", control: "pause" }), [
    ["Action", "ControlPlayback"],
    ["Channel", "SIP/201-00000001"],
    ["Control", "pause"],
  ]);
  for (const control of ["resume", "Pause", "stop\r\n"]) {
    assertThrows(
      () =>
        actions.controlPlayback({
          channel: "SIP/201-00000001",
          control: control as actions.PlaybackControl,
        }),
      AmiInjectionError,
      '"Control"',
    );
  }
});

Deno.test("the other builders produce the documented headers", () => {
  assertEquals(actions.login({ username: "ops", secret: "s", events: "off" }), [
    ["Action", "Login"],
    ["Username", "ops"],
    ["Secret", "s"],
    ["Events", "off"],
  ]);
  assertEquals(actions.challenge(), [["Action", "Challenge"], ["AuthType", "MD5"]]);
  assertEquals(actions.logoff(), [["Action", "Logoff"]]);
  assertEquals(actions.ping(), [["Action", "Ping"]]);
  assertEquals(actions.events("call,user"), [["Action", "Events"], ["EventMask", "call,user"]]);
  assertEquals(actions.hangup({ channel: "SIP/202-0000000a", cause: 16 }), [
    ["Action", "Hangup"],
    ["Channel", "SIP/202-0000000a"],
    ["Cause", "16"],
  ]);
  assertEquals(actions.coreShowChannels(), [["Action", "CoreShowChannels"]]);
  assertEquals(actions.command("core show channels"), [["Action", "Command"], [
    "Command",
    "core show channels",
  ]]);
  assertEquals(actions.getvar({ channel: "SIP/202-0000000a", variable: "CHANNEL(state)" }), [
    ["Action", "Getvar"],
    ["Channel", "SIP/202-0000000a"],
    ["Variable", "CHANNEL(state)"],
  ]);
  assertEquals(actions.setvar({ variable: "OPS_TEST", value: "hello world" }), [
    ["Action", "Setvar"],
    ["Variable", "OPS_TEST"],
    ["Value", "hello world"],
  ]);
  assertEquals(actions.status({ channel: "SIP/202-0000000a" }), [["Action", "Status"], [
    "Channel",
    "SIP/202-0000000a",
  ]]);
  assertEquals(actions.status(), [["Action", "Status"]]);
});

Deno.test("builder output is always serializable, and CR/LF in free text is still refused", () => {
  serializeMessage(actions.command("sip show peers"));
  assertThrows(
    () => serializeMessage(actions.command("core show version\r\nAction: Originate")),
    AmiInjectionError,
  );
  assertThrows(
    () => actions.getvar({ variable: "A}${SHELL(rm)" }),
    AmiInjectionError,
    '"Variable"',
  );
});
