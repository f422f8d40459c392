/**
 * What the proxy's routes ask of the PBX, whoever answers: the PBX over AMI
 * (`ami`), the simulated PBX in-process (`simulate`, the same AMI path), or
 * an upstream adapter over HTTP (`forward`). Jobs move through their states
 * as the backend learns what happened.
 *
 * @module
 */

import type { PbxIdentity } from "../../ami/versions.ts";
import type { ListenMode } from "../../ami/mod.ts";
import type { MissingFeature } from "../ami_features.ts";
import type { Job } from "../jobs.ts";

/** An active channel, to pick whom to listen to. */
export interface ChannelInfo {
  channel: string;
  /** Asterisk's state description: Up, Ringing, ... */
  state: string;
  callerIdNum: string | null;
  callerIdName: string | null;
  connectedLineNum: string | null;
  application: string | null;
  durationSeconds: number | null;
  uniqueId: string | null;
  linkedId: string | null;
}

/** Playback controls of the API (`resume` is a second pause: Asterisk's pause toggles). */
export type ControlAction = "pause" | "resume" | "forward" | "reverse" | "restart" | "stop";

/** The live channel a listen is for, as the PBX named it when checked. */
export interface ListenTarget {
  channel: string;
  /** Its Uniqueid, when the backend knows it (ChanSpy is then pinned to it). */
  uniqueId: string | null;
}

/** A listen to start for `job`. */
export interface ListenStart {
  job: Job;
  /** Where the audio goes, e.g. `SIP/201` (from the dial template). */
  listenerChannel: string;
  target: ListenTarget;
  mode: ListenMode;
}

/** A playback to start for `job`. */
export interface PlaybackStart {
  job: Job;
  listenerChannel: string;
  /** The sound file Asterisk plays, without extension. */
  file: string;
}

/** The PBX side of the proxy. */
export interface Backend {
  readonly name: "ami" | "simulate" | "forward";
  /** Can the PBX be reached now? (`/readyz`; actions fail fast with 503 when not.) */
  readonly ready: boolean;
  /** Why it cannot be reached now, in words (`/readyz`, `/status`); null while it can. */
  readonly problem: string | null;
  /** Starts connecting; returns at once. */
  start(): void;
  /**
   * What this backend's PBX account may not do, once checked at login
   * (`/readyz`, metrics; those features answer 502 at once).
   */
  readonly permissions: { checked: boolean; missing: readonly MissingFeature[] };
  /** The PBX's Asterisk version, from its banner, once connected (forward mode: unknown). */
  readonly pbx: PbxIdentity | undefined;
  channels(): Promise<ChannelInfo[]>;
  /** The live channel named exactly `channel`; throws 404 `channel_not_found` if none. */
  findTarget(channel: string): Promise<ListenTarget>;
  /** Resolves once the PBX accepted the call (the job is dialing); the job moves on as events come. */
  startListen(request: ListenStart): Promise<void>;
  startPlayback(request: PlaybackStart): Promise<void>;
  /** Throws ConflictError when the job's state does not allow the control. */
  control(job: Job, control: ControlAction): Promise<void>;
  hangup(job: Job): Promise<void>;
  /** Looks up the live jobs' calls at the PBX again (jobs taken over from another proxy). */
  recheckJobs?(): Promise<void>;
  /** Logs off and stops. */
  close(): Promise<void>;
}
