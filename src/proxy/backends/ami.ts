/**
 * The backend that talks to the PBX over AMI (and, in simulate mode, to the
 * simulated PBX over loopback: the same code path). Jobs follow the PBX's
 * events: `OriginateResponse` (answered or failed), `ChanSpyStart` (a listen
 * is live), `Hangup` (over). Pause and resume are tracked here because
 * ControlPlayback's pause is a toggle. When the AMI link drops, jobs that
 * had no channel yet fail, the others are marked; after reconnecting, each
 * live job's channel is checked and the job ended if it is gone.
 *
 * @module
 */

import {
  actions,
  AmiClient,
  type AmiClientState,
  AmiDisconnectedError,
  AmiError,
  type AmiMessage,
  type AmiStateChange,
} from "../../ami/mod.ts";
import { ConflictError } from "../errors.ts";
import { isFinal, type Job, type JobStore } from "../jobs.ts";
import type { Backend, ChannelInfo, ControlAction, ListenStart, PlaybackStart } from "./backend.ts";

/** Options of {@linkcode AmiBackend}. */
export interface AmiBackendOptions {
  client: AmiClient;
  jobs: JobStore;
  name?: "ami" | "simulate";
  /** Every AMI event, with the job it concerns if any (the SSE hub publishes it). */
  onEvent?: (event: AmiMessage, job: Job | undefined) => void;
  /** Connection state changes (logs, metrics). */
  onState?: (change: AmiStateChange) => void;
}

/** Why an Originate failed, by OriginateResponse `Reason` (Asterisk's AST_CONTROL codes). */
const ORIGINATE_REASONS: Record<string, string> = {
  "0": "the channel could not be created (unknown extension or technology?)",
  "1": "the call was hung up",
  "3": "nobody answered",
  "5": "the line was busy",
  "8": "the line was congested",
};

/** A backend on an {@linkcode AmiClient}. */
export class AmiBackend implements Backend {
  readonly name: "ami" | "simulate";
  readonly #client: AmiClient;
  readonly #jobs: JobStore;
  readonly #onEvent: (event: AmiMessage, job: Job | undefined) => void;
  /** Originates waiting for their OriginateResponse, by ActionID. */
  readonly #originating = new Map<string, Job>();
  /** Spyer channels whose ChanSpyStart came before we knew the job's channel. */
  readonly #spying = new Set<string>();
  readonly #events;
  #wasConnected = false;

