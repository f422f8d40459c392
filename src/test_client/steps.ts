/**
 * The seed's seven AMI checks, run against mock-ami or a real PBX: connect
 * and log in, list active channels, originate a listen (ChanSpy), originate a
 * playback (ControlPlayback), pause and resume it, hang up, log off. Each
 * step reports what it saw; a failed step skips the ones that need it, and
 * every channel the run started is hung up whatever happened.
 *
 * @module
 */

import { AmiClient, type AmiClientOptions } from "../ami/client.ts";
import type { EventSubscription } from "../ami/event_stream.ts";
import type { AmiMessage } from "../ami/message.ts";
import * as actions from "../ami/actions.ts";

/** What to run against. */
export interface TestClientOptions {
  ami: Pick<AmiClientOptions, "host" | "port" | "username" | "secret" | "authType" | "transport">;
  /** The phone that listens and plays, e.g. `201`. */
  listenerExtension: string;
  /** How an extension becomes a channel to originate: `SIP/{ext}`, `PJSIP/{ext}`, `Local/{ext}@from-internal`. */
  dialTemplate: string;
  /** Channel to spy on; default: the first active channel not on the listener's phone. */
  targetChannel?: string;
  /** Sound file to play (without extension). */
  recording: string;
  /** Limit of each step, in ms. */
  timeoutMs: number;
}

/** One step's outcome. */
export interface StepResult {
  step: number;
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
  /** The error's class, for hints (`AmiConnectionError`, `AmiAuthError`, ...). */
  error?: string;
}

export const STEP_NAMES = [
  "connect and login",
  "active channels",
  "originate listen (ChanSpy)",
  "originate playback (ControlPlayback)",
  "pause and resume",
  "hangup",
  "logoff",
] as const;

/** Thrown by a step: `detail` says what went wrong in the user's terms. */
class StepFailed extends Error {}

/** Runs the seven steps; never throws. */
export async function runSteps(options: TestClientOptions): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const ami = new AmiClient({ ...options.ami, keepaliveMs: 0, reconnect: false, events: "on" });
  const events = ami.events({ bufferSize: 50_000 });
  const started = new Set<string>();
  const state: { target?: string; playback?: string } = {};
  const listener = options.dialTemplate.replaceAll("{ext}", options.listenerExtension);

  const run = async (index: number, body: () => Promise<string>): Promise<boolean> => {
    const t0 = performance.now();
    try {
      const detail = await body();
      results.push({
        step: index + 1,
        name: STEP_NAMES[index],
        ok: true,
        ms: performance.now() - t0,
        detail,
      });
      return true;
    } catch (error) {
      results.push({
        step: index + 1,
        name: STEP_NAMES[index],
        ok: false,
        ms: performance.now() - t0,
        detail: error instanceof Error ? error.message : String(error),
        error: error instanceof Error && !(error instanceof StepFailed) ? error.name : undefined,
      });
      return false;
    }
  };
  const skip = (index: number, reason: string) => {
    results.push({
      step: index + 1,
      name: STEP_NAMES[index],
      ok: false,
      ms: 0,
      detail: `skipped: ${reason}`,
    });
  };

  try {
    const connected = await run(0, async () => {
      await ami.connect();
      return `${ami.banner}, logged in as ${options.ami.username}`;
    });
    if (!connected) {
      for (let i = 1; i < STEP_NAMES.length - 1; i++) skip(i, "not connected");
      return results;
    }

    const listed = await run(1, async () => {
      const { response, events: channels } = await ami.collect(actions.coreShowChannels(), {
        timeoutMs: options.timeoutMs,
      });
      expectSuccess(response, "CoreShowChannels");
      const names = channels.map((c) => c.get("Channel") ?? "");
      state.target = options.targetChannel ??
        channels.find((c) =>
          c.get("ChannelState") === "6" && !onExtension(c.get("Channel"), options.listenerExtension)
        )?.get("Channel");
      if (!state.target) {
        throw new StepFailed(
          `${names.length} active channels, none to listen to: start a call or pass --target-channel`,
        );
      }
      return `${names.length} active channel${
        names.length === 1 ? "" : "s"
      }; will listen to ${state.target}`;
    });

    if (listed) {
      await run(2, async () => {
        const { channel } = await originateAndWait(
          ami,
          events,
          actions.originateListen({
            listenerChannel: listener,
            targetChannel: state.target!,
            mode: "listen",
          }),
          options.timeoutMs,
        );
        started.add(channel);
        const spy = await nextEvent(
          events,
          (e) => e.name === "ChanSpyStart" && e.get("SpyerChannel") === channel,
          options.timeoutMs,
          `no ChanSpyStart for ${channel}`,
        );
        await hangupAndWait(ami, events, channel, options.timeoutMs);
        started.delete(channel);
        return `${channel} spied on ${spy.get("SpyeeChannel")} (ChanSpyStart), then hung up`;
      });
    } else {
      skip(2, "no channel to listen to");
    }

    const playing = await run(3, async () => {
      const { channel } = await originateAndWait(
        ami,
        events,
        actions.originatePlayback({ channel: listener, file: options.recording }),
        options.timeoutMs,
      );
      started.add(channel);
      state.playback = channel;
      return `${channel} answered and plays ${options.recording}`;
    });
    if (!playing) {
      skip(4, "no playback channel");
      skip(5, "no playback channel");
    } else {
      const paused = await run(4, async () => {
        for (const control of ["pause", "pause"] as const) {
          const response = await ami.send(
            actions.controlPlayback({ channel: state.playback!, control }),
            {
              timeoutMs: options.timeoutMs,
            },
          );
          expectSuccess(response, `ControlPlayback ${control}`);
        }
        return "pause ✓, pause again to resume ✓ (ControlPlayback's pause is a toggle)";
      });
      await run(5, async () => {
        await hangupAndWait(ami, events, state.playback!, options.timeoutMs);
        started.delete(state.playback!);
        return `${state.playback} hung up (Hangup event seen)${
          paused ? "" : " after the failed pause"
        }`;
      });
    }
  } finally {
    // Never leave a channel up on the PBX, whatever failed.
    for (const channel of started) {
      await ami.send(actions.hangup({ channel }), { timeoutMs: options.timeoutMs }).catch(() => {});
    }
    if (ami.state === "connected") {
      await run(6, async () => {
        const goodbye = await ami.send(actions.logoff(), { timeoutMs: options.timeoutMs });
        if (goodbye.get("Response") !== "Goodbye") {
          throw new StepFailed(`Logoff answered ${goodbye.get("Response")}`);
        }
        return `Goodbye: ${goodbye.get("Message")}`;
      });
    } else {
      skip(6, "not connected");
    }
    await ami.close();
  }
  return results.sort((a, b) => a.step - b.step);
}

