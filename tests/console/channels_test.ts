/**
 * The live-call board fed as the console feeds it: a `GET /ami/channels`
 * list, then the stream's `ami` events. The events are the Asterisk 22
 * capture of a call and a ChanSpy on it (12-originate-async-chanspy), parsed
 * by the project's AMI parser and turned into the stream's JSON the way the
 * proxy publishes them (`amiEventData` through the EventHub).
 */

import { assert, assertEquals } from "../_support/assert.ts";
import { listCaptures, readBytes } from "../_support/transcripts.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import type { AmiMessage } from "../../src/ami/message.ts";
import { EventHub } from "../../src/proxy/event_hub.ts";
import { amiEventData } from "../../src/proxy/stream_data.ts";
import type { Channel } from "../../console/api.ts";
import { type BoardChannel, ChannelBoard } from "../../console/channels.ts";
import type { AmiEventData } from "../../console/live.ts";

/** The `ami` event data the stream sends for `event`: what the proxy publishes, as the hub serialises it. */
function streamData(hub: EventHub, event: AmiMessage): AmiEventData {
  return hub.publish({ event: "ami", data: amiEventData(event) })
    .data as AmiEventData;
}

/** The events of AMI wire text (or of a capture's received bytes), as the stream sends them. */
function streamEvents(wire: Uint8Array | string, expectBanner = false): AmiEventData[] {
  const hub = new EventHub();
  return new AmiParser({ expectBanner }).push(wire)
    .filter((message) => message.kind === "event")
    .map((event) => streamData(hub, event));
}

const capture = listCaptures().find((c) => c.scenario === "12-originate-async-chanspy")!;
const CALL_EVENTS = streamEvents(readBytes(capture, "received"), true);

const text = (event: AmiEventData, name: string) => event[name] as string;
const ofKind = (name: string) => CALL_EVENTS.filter((event) => event.event === name);

/** A channel as `GET /ami/channels` lists it. */
function channel(uniqueId: string, fields: Partial<Channel> = {}): Channel {
  return {
    pbx: "default",
    channel: `PJSIP/${uniqueId}`,
    state: "Up",
    callerIdNum: null,
    callerIdName: null,
    connectedLineNum: null,
    application: null,
    durationSeconds: 0,
    uniqueId,
    linkedId: uniqueId,
    ...fields,
  };
}

/** What a row of the board shows. */
const shown = (
  { channel, state, callerIdNum, callerIdName, connectedLineNum, application }: BoardChannel,
) => ({ channel, state, callerIdNum, callerIdName, connectedLineNum, application });

Deno.test("capture 12 holds the events the board follows", () => {
  const kinds = new Set(CALL_EVENTS.map((event) => event.event));
  for (const kind of ["Newchannel", "Newstate", "NewCallerid", "NewConnectedLine", "Hangup"]) {
    assert(kinds.has(kind), `no ${kind} in ${capture.scenario}`);
  }
  assertEquals(ofKind("Newchannel").length, 4);
});

Deno.test("ChannelBoard.load lists the API's channels, longest-running first", () => {
  const board = new ChannelBoard();
  board.load([
    channel("1.1", { durationSeconds: 5 }),
    channel("1.2", { durationSeconds: 90 }),
    channel("1.3", { durationSeconds: null, uniqueId: null, channel: "PJSIP/no-id" }),
  ], 1_000_000);
  assertEquals(
    board.list().map((row) => [row.channel, row.startedAtMs]),
    [["PJSIP/1.2", 910_000], ["PJSIP/1.1", 995_000], ["PJSIP/no-id", 1_000_000]],
  );
  assertEquals([board.size, board.version], [3, 1]);
  board.load([channel("2.1")], 2_000_000);
  assertEquals([board.list().map((row) => row.uniqueId), board.version], [["2.1"], 2]);
});

Deno.test("ChannelBoard.apply follows a real call from Newchannel to Hangup", () => {
  const board = new ChannelBoard();
  const firstHangup = CALL_EVENTS.findIndex((event) => event.event === "Hangup");
  CALL_EVENTS.slice(0, firstHangup).forEach((event, i) => board.apply(event, 1000 + i));
  assertEquals(board.list().map(shown), [
    {
      channel: "Local/202@calls-00000002;1",
      state: "Up",
      callerIdNum: null,
      callerIdName: null,
      connectedLineNum: null,
      application: "Wait",
    },
    {
      channel: "Local/202@calls-00000002;2",
      state: "Up",
      callerIdNum: null,
      callerIdName: null,
      connectedLineNum: null,
      application: "Playback",
    },
    {
      channel: "Local/201@spy-00000003;1",
      state: "Up",
      callerIdNum: "201",
      callerIdName: "Supervisor",
      connectedLineNum: "201",
      application: "AppDial2",
    },
    {
      channel: "Local/201@spy-00000003;2",
      state: "Up",
      callerIdNum: "201",
      callerIdName: "Supervisor",
      connectedLineNum: "201",
      application: "Wait",
    },
  ]);
  assertEquals(
    board.list().map((row) => row.uniqueId),
    ofKind("Newchannel").map((event) => text(event, "Uniqueid")),
  );
  CALL_EVENTS.slice(firstHangup).forEach((event, i) => board.apply(event, 5000 + i));
  assertEquals(board.size, 0);
});