  constructor(options: AmiBackendOptions) {
    this.name = options.name ?? "ami";
    this.#client = options.client;
    this.#jobs = options.jobs;
    this.#onEvent = options.onEvent ?? (() => {});
    this.#events = this.#client.events({ bufferSize: 100_000 });
    this.#client.onState((change) => {
      options.onState?.(change);
      this.#stateChanged(change.state);
    });
  }

  get ready(): boolean {
    return this.#client.state === "connected";
  }

  start(): void {
    this.#client.start();
    this.#pump();
  }

  async channels(): Promise<ChannelInfo[]> {
    const { response, events } = await this.#client.collect(actions.coreShowChannels());
    expectSuccess(response, "CoreShowChannels");
    return events.map((e) => ({
      channel: e.get("Channel") ?? "",
      state: e.get("ChannelStateDesc") ?? e.get("ChannelState") ?? "",
      callerIdNum: orNull(e.get("CallerIDNum")),
      callerIdName: orNull(e.get("CallerIDName")),
      connectedLineNum: orNull(e.get("ConnectedLineNum")),
      application: orNull(e.get("Application")),
      durationSeconds: parseDuration(e.get("Duration")),
      uniqueId: orNull(e.get("Uniqueid")),
      linkedId: orNull(e.get("Linkedid")),
    }));
  }

  async startListen(request: ListenStart): Promise<void> {
    await this.#originate(
      request.job,
      actions.originateListen({
        listenerChannel: request.listenerChannel,
        targetChannel: request.targetChannel,
        mode: request.mode,
        channelId: request.job.id,
      }),
      `calling ${request.listenerChannel} to listen to ${request.targetChannel}`,
    );
  }

  async startPlayback(request: PlaybackStart): Promise<void> {
    await this.#originate(
      request.job,
      actions.originatePlayback({
        channel: request.listenerChannel,
        file: request.file,
        channelId: request.job.id,
      }),
      `calling ${request.listenerChannel} to play ${request.job.target}`,
    );
  }

  async control(job: Job, control: ControlAction): Promise<void> {
    if (job.kind !== "playback") throw new ConflictError("Only a playback can be controlled");
    const channel = this.#liveChannel(job);
    const allowed: Record<ControlAction, readonly string[]> = {
      pause: ["active"],
      resume: ["paused"],
      forward: ["active", "paused"],
      reverse: ["active", "paused"],
      restart: ["active", "paused"],
      stop: ["active", "paused"],
    };
    if (!allowed[control].includes(job.status)) {
      throw new ConflictError(`Cannot ${control} a playback that is ${job.status}`);
    }
    const amiControl = control === "resume" ? "pause" : control; // pause toggles
    const response = await this.#client.send(
      actions.controlPlayback({ channel, control: amiControl }),
    );
    expectSuccess(response, `ControlPlayback ${amiControl}`);
    if (control === "pause") this.#jobs.transition(job, "paused", "paused");
    else if (control === "resume") this.#jobs.transition(job, "active", "resumed");
    else this.#jobs.note(job, control === "stop" ? "stop requested" : `${control} requested`);
  }

  async hangup(job: Job): Promise<void> {
    const channel = this.#liveChannel(job);
    const response = await this.#client.send(actions.hangup({ channel }));
    if (
      response.get("Response") !== "Success" &&
      /no such channel/i.test(response.get("Message") ?? "")
    ) {
      this.#jobs.transition(job, "ended", "the call had already ended");
      return;
    }
    expectSuccess(response, "Hangup");
    this.#jobs.note(job, "hangup requested");
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  async #originate(job: Job, action: actions.AmiAction, note: string): Promise<void> {
    const actionId = crypto.randomUUID();
    this.#originating.set(actionId, job);
    try {
      const response = await this.#client.send([...action, ["ActionID", actionId]]);
      expectSuccess(response, "Originate");
    } catch (error) {
      this.#originating.delete(actionId);
      this.#jobs.transition(job, "failed", `the PBX refused the call: ${(error as Error).message}`);
      throw error;
    }
    this.#jobs.transition(job, "dialing", note);
  }

  #liveChannel(job: Job): string {
    if (isFinal(job.status)) throw new ConflictError(`The job has ${job.status}`);
    if (job.channel === null) {
      throw new ConflictError(
        "The call has not been answered yet; try again when the job is active",
      );
    }
    if (!this.ready) throw new AmiDisconnectedError("Not connected to AMI");
    return job.channel;
  }

  /**
   * Reads the event stream for as long as the client lives, a burst at a
   * time: the events of one read reach the SSE hub in one tick, so each
   * subscriber gets them in one chunk.
   */
  async #pump(): Promise<void> {
    for await (const first of this.#events) {
      for (const event of [first, ...this.#events.takeBuffered()]) {
        let job: Job | undefined;
        try {
          job = this.#handle(event);
        } finally {
          this.#onEvent(event, job);
        }
      }
    }
  }

  /** Moves jobs on `event`; returns the job it concerns. */
  #handle(event: AmiMessage): Job | undefined {
    switch (event.name) {
      case "Newchannel": {
        // The Originate named the channel's uniqueid after the job (Asterisk 12+): the job
        // knows its channel while it still rings, so it can be hung up before it answers.
        const job = this.#jobs.get(event.get("Uniqueid") ?? "");
        if (!job || job.channel !== null || isFinal(job.status)) return job;
        this.#jobs.setChannel(job, event.get("Channel") ?? "");
        this.#jobs.note(job, `${job.channel} ringing`);
        return job;
      }
      case "OriginateResponse": {
        const job = this.#originating.get(event.actionId ?? "");
        if (!job) return undefined;
        this.#originating.delete(event.actionId!);
        const channel = event.get("Channel") ?? "";
        if (event.get("Response") !== "Success") {
          const reason = ORIGINATE_REASONS[event.get("Reason") ?? ""] ??
            `reason ${event.get("Reason")}`;
          this.#jobs.transition(job, "failed", `${channel}: ${reason}`);
          return job;
        }
        if (isFinal(job.status)) return job; // hung up while it rang
        this.#jobs.setChannel(job, channel);
        if (job.kind === "playback") {
          this.#jobs.transition(job, "active", `${channel} answered: playing`);
        } else if (this.#spying.delete(channel)) {
          this.#jobs.transition(job, "active", `${channel} answered: listening`);
        } else {
          this.#jobs.note(job, `${channel} answered`);
        }
        return job;
      }
      case "ChanSpyStart": {
        const spyer = event.get("SpyerChannel") ?? "";
        const job = this.#jobs.byChannel(spyer);
        if (!job) {
          this.#spying.add(spyer);
          if (this.#spying.size > 1_000) this.#spying.delete(this.#spying.values().next().value!);
          return undefined;
        }
        this.#jobs.transition(job, "active", `listening to ${event.get("SpyeeChannel")}`);
        return job;
      }
      case "ChanSpyStop": {
        const job = this.#jobs.byChannel(event.get("SpyerChannel") ?? "");
        if (job) this.#jobs.note(job, `stopped listening to ${event.get("SpyeeChannel")}`);
        return job;
      }
      case "Hangup": {
        const channel = event.get("Channel") ?? "";
        this.#spying.delete(channel);
        const job = this.#jobs.byChannel(channel);
        if (job) {
          const cause = event.get("Cause-txt") ?? event.get("Cause") ?? "";
          this.#jobs.transition(job, "ended", `${channel} hung up${cause ? ` (${cause})` : ""}`);
        }
        return job;
      }
      default: {
        const channel = event.get("Channel");
        return channel === undefined ? undefined : this.#jobs.byChannel(channel);
      }
    }
  }

  #stateChanged(state: AmiClientState): void {
    if (state === "connected") {
      if (this.#wasConnected) void this.#recheckJobs();
      this.#wasConnected = true;
      return;
    }
    if (state !== "reconnecting" && state !== "disconnected") return;
    // The link is gone: what the PBX does meanwhile is unseen.
    for (const [actionId, job] of this.#originating) {
      this.#originating.delete(actionId);
      this.#jobs.transition(
        job,
        "failed",
        "the AMI connection was lost before the call was answered",
      );
    }
    for (const job of this.#jobs.live()) {
      if (job.channel === null) {
        this.#jobs.transition(
          job,
          "failed",
          "the AMI connection was lost before the call was answered",
        );
      } else if (!job.timeline.at(-1)?.note.startsWith("AMI connection lost")) {
        this.#jobs.note(job, "AMI connection lost: following the call again once reconnected");
      }
    }
  }

  /** After a reconnect: ends the jobs whose channel went away meanwhile. */
  async #recheckJobs(): Promise<void> {
    for (const job of this.#jobs.live()) {
      if (job.channel === null) continue;
      try {
        const { response, events } = await this.#client.collect(
          actions.status({ channel: job.channel }),
        );
        if (response.get("Response") === "Success" && events.length > 0) {
          this.#jobs.note(job, "AMI reconnected: the call is still up");
        } else {
          this.#jobs.transition(job, "ended", "the call ended while the AMI connection was down");
        }
      } catch (error) {
        if (!(error instanceof AmiError)) throw error;
        // Lost again: the next reconnect checks again.
      }
    }
  }
}

function expectSuccess(response: AmiMessage, what: string): void {
  if (response.get("Response") !== "Success") {
    throw new AmiError(`${what}: ${response.get("Message") ?? response.get("Response")}`);
  }
}

function orNull(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value;
}

/** `01:02:03` → 3723. */
function parseDuration(value: string | undefined): number | null {
  const parts = value?.split(":").map(Number);
  if (!parts || parts.length !== 3 || parts.some(Number.isNaN)) return null;
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}
