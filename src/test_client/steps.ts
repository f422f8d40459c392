/**
 * The seed's seven AMI checks, run against mock-ami or a real PBX: connect
 * and log in, list active channels, originate a listen (ChanSpy), originate a
 * playback (ControlPlayback), pause and resume it, hang up, log off. Each
 * step reports what it saw; a failed step skips the ones that need it, saying
 * why; every channel the run started is hung up whatever happened, and one it
 * could not hang up is reported by name.
 *
 * @module
 */

import { AmiClient, type AmiClientOptions } from "../ami/client.ts";
import type { EventSubscription } from "../ami/event_stream.ts";
import * as actions from "../ami/actions.ts";
import { type AsteriskProfile, asteriskProfile } from "../ami/profiles.ts";
import { describePbx } from "../ami/versions.ts";
import { ChannelLedger, type LeftoverChannel } from "./channels.ts";
import { expectSuccess, nextEvent, PermissionDenied, StepFailed } from "./expect.ts";

export type { LeftoverChannel };

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
  /** The action the PBX answered "Permission denied" (`CoreShowChannels`, ...). */
  denied?: string;
}

/** A whole run: the steps, and the channels it started but could not hang up. */
export interface TestClientRun {
  username: string;
  steps: StepResult[];
  leftover: LeftoverChannel[];
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

/** Runs the seven steps; never throws. */
export async function runSteps(options: TestClientOptions): Promise<TestClientRun> {
  const steps = new Steps();
  const leftover: LeftoverChannel[] = [];
  const ami = new AmiClient({ ...options.ami, keepaliveMs: 0, reconnect: false, events: "on" });
  const run: Run = {
    ami,
    events: ami.events({ bufferSize: 50_000 }),
    ledger: new ChannelLedger(ami),
    steps,
    options,
  };
  try {
    const connected = await steps.run(0, async () => {
      await ami.connect();
      // The first fact: whom we talk to (a version astrix does not know is said so).
      const pbx = ami.pbx ? describePbx(ami.pbx) : ami.banner;
      return `${pbx}, logged in as ${options.ami.username}`;
    });
    if (connected.ok) await callSteps(run);
    else for (let i = 1; i < STEP_NAMES.length - 1; i++) steps.skip(i, "not connected");
  } finally {
    // Never leave a channel up on the PBX, whatever failed; say which ones could not be hung up.
    leftover.push(...await run.ledger.hangUpAll(ami, options.timeoutMs));
    if (ami.state === "connected") {
      await steps.run(6, async () => {
        const goodbye = await ami.send(actions.logoff(), { timeoutMs: options.timeoutMs });
        if (goodbye.get("Response") !== "Goodbye") {
          throw new StepFailed(`Logoff answered ${goodbye.get("Response")}`);
        }
        return `Goodbye: ${goodbye.get("Message")}`;
      });
    } else {
      steps.skip(6, "not connected");
    }
    await ami.close();
  }
  return { username: options.ami.username, steps: steps.results(), leftover };
}

/** What the steps share. */
interface Run {
  ami: AmiClient;
  /** Every event, for the steps to wait on. */
  events: EventSubscription;
  ledger: ChannelLedger;
  steps: Steps;
  options: TestClientOptions;
}

/** The results so far: each step run, timed, or skipped with a reason. */
class Steps {
  readonly #results: StepResult[] = [];

  async run(index: number, body: () => Promise<string>): Promise<StepResult> {
    const t0 = performance.now();
    const result: StepResult = {
      step: index + 1,
      name: STEP_NAMES[index],
      ok: true,
      ms: 0,
      detail: "",
    };
    try {
      result.detail = await body();
    } catch (error) {
      result.ok = false;
      result.detail = error instanceof Error ? error.message : String(error);
      if (error instanceof Error && !(error instanceof StepFailed)) result.error = error.name;
      if (error instanceof PermissionDenied) result.denied = error.action;
    }
    result.ms = performance.now() - t0;
    this.#results.push(result);
    return result;
  }

  skip(index: number, reason: string): void {
    this.#results.push({
      step: index + 1,
      name: STEP_NAMES[index],
      ok: false,
      ms: 0,
      detail: `skipped: ${reason}`,
    });
  }

  results(): StepResult[] {
    return this.#results.toSorted((a, b) => a.step - b.step);
  }
}

