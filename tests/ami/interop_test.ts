/**
 * Interop: asterisk-manager, a third-party AMI client from npm, logs in to
 * AmiServer, gets an answer to an action and receives a broadcast event.
 */

import AsteriskManager from "asterisk-manager";
import { assertEquals } from "../_support/assert.ts";
import { startServer } from "../_support/ami_server.ts";

interface ThirdPartyEvent {
  event?: string;
  channel?: string;
  response?: string;
  ping?: string;
}

Deno.test("asterisk-manager (npm) logs in to AmiServer, runs an action and receives an event", async () => {
  const { server, port, close } = await startServer();
  const ami = AsteriskManager(port, "127.0.0.1", "ops", "opspass", true);
  try {
    const loggedIn = Promise.withResolvers<void>();
    ami.on("connect", () => {});
    ami.on("error", (error: Error) => loggedIn.reject(error));
    ami.on("fullybooted", () => loggedIn.resolve());
    await loggedIn.promise;

    const pong = await new Promise<ThirdPartyEvent>((resolve, reject) =>
      ami.action(
        { action: "Ping" },
        (error: unknown, response: ThirdPartyEvent) => error ? reject(error) : resolve(response),
      )
    );
    assertEquals([pong.response, pong.ping], ["Success", "Pong"]);

    const received = new Promise<ThirdPartyEvent>((resolve) => ami.on("newchannel", resolve));
    server.broadcast({ Event: "Newchannel", Privilege: "call,all", Channel: "SIP/202-0000000a" });
    const event = await received;
    assertEquals([event.event, event.channel], ["Newchannel", "SIP/202-0000000a"]);
  } finally {
    ami.disconnect();
    await close();
  }
});
