/**
 * The ceiling server of bench/mock_ami_load.ts, run as its own process: bare
 * TCP on Deno's sockets that writes the bytes mock-ami writes and does nothing
 * else (no parser, no permissions, no PBX).
 *
 * - It sends mock-ami's banner, and answers the first block of a connection
 *   (the Login) with mock-ami's success response. A login with `Events: off`
 *   makes the trigger connection; any other joins the sessions.
 * - `Action: UserEvent`: answers `Message: Event Sent` and writes the event
 *   mock-ami serializes (`Event: UserEvent`, `Privilege: user,all`, the
 *   `UserEvent:` header, then the request's other headers but `Action:`) to
 *   every session. The events of one chunk read go out as one write per
 *   session, and the next chunk is read once every write is done.
 * - `Action: Ping`: answers with a fixed response, mock-ami's with a zero
 *   timestamp (`Response: Success`, `ActionID: <id>`, `Ping: Pong`,
 *   `Timestamp: 0.000000`); the answers of one chunk go out as one write.
 *
 *   deno run -A bench/mock_ami_bare_server.ts
 *
 * Prints `listening <port>` once ready, then serves until killed.
 */

import type { AmiConn } from "../src/ami/transport.ts";
import { denoTransport } from "../src/ami/transport_deno.ts";
import { header, readBlocks } from "./mock_ami_blocks.ts";

const encoder = new TextEncoder();
const BANNER = encoder.encode("Asterisk Call Manager/11.0.0\r\n");

/** Logged-in connections with events on. */
const sessions = new Set<AmiConn>();

function response(block: string, ...lines: string[]): string {
  const id = header(block, "ActionID");
  return ["Response: Success", ...(id === undefined ? [] : [`ActionID: ${id}`]), ...lines, "", ""]
    .join("\r\n");
}

/** The UserEvent that mock-ami broadcasts for this UserEvent action. */
function userEvent(block: string): string {
  const lines = block.split("\r\n");
  const others = lines.filter((line) => !/^(action|userevent):/i.test(line));
  return [
    "Event: UserEvent",
    "Privilege: user,all",
    `UserEvent: ${header(block, "UserEvent") ?? ""}`,
    ...others,
    "",
    "",
  ].join("\r\n");
}

/** The answer to one block after login, and the events it makes. */
function answer(block: string): [reply: string, events: string] {
  if (block.startsWith("Action: Ping\r\n")) {
    return [response(block, "Ping: Pong", "Timestamp: 0.000000"), ""];
  }
  if (block.startsWith("Action: UserEvent\r\n")) {
    return [response(block, "Message: Event Sent"), userEvent(block)];
  }
  return [`Response: Error\r\nMessage: Invalid/unknown command\r\n\r\n`, ""];
}

async function serve(conn: AmiConn): Promise<void> {
  await conn.write(BANNER);
  let role: "session" | "trigger" | undefined;
  await readBlocks(conn, async (blocks) => {
    let replies = "";
    let events = "";
    for (const block of blocks) {
      if (role === undefined) {
        role = header(block, "Events") === "off" ? "trigger" : "session";
        replies += response(block, "Message: Authentication accepted");
        continue;
      }
      const [reply, event] = answer(block);
      replies += reply;
      events += event;
    }
    const writes = replies === "" ? [] : [conn.write(encoder.encode(replies))];
    if (events !== "") {
      const bytes = encoder.encode(events);
      for (const session of sessions) {
        writes.push(session.write(bytes).catch(() => void sessions.delete(session)));
      }
    }
    await Promise.all(writes);
    if (role === "session") sessions.add(conn);
    return true;
  });
}

if (import.meta.main) {
  const listener = await denoTransport.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`listening ${listener.addr.port}`);
  for await (const conn of listener) {
    serve(conn).catch(() => {}).finally(() => {
      sessions.delete(conn);
      conn.close();
    });
  }
}