/** Whether a channel (`SIP/201-0000000a`, `Local/201@ctx-00000001;2`) belongs to extension `ext`. */
function onExtension(channel: string | undefined, ext: string): boolean {
  return channel?.match(/^[^/]+\/([^@;-]+)/)?.[1] === ext;
}

function expectSuccess(response: AmiMessage, what: string): void {
  if (response.get("Response") !== "Success") {
    throw new StepFailed(
      `${what} answered ${response.get("Response")}: ${response.get("Message") ?? ""}`,
    );
  }
}

/** Sends an Async Originate and waits for its OriginateResponse; returns the answered channel. */
async function originateAndWait(
  ami: AmiClient,
  events: EventSubscription,
  action: actions.AmiAction,
  timeoutMs: number,
): Promise<{ channel: string }> {
  const actionId = crypto.randomUUID();
  const response = await ami.send([...action, ["ActionID", actionId]], { timeoutMs });
  expectSuccess(response, "Originate");
  const outcome = await nextEvent(
    events,
    (e) => e.name === "OriginateResponse" && e.actionId === actionId,
    timeoutMs,
    "no OriginateResponse",
  );
  if (outcome.get("Response") !== "Success") {
    throw new StepFailed(
      `the call to ${outcome.get("Channel")} failed (OriginateResponse Reason ${
        outcome.get("Reason")
      }): ` +
        "check the extension and --dial-template",
    );
  }
  return { channel: outcome.get("Channel")! };
}

async function hangupAndWait(
  ami: AmiClient,
  events: EventSubscription,
  channel: string,
  timeoutMs: number,
) {
  const response = await ami.send(actions.hangup({ channel }), { timeoutMs });
  expectSuccess(response, "Hangup");
  await nextEvent(
    events,
    (e) => e.name === "Hangup" && e.get("Channel") === channel,
    timeoutMs,
    "no Hangup event",
  );
}

/** The next event matching `predicate`, or a StepFailed after `timeoutMs`. */
async function nextEvent(
  events: EventSubscription,
  predicate: (event: AmiMessage) => boolean,
  timeoutMs: number,
  what: string,
): Promise<AmiMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepFailed(`${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    while (true) {
      const next = await Promise.race([events.next(), timeout]);
      if (next.done) throw new StepFailed(`${what}: the connection ended`);
      if (predicate(next.value)) return next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}