Deno.test("ChannelBoard.apply leaves each row as its event says", () => {
  const board = new ChannelBoard();
  for (const event of CALL_EVENTS) {
    board.apply(event, 0);
    const id = event.Uniqueid;
    const row = board.list().find((row) => row.uniqueId === id);
    switch (event.event) {
      case "Newchannel":
        assertEquals(row?.channel, text(event, "Channel"));
        assertEquals(row?.state, text(event, "ChannelStateDesc"));
        break;
      case "Newstate":
        assertEquals(row?.state, text(event, "ChannelStateDesc"));
        break;
      case "NewCallerid":
        assertEquals([row?.callerIdNum, row?.callerIdName], [
          text(event, "CallerIDNum"),
          text(event, "CallerIDName"),
        ]);
        break;
      case "NewConnectedLine":
        assertEquals(row?.connectedLineNum, text(event, "ConnectedLineNum"));
        break;
      case "Hangup":
        assertEquals(row, undefined, `${id} still on the board after its Hangup`);
    }
  }
});

Deno.test("ChannelBoard.apply starts a new channel's clock when its Newchannel arrives", () => {
  const board = new ChannelBoard();
  board.load([channel("9.9", { durationSeconds: 60 })], 100_000);
  board.apply(ofKind("Newchannel")[0], 130_000);
  assertEquals(board.list().map((row) => [row.uniqueId, row.startedAtMs]), [
    ["9.9", 40_000],
    ["1795484532.4", 130_000],
  ]);
});

Deno.test("ChannelBoard.apply changes version only when the board changed", () => {
  const board = new ChannelBoard();
  let changes = 0;
  for (const event of CALL_EVENTS) {
    const before = JSON.stringify(board.list());
    const version = board.version;
    const changed = board.apply(event, 0);
    const differs = JSON.stringify(board.list()) !== before;
    assertEquals(changed, differs, `${event.event} of ${event.Uniqueid}: apply() said ${changed}`);
    assertEquals(board.version, version + (differs ? 1 : 0), `version after ${event.event}`);
    if (differs) changes++;
  }
  // Every Newchannel and final Hangup, and most (not all) updates, change something.
  assert(changes >= 8 && changes < CALL_EVENTS.length, `${changes} changes`);
});

Deno.test("ChannelBoard.apply ignores events of channels it does not hold", () => {
  const board = new ChannelBoard();
  board.load([channel("7.7")], 0);
  const before = JSON.stringify(board.list());
  const strangers = CALL_EVENTS.filter((event) => event.event !== "Newchannel");
  assert(strangers.some((event) => event.Uniqueid === undefined), "no event without Uniqueid");
  for (const event of strangers) assertEquals(board.apply(event, 0), false, event.event);
  const malformed: AmiEventData[] = [{ event: "Newstate" }, { event: "Hangup", Uniqueid: "" }];
  for (const event of malformed) {
    assertEquals(board.apply(event, 0), false, JSON.stringify(event));
  }
  assertEquals([JSON.stringify(board.list()), board.version], [before, 1]);
});

Deno.test("ChannelBoard.apply renames a channel on Rename", () => {
  // The captures hold no Rename (a masquerade): this one is written in Asterisk 22's layout.
  const [rename] = streamEvents(
    "Event: Rename\r\nPrivilege: call,all\r\nChannel: PJSIP/7.7\r\nChannelState: 6\r\n" +
      "ChannelStateDesc: Up\r\nUniqueid: 7.7\r\nLinkedid: 7.7\r\nNewname: PJSIP/201-0000002a\r\n\r\n",
  );
  const board = new ChannelBoard();
  board.load([channel("7.7")], 0);
  assertEquals(board.apply(rename, 0), true);
  assertEquals([board.list()[0].channel, board.version], ["PJSIP/201-0000002a", 2]);
  assertEquals([board.apply(rename, 0), board.version], [false, 2]);
});

/**
 * Turns the fields of the board's rows into accessors that note the row
 * they belong to in the set returned: `list()` hands out the rows the board
 * holds, so what `apply()` reads or writes of any row is seen.
 */
function watchRows(board: ChannelBoard): Set<BoardChannel> {
  const touched = new Set<BoardChannel>();
  for (const row of board.list()) {
    for (const [field, initial] of Object.entries(row)) {
      let value = initial;
      Object.defineProperty(row, field, {
        get: () => (touched.add(row), value),
        set: (next) => (touched.add(row), value = next),
        enumerable: true,
      });
    }
  }
  return touched;
}

/** Rows touched by `n` state changes applied to a board of `n` channels, one per channel. */
function rowsTouched(n: number): number {
  const board = new ChannelBoard();
  board.load(Array.from({ length: n }, (_, i) => channel(`load.${i}`)), 0);
  const touched = watchRows(board);
  const template = ofKind("Newstate")[0];
  let total = 0;
  for (let i = 0; i < n; i++) {
    touched.clear();
    const event = { ...template, Uniqueid: `load.${(i * 7) % n}`, ChannelStateDesc: `S${i}` };
    assertEquals(board.apply(event, 0), true);
    assert(touched.size <= 1, `one event touched ${touched.size} rows`);
    total += touched.size;
  }
  return total;
}

Deno.test("ChannelBoard.apply touches one row per event, however many the board holds", () => {
  const small = rowsTouched(1000);
  assertEquals(small, 1000, "the watch did not see the board's rows");
  assertEquals(rowsTouched(10_000), 10 * small);
});