/** Steps 2 to 6, once logged in. */
async function callSteps(run: Run): Promise<void> {
  const { ami, events, steps, options } = run;
  const timeoutMs = options.timeoutMs;
  const listener = options.dialTemplate.replaceAll("{ext}", options.listenerExtension);
  let target: string | undefined;
  let noneUp = false;

  const listed = await steps.run(1, async () => {
    const { response, events: channels } = await ami.collect(actions.coreShowChannels(), {
      timeoutMs,
    });
    expectSuccess(response, "CoreShowChannels");
    target = options.targetChannel ??
      channels.find((c) =>
        c.get("ChannelState") === "6" && !onExtension(c.get("Channel"), options.listenerExtension)
      )?.get("Channel");
    const count = `${channels.length} active channel${channels.length === 1 ? "" : "s"}`;
    if (!target) {
      noneUp = true;
      throw new StepFailed(`${count}, none to listen to: start a call or pass --target-channel`);
    }
    return `${count}; will listen to ${target}`;
  });

  // A --target-channel needs no list: the listen is tried even if the list was refused.
  const spyOn = target ?? options.targetChannel;
  if (spyOn) {
    await steps.run(2, async () => {
      const exactOption = profileOf(ami).chanSpyExactOption;
      const channel = await originateAndWait(run, (ids) =>
        actions.originateListen({
          listenerChannel: listener,
          targetChannel: spyOn,
          mode: "listen",
          exactOption,
          ...ids,
        }));
      const spy = await nextEvent(
        events,
        (e) => e.name === "ChanSpyStart" && e.get("SpyerChannel") === channel,
        { timeoutMs, what: `no ChanSpyStart for ${channel}` },
      );
      await hangupAndWait(run, channel);
      return `${channel} spied on ${spy.get("SpyeeChannel")} (ChanSpyStart), then hung up`;
    });
  } else {
    steps.skip(
      2,
      noneUp ? "no channel to listen to" : `no channel list (${cause(listed)})`,
    );
  }

  let playback = "";
  const playing = await steps.run(3, async () => {
    playback = await originateAndWait(
      run,
      (ids) => actions.originatePlayback({ channel: listener, file: options.recording, ...ids }),
    );
    return `${playback} answered and plays ${options.recording}`;
  });
  if (!playing.ok) {
    steps.skip(4, `no playback channel (${cause(playing)})`);
    steps.skip(5, `no playback channel (${cause(playing)})`);
    return;
  }
  const paused = await steps.run(4, async () => {
    const profile = profileOf(ami);
    if (!profile.controlPlaybackAction) return await noControlPlayback(run, profile, playback);
    for (const control of ["pause", "pause"] as const) {
      const response = await ami.send(
        actions.controlPlayback({ channel: playback, control }),
        { timeoutMs },
      );
      expectSuccess(response, "ControlPlayback", `ControlPlayback ${control}`);
    }
    return "pause ✓, pause again to resume ✓ (ControlPlayback's pause is a toggle)";
  });
  await steps.run(5, async () => {
    await hangupAndWait(run, playback);
    return `${playback} hung up (Hangup event seen)${paused.ok ? "" : " after the failed pause"}`;
  });
}

/** How the connected PBX speaks, by the version its banner names. */
function profileOf(ami: AmiClient): AsteriskProfile {
  return asteriskProfile(ami.pbx?.asterisk ?? 22);
}

/**
 * Step 5 on a PBX without the ControlPlayback action (Asterisk 11): checks
 * that it is really absent (the PBX answers "Invalid/unknown command") and
 * says what can be done there instead.
 */
async function noControlPlayback(
  run: Run,
  profile: AsteriskProfile,
  playback: string,
): Promise<string> {
  const response = await run.ami.send(
    actions.controlPlayback({ channel: playback, control: "pause" }),
    { timeoutMs: run.options.timeoutMs },
  );
  const message = response.get("Message") ?? "";
  if (response.get("Response") === "Success" || !/invalid\/unknown command/i.test(message)) {
    throw new StepFailed(
      `Asterisk ${profile.major} was expected to lack ControlPlayback, but it answered ` +
        `${response.get("Response")}: ${message}`,
    );
  }
  return `Asterisk ${profile.major} has no ControlPlayback action (it answered "${
    message.split(":")[0]
  }"): pause, resume, forward and reverse cannot be done over AMI there; a playback is ` +
    "stopped by hanging up its call (step 6)";
}

/** Why a step failed, short: `CoreShowChannels: Permission denied`, or its detail. */
function cause(result: StepResult): string {
  return result.denied ? `${result.denied}: Permission denied` : result.detail;
}

/** Whether a channel (`SIP/201-0000000a`, `Local/201@ctx-00000001;2`) belongs to extension `ext`. */
function onExtension(channel: string | undefined, ext: string): boolean {
  return channel?.match(/^[^/]+\/([^@;-]+)/)?.[1] === ext;
}

/**
 * Sends an Async Originate whose channel gets a tag of our own (and, on 12+,
 * that uniqueid), noted in the ledger, and waits for its OriginateResponse;
 * returns the answered channel.
 */
async function originateAndWait(
  run: Run,
  build: (ids: { tag: string; channelId?: string }) => actions.AmiAction,
): Promise<string> {
  const { ami, events, ledger, options: { timeoutMs } } = run;
  const actionId = crypto.randomUUID();
  const tag = `astrix-test-${crypto.randomUUID()}`;
  const ids = profileOf(ami).originateChannelId ? { tag, channelId: tag } : { tag };
  ledger.expect(actionId, tag);
  try {
    const response = await ami.send([...build(ids), ["ActionID", actionId]], { timeoutMs });
    expectSuccess(response, "Originate");
  } catch (error) {
    ledger.forget(actionId);
    throw error;
  }
  const outcome = await nextEvent(
    events,
    (e) => e.name === "OriginateResponse" && e.actionId === actionId,
    { timeoutMs, what: "no OriginateResponse" },
  );
  if (outcome.get("Response") !== "Success") {
    throw new StepFailed(
      `the call to ${outcome.get("Channel")} failed (OriginateResponse Reason ${
        outcome.get("Reason")
      }): check the extension and --dial-template`,
    );
  }
  return outcome.get("Channel")!;
}

async function hangupAndWait(run: Run, channel: string): Promise<void> {
  const { ami, events, options: { timeoutMs } } = run;
  const response = await ami.send(actions.hangup({ channel }), { timeoutMs });
  expectSuccess(response, "Hangup");
  await nextEvent(
    events,
    (e) => e.name === "Hangup" && e.get("Channel") === channel,
    { timeoutMs, what: "no Hangup event" },
  );
}
