/**
 * The proxy says what really happened: an AMI user without the classes a
 * feature needs is reported at login, in /readyz and /metrics, and its
 * requests are refused naming the manager.conf fix; a wrong method is 405
 * with Allow; a recordings server that is down is 502 naming it; Asterisk's
 * `<unknown>` caller ids are null. Real proxy, mock-ami, HTTP and TCP.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { assertErrorAnswer, RECORDINGS, startTestProxy } from "../_support/proxy.ts";
import { unusedPort } from "../_support/wait.ts";
import { AmiClient } from "../../src/ami/mod.ts";
import { createLogger } from "../../src/log.ts";

Deno.test("an AMI user with read=call write=originate: readyz, metrics and the log say what cannot work and the fix", async () => {
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "warn", write: (line) => lines.push(line) });
  await using px = await startTestProxy({
    recordings: "folder",
    amiClasses: { read: ["call"], write: ["originate"] },
    config: { logger },
    started: (readyz) => readyz.ami === true && readyz.cannotWork !== undefined,
  });

  const readyz = await px.request("GET", "/readyz");
  assertEquals(readyz.status, 503);
  assertEquals(
    [readyz.body.ready, readyz.body.ami, readyz.body.audit, readyz.body.amiPermissions],
    [false, true, true, false],
  );
  assertEquals(
    readyz.body.cannotWork.map((f: { feature: string }) => f.feature),
    ["channels", "listen", "control", "hangup", "recheck"],
  );
  const hangup = readyz.body.cannotWork.find((f: { feature: string }) => f.feature === "hangup");
  assertEquals([hangup.refusedActions, hangup.grant], [["Hangup"], ["call"]]);
  assertMatch(
    readyz.body.fix,
    /^add reporting, call to the AMI user's write= line in manager\.conf/,
  );

  const metrics = (await px.request("GET", "/metrics")).body as string;
  assertMatch(metrics, /astrix_ami_feature_allowed\{pbx="default",feature="channels"\} 0/);
  assertMatch(metrics, /astrix_ami_feature_allowed\{pbx="default",feature="hangup"\} 0/);
  assertMatch(metrics, /astrix_ami_feature_allowed\{pbx="default",feature="playback"\} 1/);

  const warning = lines.map((line) => JSON.parse(line)).find((l) => l.level === "warn");
  assert(warning, "a warning at login");
  assertMatch(
    warning.msg,
    /"astrix-proxy" may not run what these need: channels \(CoreShowChannels\)/,
  );
  assertMatch(warning.msg, /Add reporting, call to its write= line in manager\.conf/);

  // Refused at once, naming the fix, with nothing sent to the PBX.
  const channels = await px.request("GET", "/ami/channels", { role: "admin" });
  assertErrorAnswer(channels, 502, "ami_permission_denied");
  assertMatch(channels.body.error.message, /CoreShowChannels needs one of system, reporting/);
  assertEquals(channels.sent, []);
  const listen = await px.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: "SIP/202-00000001" },
  });
  assertErrorAnswer(listen, 502, "ami_permission_denied");
  assertEquals(listen.sent, []);
  // What it may do still works: a playback is one Originate.
  const playback = await px.request("POST", "/ami/originate/playback", {
    role: "qa",
    json: { recordingId: RECORDINGS.of205 },
  });
  assertEquals([playback.status, playback.sent], [202, ["Originate"]]);
});

Deno.test("the manager.conf classes the docs give (read=call, write=call,originate,reporting) leave nothing missing", async () => {
  await using px = await startTestProxy({
    amiClasses: { read: ["call"], write: ["call", "originate", "reporting"] },
  });
  const readyz = await px.request("GET", "/readyz");
  assertEquals([readyz.status, readyz.body.amiPermissions, readyz.body.cannotWork], [
    200,
    true,
    undefined,
  ]);
  // Whom it talks to, from mock-ami's banner (Asterisk 22's).
  assertEquals(readyz.body.pbx, { asterisk: 22, amiVersion: "11.0.0", exact: true });
});

Deno.test("a known path with another method: 405 with Allow; an unknown path: 404", async (t) => {
  await using px = await startTestProxy();
  const cases: [method: string, path: string, allow: string][] = [
    ["GET", "/ami/originate/listen", "POST"],
    ["DELETE", "/ami/jobs/job_x", "GET, HEAD"],
    ["GET", "/ami/jobs/job_x/hangup", "POST"],
    ["POST", "/ami/channels", "GET, HEAD"],
    ["PUT", "/recordings/x/stream", "GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    await t.step(`${method} ${path}`, async () => {
      const answer = await px.request(method, path, { role: "admin" });
      assertErrorAnswer(answer, 405, "method_not_allowed");
      assertEquals(answer.headers.get("allow"), allow);
      assertEquals(answer.sent, []);
    });
  }
  const unknown = await px.request("GET", "/ami/nothing", { role: "admin" });
  assertErrorAnswer(unknown, 404, "not_found");
  assertEquals(unknown.headers.get("allow"), null);
});

Deno.test("recordings upstream down: 502 recordings_unavailable naming it, not 500", async () => {
  const upstream = `http://127.0.0.1:${unusedPort()}`;
  await using px = await startTestProxy({ config: { recordings: upstream } });
  for (const path of ["/recordings", "/recordings/x/metadata", "/recordings/x/stream"]) {
    const answer = await px.request("GET", path, { role: "admin" });
    assertErrorAnswer(answer, 502, "recordings_unavailable");
    assertMatch(answer.body.error.message, new RegExp(`The recordings server ${upstream} `));
  }
});

Deno.test("GET /ami/channels gives null for Asterisk's <unknown> caller ids", async () => {
  await using px = await startTestProxy({ mock: { calls: 6 } }); // some from the trunk
  // What the PBX says, straight from AMI: calls from the trunk have no caller name.
  const ami = new AmiClient({ host: "127.0.0.1", port: px.mock.server.addr!.port, ...px.amiUser });
  await ami.connect();
  try {
    const { events } = await ami.collect({ Action: "CoreShowChannels" });
    const unknown = events.filter((e) => e.get("CallerIDName") === "<unknown>");
    assert(unknown.length > 0, "the PBX has channels with <unknown> caller ids");
    const answer = await px.request("GET", "/ami/channels", { role: "admin" });
    const byName = new Map(
      answer.body.channels.map((c: { channel: string }) => [c.channel, c]),
    );
    for (const event of unknown) {
      const channel = byName.get(event.get("Channel")!) as { callerIdName: unknown };
      assertEquals(channel.callerIdName, null, event.get("Channel"));
    }
    assert(!JSON.stringify(answer.body).includes("<unknown>"), JSON.stringify(answer.body));
  } finally {
    await ami.close();
  }
});
