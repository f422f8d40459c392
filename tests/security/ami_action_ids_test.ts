/**
 * Issue 11, item 13, kept safe: the client's ActionIDs became cheap to match
 * (a serial number), and must stay impossible to guess. Asterisk broadcasts a
 * `UserEvent` with whatever headers its sender wrote, `ActionID` and
 * `EventList` included, to every session allowed to read it; and an
 * ActionID can be seen by other sessions (an async Originate's
 * `OriginateResponse` carries it). Another AMI user who could guess the
 * ActionID of a list in progress could add forged items to it or end it
 * early. Here the guesses are those that work on a counter, with or without a
 * fixed prefix: the next numbers after an ActionID seen before.
 */

import { assertEquals } from "../_support/assert.ts";
import { opsClient, startServer } from "../_support/ami_server.ts";

/** ActionIDs a peer would try after seeing `seen`: each number in it raised by 1 to 3. */
function guessesAfter(seen: string): string[] {
  const guesses: string[] = [];
  for (const match of seen.matchAll(/\d+/g)) {
    for (let step = 1; step <= 3; step++) {
      const next = String(Number(match[0]) + step);
      guesses.push(seen.slice(0, match.index) + next + seen.slice(match.index + match[0].length));
    }
  }
  return guesses;
}

Deno.test("AmiClient.collect keeps out list events forged with ActionIDs guessed from one seen", async () => {
  let seen = "";
  const server = await startServer({}, (s) => {
    s.handle("Record", {
      handle: (request, session) => {
        seen = request.actionId!;
        session.reply(request, "Success");
      },
    });
    s.handle("CoreShowChannels", {
      handle: (request, session) => {
        session.reply(request, "Success", { eventList: true, message: "Channels will follow" });
        // What another session's UserEvents deliver here, before the real items.
        for (const guess of guessesAfter(seen)) {
          session.send([
            ["Event", "CoreShowChannel"],
            ["ActionID", guess],
            ["Channel", "SIP/forged-1"],
          ]);
          session.send([
            ["Event", "CoreShowChannelsComplete"],
            ["ActionID", guess],
            ["EventList", "Complete"],
            ["ListItems", "0"],
          ]);
        }
        session.listItem(request, "CoreShowChannel", [["Channel", "SIP/202-0000000a"]]);
        session.listItem(request, "CoreShowChannelsComplete", [
          ["EventList", "Complete"],
          ["ListItems", "1"],
        ]);
      },
    });
  });
  const ami = opsClient(server.port);
  try {
    await ami.connect();
    await ami.send({ Action: "Record" });
    const { events, complete } = await ami.collect({ Action: "CoreShowChannels" });
    assertEquals(events.map((e) => e.get("Channel")), ["SIP/202-0000000a"]);
    assertEquals(complete?.get("ListItems"), "1");
  } finally {
    await ami.close();
    await server.close();
  }
});
