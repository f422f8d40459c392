/**
 * The backend that forwards to an upstream adapter over HTTP (the seed's
 * forward mode): the same routes (`/ami/channels`, `/ami/originate/*`,
 * `/ami/control/playback`, `/ami/jobs/:id`, `/ami/jobs/:id/hangup`), with the
 * caller's identity in `X-Astrix-User` / `X-Astrix-Role` headers and a time
 * limit on every call. Auth, roles and the audit stay here. Each local job
 * follows its upstream job by polling it until it ends; the upstream's
 * `/healthz` tells readiness.
 *
 * @module
 */

import { ConflictError, ProxyError } from "../errors.ts";
import { isFinal, type Job, JOB_STATUSES, type JobStatus, type JobStore } from "../jobs.ts";
import type {
  Backend,
  ChannelInfo,
  ControlAction,
  ListenStart,
  ListenTarget,
  PlaybackStart,
} from "./backend.ts";

/** Options of {@linkcode ForwardBackend}. */
export interface ForwardOptions {
  url: URL;
  jobs: JobStore;
  /** Sent as `Authorization: Bearer` to the upstream, if it wants one. */
  token?: string;
  /** Limit of each upstream call, in ms. Default 10,000. */
  timeoutMs?: number;
  /** How often live jobs and the upstream's health are polled, in ms. Default 1,000. */
  pollMs?: number;
}

const STATUSES: ReadonlySet<string> = new Set(JOB_STATUSES);

/** A backend over an upstream adapter's HTTP API. */
export class ForwardBackend implements Backend {
  readonly name = "forward";
  readonly #base: string;
  readonly #jobs: JobStore;
  readonly #token?: string;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  /** Local job id → upstream job id. */
  readonly #upstream = new Map<string, string>();
  #ready = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling = false;

  constructor(options: ForwardOptions) {
    this.#base = options.url.href.replace(/\/+$/, "");
    this.#jobs = options.jobs;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 1_000;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get problem(): string | null {
    return this.#ready ? null : `the upstream adapter's ${this.#base}/healthz does not answer 200`;
  }

  start(): void {
    void this.#poll();
    this.#timer = setInterval(() => void this.#poll(), this.#pollMs);
  }

  /** The upstream checks its own PBX's accounts. */
  readonly permissions = { checked: true, missing: [] };
  /** The upstream proxy talks to the PBX: its own `/readyz` says which. */
  readonly pbx = undefined;

  /** The upstream's channels, in this API's shape: fields it does not send are null. */
  async channels(): Promise<ChannelInfo[]> {
    const { channels } = await this.#call<{ channels?: unknown }>("GET", "/ami/channels");
    if (!Array.isArray(channels)) {
      throw new ProxyError(502, "upstream_error", "The upstream adapter answered without channels");
    }
    return channels.map(channelFromUpstream);
  }

  /** The upstream adapter checks the target itself (it answers 404 when there is none). */
  findTarget(channel: string): Promise<ListenTarget> {
    return Promise.resolve({ channel, uniqueId: null });
  }

