/**
 * Jobs: one listen or playback the proxy started, from request to hangup.
 * Ids are unguessable (128 random bits); states move
 * queued → dialing → active ⇄ paused → ended, or to failed from any
 * non-final state. `unknown` is the honest state of a job whose call the
 * proxy lost sight of before it knew the call existed (the AMI link dropped
 * with the Originate unanswered): it becomes dialing or active when the call
 * is found by its Uniqueid, failed when it is not. A job's identity at the
 * PBX is its PBX's name plus its call's Uniqueid, never the channel name
 * alone (Asterisk reuses names after a restart, and two PBXs may number their
 * calls alike): each PBX's backend sees and moves only its own jobs, through
 * {@linkcode JobStore.forPbx}. Every change is kept in the job's timeline and
 * announced to listeners (the SSE hub), with where it came from: this proxy,
 * or another proxy of the fleet (`fleet/job_sharing.ts`), whose jobs are
 * taken in by {@linkcode JobStore.adopt}. Jobs are forgotten `retentionMs`
 * after they end.
 *
 * @module
 */

import { DEFAULT_PBX } from "./pbx_names.ts";

/** What a job does. */
export type JobKind = "listen" | "playback";
/** Where a job can be. */
export const JOB_STATUSES = [
  "queued",
  "dialing",
  "unknown",
  "active",
  "paused",
  "ended",
  "failed",
] as const;
/** Where a job is. */
export type JobStatus = typeof JOB_STATUSES[number];

/** One line of a job's history. */
export interface TimelineEntry {
  /** ISO 8601. */
  at: string;
  status: JobStatus;
  /** What happened, in words. */
  note: string;
}

/** A job as the API shows it. */
export interface Job {
  id: string;
  kind: JobKind;
  /** The PBX its call is on (`default` when the proxy has one unnamed PBX). */
  pbx: string;
  status: JobStatus;
  /** The user who started it (JWT sub). */
  owner: string;
  ownerRole: string;
  /** The phone the audio goes to. */
  extension: string;
  /** Listen: the channel listened to. Playback: the recording id. */
  target: string;
  mode?: string;
  /** The listener's channel once the PBX has created it. */
  channel: string | null;
  /** That channel's Uniqueid: what the proxy acts on (control, hangup), never the name. */
  uniqueId: string | null;
  createdAt: string;
  updatedAt: string;
  endedAt: string | null;
  timeline: TimelineEntry[];
}

const FINAL: ReadonlySet<JobStatus> = new Set(["ended", "failed"]);
const NEXT: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ["dialing", "unknown", "failed", "ended"],
  dialing: ["active", "unknown", "failed", "ended"],
  unknown: ["dialing", "active", "failed", "ended"],
  active: ["paused", "ended", "failed"],
  paused: ["active", "ended", "failed"],
  ended: [],
  failed: [],
};

/** Is the job over? */
export function isFinal(status: JobStatus): boolean {
  return FINAL.has(status);
}

/** The jobs of one PBX: all its backend may find and move (see {@linkcode JobStore.forPbx}). */
export interface PbxJobs {
  readonly pbx: string;
  /** The job, if it is this PBX's. */
  get(id: string): Job | undefined;
  /** This PBX's jobs not yet over. */
  live(): Job[];
  /**
   * The live job whose listener channel is named `channel`: only for events
   * that carry no Uniqueid (Asterisk 11's ChanSpyStart), while the link that
   * saw the channel created is still up.
   */
  byChannel(channel: string): Job | undefined;
  /** The live job whose call on this PBX has this Uniqueid. */
  byUniqueId(uniqueId: string): Job | undefined;
  transition(job: Job, status: JobStatus, note: string): boolean;
  note(job: Job, note: string): void;
  setCall(job: Job, call: { channel: string; uniqueId: string }): void;
}

