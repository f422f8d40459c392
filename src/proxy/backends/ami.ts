/**
 * The backend that talks to the PBX over AMI (and, in simulate mode, to the
 * simulated PBX over loopback: the same code path). A job acts only on its
 * own call, named by Uniqueid: ControlPlayback and Hangup are sent with the
 * call's Uniqueid as `Channel` (Asterisk looks a channel up by name, then by
 * Uniqueid), so they cannot reach a stranger's call that took the name. The
 * target of a listen is checked among the live channels first (`Status`,
 * exact) and ChanSpy is pinned to its Uniqueid. An action whose answer was
 * lost with the link is reported as what it is: its outcome is unknown.
 * Jobs follow the PBX's events through {@linkcode AmiJobTracker}. At every
 * login, ListCommands tells which features this AMI user cannot use.
 *
 * @module
 */

import {
  ACTION_WRITE_CLASSES,
  actions,
  AmiClient,
  type AmiClientState,
  AmiDisconnectedError,
  AmiError,
  type AmiMessage,
  AmiOutcomeUnknownError,
  type AmiStateChange,
  AmiTimeoutError,
  isEventGap,
  listedActions,
  type PbxIdentity,
} from "../../ami/mod.ts";
import { type AsteriskProfile, asteriskProfile } from "../../ami/profiles.ts";
import { type AmiFeature, type MissingFeature, missingFeatures } from "../ami_features.ts";
import {
  ConflictError,
  NotSupportedByPbxError,
  OutcomeUnknownError,
  ProxyError,
} from "../errors.ts";
import { isFinal, type Job, type JobStore, type PbxJobs } from "../jobs.ts";
import { DEFAULT_PBX } from "../pbx_names.ts";
import { AmiJobTracker } from "./ami_jobs.ts";
import type {
  Backend,
  ChannelInfo,
  ControlAction,
  ListenStart,
  ListenTarget,
  PlaybackStart,
} from "./backend.ts";

/** Options of {@linkcode AmiBackend}. */
export interface AmiBackendOptions {
  client: AmiClient;
  jobs: JobStore;
  /** The PBX's name: its jobs are this PBX's jobs of `jobs`. Default {@linkcode DEFAULT_PBX}. */
  pbx?: string;
  name?: "ami" | "simulate";
  /** The AMI user, named in permission messages. */
  username?: string;
  /** Every AMI event, with the job it concerns if any (the SSE hub publishes it). */
  onEvent?: (event: AmiMessage, job: Job | undefined) => void;
  /** `lost` events were dropped at this point of the stream: the proxy fell behind the PBX. */
  onEventsLost?: (lost: number) => void;
  /** Events buffered for the job tracker and the SSE hub before the oldest are dropped. Default 100,000. */
  eventBufferSize?: number;
  /** Connection state changes (logs, metrics). */
  onState?: (change: AmiStateChange) => void;
  /** What this AMI user cannot do, after each login's check (logs, readiness). */
  onPermissions?: (missing: readonly MissingFeature[]) => void;
}

/** A backend on an {@linkcode AmiClient}. */
export class AmiBackend implements Backend {
  readonly name: "ami" | "simulate";
  readonly #client: AmiClient;
  readonly #jobs: PbxJobs;
  readonly #username: string;
  readonly #tracker: AmiJobTracker;
  readonly #onEvent: (event: AmiMessage, job: Job | undefined) => void;
  readonly #onEventsLost: (lost: number) => void;
  /** The check of the jobs' calls after a gap, while it runs; and events lost since it began. */
  #gapCheck: Promise<void> | undefined;
  #gapLostSince = 0;
  readonly #onPermissions: (missing: readonly MissingFeature[]) => void;
  readonly #events;
  #wasConnected = false;
  /** Why the last connection attempt or link failed, until logged in again. */
  #lastError: Error | undefined;
  /** What the AMI user may not do; undefined until checked at login. */
  #missing: readonly MissingFeature[] | undefined;