  async startListen(request: ListenStart): Promise<void> {
    await this.#startJob(request.job, "/ami/originate/listen", {
      targetChannel: request.target.channel,
      listenerExtension: request.job.extension,
      mode: request.mode,
    });
  }

  async startPlayback(request: PlaybackStart): Promise<void> {
    await this.#startJob(request.job, "/ami/originate/playback", {
      recordingId: request.job.target,
      targetExtension: request.job.extension,
    });
  }

  async control(job: Job, control: ControlAction): Promise<void> {
    const upstreamId = this.#upstreamId(job);
    const answer = await this.#call<{ job?: { status?: string } }>(
      "POST",
      "/ami/control/playback",
      job,
      {
        jobId: upstreamId,
        control,
      },
    );
    this.#follow(job, answer.job?.status, `${control} (upstream)`);
  }

  async hangup(job: Job): Promise<void> {
    const upstreamId = this.#upstreamId(job);
    await this.#call("POST", `/ami/jobs/${encodeURIComponent(upstreamId)}/hangup`, job);
    this.#jobs.note(job, "hangup requested");
  }

  close(): Promise<void> {
    clearInterval(this.#timer);
    return Promise.resolve();
  }

  async #startJob(job: Job, path: string, body: unknown): Promise<void> {
    let answer: { jobId?: unknown };
    try {
      answer = await this.#call("POST", path, job, body);
    } catch (error) {
      this.#jobs.transition(job, "failed", `the upstream refused: ${(error as Error).message}`);
      throw error;
    }
    if (typeof answer.jobId !== "string") {
      this.#jobs.transition(job, "failed", "the upstream answered without a jobId");
      throw new ProxyError(502, "upstream_error", "The upstream adapter answered without a jobId");
    }
    this.#upstream.set(job.id, answer.jobId);
    this.#jobs.transition(job, "dialing", `forwarded to the upstream as ${answer.jobId}`);
  }

  #upstreamId(job: Job): string {
    if (isFinal(job.status)) throw new ConflictError(`The job has ${job.status}`);
    const id = this.#upstream.get(job.id);
    if (!id) throw new ConflictError("The job has not reached the upstream yet");
    return id;
  }

  /** Moves the local job to the upstream job's state. */
  #follow(job: Job, status: string | undefined, note: string): void {
    if (status === undefined || !STATUSES.has(status) || status === job.status) return;
    const target = status as JobStatus;
    // The upstream may have moved on by several states between two polls: pass through them.
    if (!isFinal(target)) {
      const order: JobStatus[] = ["queued", "dialing", "active"];
      const goal = order.indexOf(target === "paused" ? "active" : target);
      for (const step of order.slice(order.indexOf(job.status) + 1, goal + 1)) {
        this.#jobs.transition(job, step, note);
      }
    }
    if (job.status !== target) this.#jobs.transition(job, target, note);
    if (isFinal(job.status)) this.#upstream.delete(job.id);
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      try {
        const response = await fetch(`${this.#base}/healthz`, {
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
        await response.body?.cancel();
        this.#ready = response.ok;
      } catch {
        this.#ready = false;
      }
      if (!this.#ready) return;
      for (const [localId, upstreamId] of this.#upstream) {
        const job = this.#jobs.get(localId);
        if (!job || isFinal(job.status)) {
          this.#upstream.delete(localId);
          continue;
        }
        try {
          const answer = await this.#call<{ job?: { status?: string } }>(
            "GET",
            `/ami/jobs/${encodeURIComponent(upstreamId)}`,
            job,
          );
          this.#follow(job, answer.job?.status, "upstream job update");
        } catch {
          // The next poll tries again.
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  async #call<T>(method: string, path: string, job?: Job, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (job) {
      headers["x-astrix-user"] = job.owner;
      headers["x-astrix-role"] = job.ownerRole;
    }
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const timeout = (error as Error).name === "TimeoutError";
      throw new ProxyError(
        timeout ? 504 : 502,
        timeout ? "upstream_timeout" : "upstream_unreachable",
        timeout
          ? "The upstream adapter did not answer in time"
          : "The upstream adapter cannot be reached",
        { cause: error },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ProxyError(
        502,
        "upstream_error",
        `The upstream adapter answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ProxyError(
        502,
        "upstream_error",
        "The upstream adapter answered something other than JSON",
      );
    }
  }
}

/** One upstream channel as a {@linkcode ChannelInfo}; 502 when it has no name. */
function channelFromUpstream(value: unknown): ChannelInfo {
  const item = (typeof value === "object" && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  if (typeof item.channel !== "string" || item.channel === "") {
    throw new ProxyError(
      502,
      "upstream_error",
      "The upstream adapter listed a channel without a name",
    );
  }
  const text = (key: string) => typeof item[key] === "string" ? item[key] as string : null;
  const duration = item.durationSeconds;
  return {
    channel: item.channel,
    state: text("state") ?? "Unknown",
    callerIdNum: text("callerIdNum"),
    callerIdName: text("callerIdName"),
    connectedLineNum: text("connectedLineNum"),
    application: text("application"),
    durationSeconds: Number.isSafeInteger(duration) && (duration as number) >= 0
      ? duration as number
      : null,
    uniqueId: text("uniqueId"),
    linkedId: text("linkedId"),
  };
}