/** Options of {@linkcode JobStore}. */
export interface JobStoreOptions {
  /** How long an ended job stays readable (ms). Default 1 hour. */
  retentionMs?: number;
  /** Most jobs kept; the oldest ended ones go first. Default 100,000. */
  maxJobs?: number;
  now?: () => number;
  /**
   * Told about every change (the SSE hub publishes it): made here (`local`), or taken in from
   * another proxy of the fleet (`fleet`).
   */
  onChange?: (job: Job, origin: JobChangeOrigin) => void;
}

/** Where a change of a job was made. */
export type JobChangeOrigin = "local" | "fleet";

/** The jobs of this proxy, in memory. */
export class JobStore {
  readonly #jobs = new Map<string, Job>();
  /** By {@linkcode callKey}: a Uniqueid names a call on one PBX only. */
  readonly #byUniqueId = new Map<string, Job>();
  /** Each owner's jobs, oldest first. */
  readonly #byOwner = new Map<string, Set<Job>>();
  readonly #retentionMs: number;
  readonly #maxJobs: number;
  readonly #now: () => number;
  readonly #onChange: (job: Job, origin: JobChangeOrigin) => void;
  #sweptAt = -Infinity;

  constructor(options: JobStoreOptions = {}) {
    this.#retentionMs = options.retentionMs ?? 3_600_000;
    this.#maxJobs = options.maxJobs ?? 100_000;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange ?? (() => {});
  }

  /** A new queued job, on `fields.pbx` (default {@linkcode DEFAULT_PBX}). */
  create(
    fields:
      & Pick<Job, "kind" | "owner" | "ownerRole" | "extension" | "target" | "mode">
      & { pbx?: string },
  ): Job {
    this.#sweep();
    const at = new Date(this.#now()).toISOString();
    const job: Job = {
      id: newJobId(),
      ...fields,
      pbx: fields.pbx ?? DEFAULT_PBX,
      status: "queued",
      channel: null,
      uniqueId: null,
      createdAt: at,
      updatedAt: at,
      endedAt: null,
      timeline: [{ at, status: "queued", note: "accepted" }],
    };
    this.#add(job);
    this.#onChange(job, "local");
    return job;
  }

  /**
   * Takes in the state another proxy wrote of a job: a job not known here
   * is added, a known one moves to it if its timeline is longer (further on:
   * the same events seen here give the same moves, which are not announced
   * twice) and, once the job has ended here, only to another end. The job
   * object stays the same, so trackers holding it follow. Returns whether
   * anything changed.
   */
  adopt(state: Job): boolean {
    this.#sweep();
    const known = this.#jobs.get(state.id);
    if (known && known.timeline.length >= state.timeline.length) return false;
    // An end seen here stands: a longer story that has not reached it yet is behind, not ahead.
    if (known && isFinal(known.status) && !isFinal(state.status)) return false;
    const job = known ?? state;
    if (known) {
      if (known.uniqueId !== null && known.uniqueId !== state.uniqueId) {
        this.#byUniqueId.delete(callKey(known.pbx, known.uniqueId));
      }
      Object.assign(known, state);
    } else {
      this.#add(job);
    }
    if (job.uniqueId !== null) this.#byUniqueId.set(callKey(job.pbx, job.uniqueId), job);
    this.#onChange(job, "fleet");
    return true;
  }

  #add(job: Job): void {
    this.#jobs.set(job.id, job);
    let own = this.#byOwner.get(job.owner);
    if (!own) this.#byOwner.set(job.owner, own = new Set());
    own.add(job);
  }

  /** The job, unless unknown or expired. */
  get(id: string): Job | undefined {
    this.#sweep();
    return this.#jobs.get(id);
  }