  constructor(options: AmiBackendOptions) {
    this.name = options.name ?? "ami";
    this.#client = options.client;
    this.#jobs = options.jobs.forPbx(options.pbx ?? DEFAULT_PBX);
    this.#username = options.username ?? "the AMI user";
    this.#onEvent = options.onEvent ?? (() => {});
    this.#onEventsLost = options.onEventsLost ?? (() => {});
    this.#onPermissions = options.onPermissions ?? (() => {});
    this.#tracker = new AmiJobTracker(this.#jobs, {
      hangUp: (job) =>
        void this.#client.send(actions.hangup({ channel: job.uniqueId! })).catch(() => {}),
    });
    // Drop-oldest, not backpressure: a stalled proxy must not hold the PBX's event queue up.
    this.#events = this.#client.events({ bufferSize: options.eventBufferSize ?? 100_000 });
    this.#client.onState((change) => {
      options.onState?.(change);
      this.#lastError = change.error ??
        (change.state === "connected" ? undefined : this.#lastError);
      this.#stateChanged(change.state);
    });
  }

  get ready(): boolean {
    return this.#client.state === "connected";
  }

  get problem(): string | null {
    if (this.ready) return null;
    const why = this.#lastError ? `: ${this.#lastError.message}` : " yet";
    return `not logged in to AMI${why}`;
  }

  get pbx(): PbxIdentity | undefined {
    return this.#client.pbx;
  }

  get permissions(): { checked: boolean; missing: readonly MissingFeature[] } {
    return { checked: this.#missing !== undefined, missing: this.#missing ?? [] };
  }

  start(): void {
    this.#client.start();
    this.#pump();
  }

  async channels(): Promise<ChannelInfo[]> {
    this.#refuseMissing("channels");
    const { response, events } = await this.#client.collect(actions.coreShowChannels());
    this.#expectSuccess(response, "CoreShowChannels");
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

  async findTarget(channel: string): Promise<ListenTarget> {
    this.#refuseMissing("listen");
    const { response, events } = await this.#client.collect(actions.status({ channel }));
    // Status looks a channel up by exact name (or Uniqueid): ChanSpy's prefix match is not used.
    const match = events.find((e) => e.get("Channel")?.toLowerCase() === channel.toLowerCase());
    if (response.get("Response") === "Success" && match) {
      return { channel: match.get("Channel")!, uniqueId: orNull(match.get("Uniqueid")) };
    }
    if (response.get("Response") === "Success" || isNoSuchChannel(response)) {
      throw new ProxyError(
        404,
        "channel_not_found",
        `No live channel is named "${channel}" (names are exact: list them with GET /ami/channels)`,
      );
    }
    this.#expectSuccess(response, "Status");
    throw new AmiError(`Status of ${channel}: unexpected answer`);
  }

  async startListen(request: ListenStart): Promise<void> {
    this.#refuseMissing("listen");
    const profile = this.#profile;
    const exact = profile.chanSpyExactOption;
    await this.#originate(
      request.job,
      actions.originateListen({
        listenerChannel: request.listenerChannel,
        // ChanSpy's u: the one call checked, by Uniqueid, even if its name were reused. Without
        // u (Asterisk 11) the full name Status just found live, which no other name starts with.
        targetChannel: exact
          ? request.target.uniqueId ?? request.target.channel
          : request.target.channel,
        mode: request.mode,
        exactOption: exact,
        ...this.#callIds(request.job),
      }),
      `calling ${request.listenerChannel} to listen to ${request.target.channel}`,
      request.target.uniqueId,
    );
  }

  async startPlayback(request: PlaybackStart): Promise<void> {
    this.#refuseMissing("playback");
    await this.#originate(
      request.job,
      actions.originatePlayback({
        channel: request.listenerChannel,
        file: request.file,
        ...this.#callIds(request.job),
      }),
      `calling ${request.listenerChannel} to play ${request.job.target}`,
    );
  }

  async control(job: Job, control: ControlAction): Promise<void> {
    if (job.kind !== "playback") throw new ConflictError("Only a playback can be controlled");
    const uniqueId = this.#ownCall(job);
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
    if (!this.#profile.controlPlaybackAction) return this.#controlWithoutAction(job, control);
    this.#refuseMissing("control");
    const amiControl = control === "resume" ? "pause" : control; // pause toggles
    const response = await this.#act(
      job,
      actions.controlPlayback({ channel: uniqueId, control: amiControl }),
      `ControlPlayback ${amiControl}`,
    );
    if (isNoSuchChannel(response)) {
      this.#jobs.transition(job, "ended", "the call had already ended");
      throw new ConflictError("The job's call has already ended");
    }
    this.#expectSuccess(response, `ControlPlayback ${amiControl}`);
    if (control === "pause") this.#jobs.transition(job, "paused", "paused");
    else if (control === "resume") this.#jobs.transition(job, "active", "resumed");
    else if (!isFinal(job.status)) {
      this.#jobs.note(job, control === "stop" ? "stop requested" : `${control} requested`);
    }
  }

  /**
   * Asterisk 11 has no ControlPlayback action: stopping is hanging the call
   * up (the file stops with it); nothing else can reach the playing file.
   */
  async #controlWithoutAction(job: Job, control: ControlAction): Promise<void> {
    const major = this.#profile.major;
    if (control !== "stop") {
      throw new NotSupportedByPbxError(
        `The PBX runs Asterisk ${major}, which has no ControlPlayback action: a playback there ` +
          `cannot ${control} (Asterisk 12 or later can). It can be stopped: control "stop" ` +
          "hangs its call up",
      );
    }
    this.#jobs.note(job, `stop: Asterisk ${major} has no ControlPlayback, so the call is hung up`);
    await this.hangup(job);
  }

  async hangup(job: Job): Promise<void> {
    const uniqueId = this.#ownCall(job);
    this.#refuseMissing("hangup");
    const response = await this.#act(job, actions.hangup({ channel: uniqueId }), "Hangup");
    if (isNoSuchChannel(response)) {
      this.#jobs.transition(job, "ended", "the call had already ended");
      return;
    }
    this.#expectSuccess(response, "Hangup");
    // The Hangup event may have ended the job already.
    if (!isFinal(job.status)) this.#jobs.note(job, "hangup requested");
  }

  /**
   * Looks up every live job's call on this PBX by Uniqueid and moves each job
   * to what it finds, as after a reconnect: jobs taken over from a proxy that
   * stopped answering may have moved meanwhile. Not connected: the next
   * login checks them anyway.
   */
  async recheckJobs(): Promise<void> {
    if (!this.ready) return;
    await this.#tracker.recheck(this.#client, this.#profile.originateChannelId);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /** How the PBX speaks, by the version its banner names (22 until connected). */
  get #profile(): AsteriskProfile {
    return asteriskProfile(this.#client.pbx?.asterisk ?? 22);
  }

  /**
   * What names a job's new call: the job id as its Uniqueid (ChannelId, 12+) and as the
   * tag variable (every version; the only early way on 11, which ignores ChannelId).
   */
  #callIds(job: Job): { channelId?: string; tag: string } {
    return this.#profile.originateChannelId ? { channelId: job.id, tag: job.id } : { tag: job.id };
  }

  async #originate(
    job: Job,
    action: actions.AmiAction,
    note: string,
    targetUniqueId?: string | null,
  ): Promise<void> {
    const actionId = crypto.randomUUID();
    this.#tracker.originating(actionId, job, targetUniqueId);
    try {
      const response = await this.#client.send([...action, ["ActionID", actionId]]);
      this.#expectSuccess(response, "Originate");
    } catch (error) {
      if (answerLost(error)) {
        // It may have reached the PBX: the job looks for its call by Uniqueid (the job id).
        this.#jobs.transition(job, "unknown", `${note}: ${(error as Error).message}`);
        throw new OutcomeUnknownError(
          job.id,
          "The call was sent to the PBX but its answer was lost: it may exist. Do not start it " +
            `again; follow job ${job.id}, which looks for the call by its Uniqueid`,
          { cause: error },
        );
      }
      this.#tracker.forget(actionId);
      this.#jobs.transition(job, "failed", `the PBX refused the call: ${(error as Error).message}`);
      throw error;
    }
    if (job.status === "queued") this.#jobs.transition(job, "dialing", note);
  }

  /** Sends a control or hangup of `job`'s call; a lost answer is an unknown outcome (504). */
  async #act(job: Job, action: actions.AmiAction, what: string): Promise<AmiMessage> {
    try {
      return await this.#client.send(action);
    } catch (error) {
      if (answerLost(error)) {
        this.#jobs.note(job, `${what} sent, but its answer was lost: it may have been done`);
        throw new OutcomeUnknownError(
          job.id,
          `${what} was sent to the PBX but its answer was lost: it may have been done. ` +
            `Read job ${job.id} before trying again`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** The Uniqueid of the job's call, which control and hangup act on; 409 when there is none. */
  #ownCall(job: Job): string {
    if (isFinal(job.status)) {
      throw new ConflictError(`The job has ${job.status}: ${job.timeline.at(-1)?.note ?? ""}`);
    }
    if (job.status === "unknown") {
      throw new ConflictError(
        "The proxy does not know yet whether this job's call exists (the AMI connection was " +
          "lost); it looks for the call by Uniqueid once reconnected: read the job again shortly",
      );
    }
    if (job.uniqueId === null) {
      throw new ConflictError(
        "The call has not been answered yet; try again when the job is active",
      );
    }
    if (!this.ready) throw new AmiDisconnectedError("Not connected to AMI");
    return job.uniqueId;
  }

  /** Refuses at once what the login's check found this AMI user may not do. */
  #refuseMissing(feature: AmiFeature): void {
    const missing = this.#missing?.find((m) => m.feature === feature);
    if (missing) throw permissionError(missing.actions, this.#username);
  }

  #expectSuccess(response: AmiMessage, what: string): void {
    if (response.get("Response") === "Success") return;
    const message = response.get("Message") ?? response.get("Response") ?? "";
    if (/permission denied/i.test(message)) {
      throw permissionError([what.split(" ")[0]], this.#username);
    }
    throw new AmiError(`${what}: ${message}`);
  }

  /**
   * Reads the event stream for as long as the client lives, a burst at a
   * time: the events of one read reach the SSE hub in one tick, so each
   * subscriber gets them in one chunk. The subscription drops the oldest
   * rather than slow the PBX down; where it did, the gap is reported in its
   * place in the stream.
   */
  async #pump(): Promise<void> {
    for await (const first of this.#events) {
      for (const event of [first, ...this.#events.takeBuffered()]) {
        if (isEventGap(event)) {
          this.#onEventsLost(event.lost);
          this.#checkJobsAfterGap(event.lost);
          continue;
        }
        let job: Job | undefined;
        try {
          job = this.#tracker.handle(event);
        } finally {
          this.#onEvent(event, job);
        }
      }
    }
  }

  /** Looks up the live jobs' calls after a gap; gaps during a check make it run once more. */
  #checkJobsAfterGap(lost: number): void {
    if (this.#gapCheck) {
      this.#gapLostSince += lost;
      return;
    }
    this.#gapCheck = (async () => {
      for (let count = lost; count > 0; count = this.#gapLostSince) {
        this.#gapLostSince = 0;
        await this.#tracker.eventsLost(this.#client, count);
      }
    })().finally(() => this.#gapCheck = undefined);
  }

  #stateChanged(state: AmiClientState): void {
    if (state === "connected") {
      void this.#afterLogin(this.#wasConnected);
      this.#wasConnected = true;
      return;
    }
    if (state === "reconnecting" || state === "disconnected") this.#tracker.linkLost();
  }

  /** Checks what this user may do (ListCommands), then, after a reconnect, the jobs' calls. */
  async #afterLogin(reconnected: boolean): Promise<void> {
    try {
      const response = await this.#client.send(actions.listCommands());
      if (response.get("Response") === "Success") {
        // Actions this version has not got at all are not a permission to grant.
        const absent = this.#profile.controlPlaybackAction ? [] : ["ControlPlayback"];
        const missing = missingFeatures(listedActions(response), absent);
        this.#missing = missing;
        this.#onPermissions(missing);
      }
    } catch (error) {
      if (!(error instanceof AmiError)) throw error;
      return; // the link went again: the next login checks
    }
    if (reconnected) await this.#tracker.recheck(this.#client, this.#profile.originateChannelId);
  }
}

