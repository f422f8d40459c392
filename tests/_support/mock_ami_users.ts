/**
 * A real `astrix mock-ami` subprocess with AMI accounts from a manager.conf
 * text (`--users-file`), and a second AMI session that looks at what is left
 * on it and hangs up what a test left there, as an admin would.
 */

import { AmiClient } from "../../src/ami/client.ts";
import * as actions from "../../src/ami/actions.ts";
import { type RunningCli, startCli } from "./cli.ts";

/** An AMI account's name and secret. */
export interface Account {
  username: string;
  secret: string;
}

/** Starts `astrix mock-ami --port 0 --users-file <file with usersConf> ...args`; stop() removes the file. */
export async function startMockAmiWithUsers(
  usersConf: string,
  args: string[] = [],
): Promise<RunningCli> {
  const file = await Deno.makeTempFile({ prefix: "astrix-users-", suffix: ".conf" });
  try {
    await Deno.writeTextFile(file, usersConf);
    const mock = await startCli(["mock-ami", "--port", "0", "--users-file", file, ...args]);
    return {
      ...mock,
      async stop() {
        try {
          return await mock.stop();
        } finally {
          await Deno.remove(file);
        }
      },
    };
  } catch (error) {
    await Deno.remove(file);
    throw error;
  }
}

/** The names of the channels up on the AMI server at `port`, from its CoreShowChannels. */
export function channelsOnPbx(port: number, account: Account): Promise<string[]> {
  return withSession(port, account, async (ami) => {
    const { response, events } = await ami.collect(actions.coreShowChannels());
    if (response.get("Response") !== "Success") {
      throw new Error(`CoreShowChannels answered ${response.get("Message")}`);
    }
    return events.map((event) => event.get("Channel") ?? "");
  });
}

/** Hangs up `channels` on the AMI server at `port` (what a test left up). */
export function hangUpOnPbx(port: number, account: Account, channels: string[]): Promise<void> {
  return withSession(port, account, async (ami) => {
    for (const channel of channels) {
      const response = await ami.send(actions.hangup({ channel }));
      if (response.get("Response") !== "Success") {
        throw new Error(`Hangup ${channel} answered ${response.get("Message")}`);
      }
    }
  });
}

async function withSession<T>(
  port: number,
  account: Account,
  use: (ami: AmiClient) => Promise<T>,
): Promise<T> {
  const ami = new AmiClient({
    host: "127.0.0.1",
    port,
    ...account,
    events: "off",
    keepaliveMs: 0,
    reconnect: false,
  });
  try {
    await ami.connect();
    return await use(ami);
  } finally {
    await ami.close();
  }
}
