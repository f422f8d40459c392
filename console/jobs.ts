/**
 * The jobs the console user started (listens, playbacks): the full job
 * from the answer that started it, then kept current by the stream's job
 * events (state and the newest timeline entry).
 *
 * @module
 */

import type { Job, JobEvent } from "./api.ts";

/** Job states after which nothing more happens. */
export const FINAL_STATES: ReadonlySet<string> = new Set(["ended", "failed"]);

/** The user's jobs, newest first. */
export class JobList {
  readonly #byId = new Map<string, Job>();
  version = 0;

  /** Adds (or replaces) a job read from the API; one older than what is held is ignored. */
  put(job: Job): void {
    const held = this.#byId.get(job.id);
    if (held && held.updatedAt > job.updatedAt) return;
    this.#byId.set(job.id, job);
    this.version++;
  }

  /** Applies a job event; true when it was one of ours and not older than what is held. */
  apply(event: JobEvent): boolean {
    const job = this.#byId.get(event.id);
    if (!job || job.updatedAt > event.updatedAt) return false;
    const { last, ...fields } = event;
    const timeline = job.timeline.at(-1)?.at === last.at && job.timeline.at(-1)?.note === last.note
      ? job.timeline
      : [...job.timeline, last];
    this.#byId.set(event.id, { ...job, ...fields, timeline });
    this.version++;
    return true;
  }

  list(): Job[] {
    return [...this.#byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
}
