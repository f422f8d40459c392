/**
 * A server that plays a captured Asterisk session back: the banner at once,
 * then, after each message the client sends, the bytes Asterisk answered to
 * the corresponding captured message, in the captured TCP read chunks. It
 * checks that the client sent what the capture's client sent.
 */

import { AmiMessage } from "../../src/ami/message.ts";
import { AmiParser } from "../../src/ami/parser.ts";
import { type AmiConn, defaultTransport } from "../../src/ami/transport.ts";
import { type Capture, readTimeline, type TimelineEntry } from "./transcripts.ts";

export interface ReplayServer {
  port: number;
  /** The messages the client sent, in order. */
  received: AmiMessage[];
  /** Differences between what the client sent and what the capture's client sent. */
  mismatches: string[];
  /** Resolves when the replayed connection has ended. */
  done: Promise<void>;
  close(): void;
}

function bytes(latin1: string): Uint8Array {
  return Uint8Array.from(latin1, (c) => c.charCodeAt(0));
}

/** The capture's client messages, each with the index of the timeline entry that sent it. */
function capturedSends(timeline: TimelineEntry[]): { message: AmiMessage; entry: number }[] {
  const sends: { message: AmiMessage; entry: number }[] = [];
  timeline.forEach((entry, index) => {
    if (entry.dir !== "send") return;
    for (const message of new AmiParser().push(entry.data!)) sends.push({ message, entry: index });
  });
  return sends;
}

export async function startReplay(capture: Capture): Promise<ReplayServer> {
  const timeline = readTimeline(capture);
  const sends = capturedSends(timeline);
  const listener = await defaultTransport().listen({ hostname: "127.0.0.1", port: 0 });
  const received: AmiMessage[] = [];
  const mismatches: string[] = [];
  let open: AmiConn | undefined;

  /** Writes the recv entries after `from` until the next send; false once the capture's server closed. */
  async function play(conn: AmiConn, from: number): Promise<boolean> {
    for (let i = from; i < timeline.length; i++) {
      const entry = timeline[i];
      if (entry.dir === "send") return true;
      if (entry.dir === "eof") return false;
      if (entry.dir === "recv") await conn.write(bytes(entry.data!));
    }
    return true;
  }

  const done = (async () => {
    for await (const conn of listener) {
      open = conn;
      listener.close();
      const parser = new AmiParser();
      let alive = await play(conn, 0);
      let next = 0;
      while (alive) {
        const chunk = await conn.read();
        if (chunk === null) break;
        for (const message of parser.push(chunk)) {
          received.push(message);
          const expected = sends[next++];
          if (!expected) {
            mismatches.push(`unexpected extra message ${JSON.stringify(message.toObject())}`);
            continue;
          }
          for (const [key, value] of expected.message) {
            if (message.get(key) !== value) {
              mismatches.push(
                `${expected.message.name}: ${key} is ${message.get(key)}, captured ${value}`,
              );
            }
          }
          const isLastOfEntry = sends[next]?.entry !== expected.entry;
          if (isLastOfEntry) alive = await play(conn, expected.entry + 1);
        }
      }
      conn.close();
    }
  })();

  return {
    port: listener.addr.port,
    received,
    mismatches,
    done,
    close() {
      listener.close();
      open?.close();
    },
  };
}
