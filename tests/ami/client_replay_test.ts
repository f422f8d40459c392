/**
 * AmiClient against the bytes of a real Asterisk: a replay server answers each
 * action with what Asterisk 22 answered in the capture, in its TCP chunks. The
 * client re-runs the capture's actions and must get exactly the captured
 * responses, list items and events.
 */

import { assertEquals, assertRejects } from "../_support/assert.ts";
import { AmiClient, type AmiListResult } from "../../src/ami/client.ts";
import { AmiAuthError } from "../../src/ami/errors.ts";
import { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { startReplay } from "../_support/replay_server.ts";
import {
  type Capture,
  CAPTURE_SETS,
  type CaptureSet,
  expectedMessages,
  listCaptures,
  readBytes,
} from "../_support/transcripts.ts";

/** Captures whose every action carries an ActionID, so a client can correlate the answers. */
function replayable(capture: Capture): boolean {
  const sent = new AmiParser().push(readBytes(capture, "sent"));
  const loginOnly = sent.length === 1 && sent[0].name === "Login";
  return sent.length > 0 && sent.every((m) => m.actionId !== undefined) &&
    (loginOnly || sent.at(-1)!.name.toLowerCase() === "logoff");
}

const headers = (m: AmiMessage) => [...m];

for (const set of CAPTURE_SETS) {
  for (const capture of listCaptures(set.root).filter(replayable)) testReplay(set, capture);
}

function testReplay(set: CaptureSet, capture: Capture): void {
  Deno.test(`AmiClient replays Asterisk ${set.release} ${capture.scenario}/${capture.label} against the captured bytes`, async () => {
    const sent = new AmiParser().push(readBytes(capture, "sent"));
    const expected = expectedMessages(capture).messages.map((m) => new AmiMessage(m));
    const responseTo = (id: string) =>
      expected.find((m) => m.kind === "response" && m.actionId === id)!;

    const login = sent.find((m) => m.name === "Login")!;
    const loginPhase = sent.slice(0, sent.indexOf(login) + 1);
    const actions = sent.slice(loginPhase.length, -1);
    const ids = [...loginPhase.map((m) => m.actionId!), sent.at(-1)!.actionId!];
    const md5 = login.get("AuthType")?.toLowerCase() === "md5";

    const replay = await startReplay(capture);
    const ami = new AmiClient({
      host: "127.0.0.1",
      port: replay.port,
      username: login.get("Username") ?? "",
      secret: md5 ? "opspass" : login.get("Secret")!,
      authType: md5 ? "md5" : "plain",
      events: login.get("Events") ?? "on",
      keepaliveMs: 0,
      reconnect: false,
      actionId: () => ids.shift()!,
    });
    const events = ami.events({ bufferSize: 100_000 });
    try {
      if (responseTo(login.actionId!).get("Response") === "Error") {
        const error = await assertRejects(ami.connect(), AmiAuthError);
        assertEquals(error.serverMessage, responseTo(login.actionId!).get("Message"));
        return;
      }
      await ami.connect();
      assertEquals(ami.pbx?.asterisk, set.asterisk, "the version read from the banner");
      assertEquals(ami.pbx?.exact, true);
      const listIds = new Set<string>();
      for (const action of actions) {
        const id = action.actionId!;
        const response = responseTo(id);
        if (response.get("EventList") === "start") {
          listIds.add(id);
          const result: AmiListResult = await ami.collect(action);
          const items = expected.filter((m) => m.kind === "event" && m.actionId === id);
          assertEquals(headers(result.response), headers(response));
          assertEquals(result.events.map(headers), items.slice(0, -1).map(headers));
          assertEquals(headers(result.complete!), headers(items.at(-1)!));
        } else {
          assertEquals(headers(await ami.send(action)), headers(response), `answer to ${id}`);
        }
      }
      await ami.close();
      await replay.done;
      const got: AmiMessage[] = [];
      for await (const event of events) got.push(event);
      const ordinary = expected.filter((m) => m.kind === "event" && !listIds.has(m.actionId ?? ""));
      assertEquals(got.map(headers), ordinary.map(headers));
      assertEquals(replay.mismatches, []);
      assertEquals(replay.received.length, sent.length);
    } finally {
      await ami.close();
      replay.close();
      await replay.done;
    }
  });
}