  /** `owner`'s jobs, newest first, at most `limit`: their own, never anyone else's. */
  ownedBy(owner: string, limit: number): Job[] {
    this.#sweep();
    const own = [...this.#byOwner.get(owner) ?? []];
    return own.slice(Math.max(0, own.length - limit)).reverse();
  }

  /** Jobs not yet over. */
  live(): Job[] {
    return [...this.#jobs.values()].filter((job) => !isFinal(job.status));
  }

  /** The jobs of PBX `pbx`, as its backend sees them: no other PBX's job is found there. */
  forPbx(pbx: string): PbxJobs {
    const own = (job: Job | undefined) => job?.pbx === pbx ? job : undefined;
    return {
      pbx,
      get: (id) => own(this.get(id)),
      live: () => this.live().filter((job) => job.pbx === pbx),
      byChannel: (channel) => this.live().find((job) => job.pbx === pbx && job.channel === channel),
      byUniqueId: (uniqueId) => {
        const job = this.#byUniqueId.get(callKey(pbx, uniqueId));
        return job && !isFinal(job.status) ? job : undefined;
      },
      transition: (job, status, note) => this.transition(job, status, note),
      note: (job, note) => this.note(job, note),
      setCall: (job, call) => this.setCall(job, call),
    };
  }

  /**
   * Moves a job to `status` with a note; a move the state machine does not
   * allow (e.g. from ended) is ignored and returns false.
   */
  transition(job: Job, status: JobStatus, note: string): boolean {
    if (!NEXT[job.status].includes(status)) return false;
    const at = new Date(this.#now()).toISOString();
    job.status = status;
    job.updatedAt = at;
    if (isFinal(status)) job.endedAt = at;
    job.timeline.push({ at, status, note });
    this.#onChange(job, "local");
    return true;
  }

  /** Adds a note without changing the state (a pause toggled, the AMI link lost). */
  note(job: Job, note: string): void {
    const at = new Date(this.#now()).toISOString();
    job.updatedAt = at;
    job.timeline.push({ at, status: job.status, note });
    this.#onChange(job, "local");
  }

  /** Records the listener's call: its channel name and Uniqueid. */
  setCall(job: Job, call: { channel: string; uniqueId: string }): void {
    if (job.uniqueId !== null && job.uniqueId !== call.uniqueId) {
      this.#byUniqueId.delete(callKey(job.pbx, job.uniqueId));
    }
    job.channel = call.channel;
    job.uniqueId = call.uniqueId;
    this.#byUniqueId.set(callKey(job.pbx, call.uniqueId), job);
  }

  /** Jobs per state, for metrics. */
  counts(): Record<JobStatus, number> {
    const counts = {
      queued: 0,
      dialing: 0,
      unknown: 0,
      active: 0,
      paused: 0,
      ended: 0,
      failed: 0,
    };
    for (const job of this.#jobs.values()) counts[job.status]++;
    return counts;
  }

  #sweep(): void {
    // At most once a second: a sweep walks every job.
    const now = this.#now();
    if (now - this.#sweptAt < 1_000 && this.#jobs.size < this.#maxJobs) return;
    this.#sweptAt = now;
    const cutoff = now - this.#retentionMs;
    for (const [id, job] of this.#jobs) {
      if (job.endedAt !== null && Date.parse(job.endedAt) < cutoff) this.#forget(id, job);
    }
    if (this.#jobs.size < this.#maxJobs) return;
    for (const [id, job] of this.#jobs) {
      if (this.#jobs.size < this.#maxJobs) break;
      if (job.endedAt !== null) this.#forget(id, job);
    }
  }

  #forget(id: string, job: Job): void {
    this.#jobs.delete(id);
    const own = this.#byOwner.get(job.owner);
    own?.delete(job);
    if (own?.size === 0) this.#byOwner.delete(job.owner);
    const key = job.uniqueId === null ? undefined : callKey(job.pbx, job.uniqueId);
    if (key !== undefined && this.#byUniqueId.get(key) === job) this.#byUniqueId.delete(key);
  }
}

/** A call's key: its PBX and its Uniqueid there (a line break is in neither). */
function callKey(pbx: string, uniqueId: string): string {
  return `${pbx}\n${uniqueId}`;
}

/** 128 random bits, base64url: not guessable, safe in a URL. */
function newJobId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `job_${
    btoa(String.fromCharCode(...bytes)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")
  }`;
}