/** 502 naming the manager.conf classes that would let the AMI user run `action`. */
function permissionError(refused: readonly string[], username: string): ProxyError {
  const classes = refused.map((name) =>
    `${name} needs one of ${(ACTION_WRITE_CLASSES[name] ?? ["?"]).join(", ")}`
  );
  return new ProxyError(
    502,
    "ami_permission_denied",
    `The PBX does not let the AMI user "${username}" do this: ${classes.join("; ")} in the ` +
      `user's write= line of manager.conf`,
  );
}

/** The action may have been carried out, but its answer never came (link lost, or too late). */
function answerLost(error: unknown): boolean {
  return error instanceof AmiOutcomeUnknownError || error instanceof AmiTimeoutError;
}

function isNoSuchChannel(response: AmiMessage): boolean {
  return response.get("Response") !== "Success" &&
    /no such channel/i.test(response.get("Message") ?? "");
}

/** Absent, empty, or Asterisk's placeholders for "none" (`<unknown>`, `<null>`): null. */
function orNull(value: string | undefined): string | null {
  return value === undefined || value === "" || value === "<unknown>" || value === "<null>"
    ? null
    : value;
}

/** `01:02:03` → 3723. */
function parseDuration(value: string | undefined): number | null {
  const parts = value?.split(":").map(Number);
  if (!parts || parts.length !== 3 || parts.some(Number.isNaN)) return null;
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}
