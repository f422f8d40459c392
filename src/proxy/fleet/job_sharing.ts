/**
 * Jobs shared by several proxies through PostgreSQL (the database of their
 * shared audit), so that they act as one:
 * - every change of a job this proxy owns is written to `astrix_jobs` and
 *   announced (`NOTIFY astrix_jobs`); the other proxies read it and keep a
 *   copy, so a job started through A is listed, read, controlled and hung up
 *   through B, and B's event stream carries its changes;
 * - every proxy follows every job's call through its own AMI link (the
 *   PBX's events reach them all, by Uniqueid) and acts on it (control,
 *   hangup); each change is written with the job's whole timeline, and a
 *   copy moves only to a longer one (the same event seen by two proxies is
 *   one change, not two);
 * - a job is owned by the proxy that started it, until that proxy stops;
 * - each proxy announces itself every `heartbeatMs` (`astrix_proxies`, the
 *   database's clock); the live jobs of one silent for `deadAfterMs` are
 *   taken over, in one UPDATE that one proxy wins, which looks their calls
 *   up at the PBX again (they may have moved while nobody wrote). A proxy
 *   that stops cleanly hands its jobs over at the next heartbeat.
 *
 * @module
 */

import type { Sql } from "../../audit/pg/connect.ts";
import type { Logger } from "../../log.ts";
import { isFinal, type Job } from "../jobs.ts";

/** The channel job changes are announced on; the payload is `{ id, proxy }`. */
export const JOBS_CHANNEL = "astrix_jobs";

/** What job sharing needs of the proxy's job store. */
export interface SharedJobStore {
  /** Takes in the state another proxy wrote of a job (see `JobStore.adopt`). */
  adopt(job: Job): boolean;
  get(id: string): Job | undefined;
}

/** Options of {@linkcode JobSharing.start}. */
export interface JobSharingOptions {
  /** This proxy's id (random per process) and what logs call it. */
  proxyId: string;
  description: string;
  store: SharedJobStore;
  logger: Logger;
  /** How long ended jobs stay readable, in ms. */
  retentionMs: number;
  /** How often this proxy announces itself, in ms. Default 2,000. */
  heartbeatMs?: number;
  /** How long a proxy may stay silent before its live jobs are taken over, in ms. Default 10,000. */
  deadAfterMs?: number;
  /** Told about jobs this proxy took over: its backends check their calls at the PBX. */
  onTakeover: (jobs: Job[]) => void;
}

/** This proxy's part in the fleet's shared jobs. */
export class JobSharing {
  readonly #sql: Sql;
  readonly #options: JobSharingOptions;
  /** The newest state of each job waiting to be written, in order of last change. */
  readonly #dirty = new Map<string, Job>();
  #writing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #closed = false;

  private constructor(sql: Sql, options: JobSharingOptions) {
    this.#sql = sql;
    this.#options = options;
  }

  /**
   * Announces this proxy, loads the fleet's jobs and listens for their
   * changes, on the fleet's database (`fleet_db.ts`, which the caller ends).
   */
  static async start(sql: Sql, options: JobSharingOptions): Promise<JobSharing> {
    const sharing = new JobSharing(sql, options);
    await sharing.#heartbeat();
    const { unlisten } = await sql.listen(
      JOBS_CHANNEL,
      (payload) => sharing.#announced(payload),
      () => void sharing.#loadAll(),
    );
    sharing.#unlisten = unlisten;
    sharing.#timer = setInterval(() => void sharing.#beat(), options.heartbeatMs ?? 2_000);
    return sharing;
  }

  /** A job this proxy owns changed: written (coalesced with its later changes) and announced. */
  publish(job: Job): void {
    if (this.#closed) return;
    this.#dirty.delete(job.id); // moved to the end: written after the changes before it
    this.#dirty.set(job.id, job);
    this.#writing ??= this.#flush();
  }

  /** Writes what is pending, hands this proxy's live jobs over, stops (the connection stays). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#writing;
    await this.#unlisten?.();
    try {
      // Silent from now on: another proxy takes its live jobs over at its next heartbeat.
      await this
        .#sql`UPDATE astrix_proxies SET seen_at = '-infinity' WHERE id = ${this.#options.proxyId}`;
    } catch (error) {
      this.#options.logger.warn("could not hand the shared jobs over", {
        error: (error as Error).message,
      });
    }
  }

  async #flush(): Promise<void> {
    let failing = false;
    while (this.#dirty.size > 0) {
      const [id, job] = this.#dirty.entries().next().value!;
      this.#dirty.delete(id);
      try {
        await this.#write(job);
        if (failing) this.#options.logger.info("shared jobs written again");
        failing = false;
      } catch (error) {
        // Said once per outage; the jobs wait (their newest state only) and are written after.
        if (!failing) {
          this.#options.logger.warn("shared jobs cannot be written; retrying every 0.5 s", {
            job: id,
            error: (error as Error).message,
          });
        }
        failing = true;
        if (!this.#dirty.has(id)) this.#dirty.set(id, job);
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (this.#closed) break;
      }
    }
    this.#writing = undefined;
  }

  async #write(job: Job): Promise<void> {
    const me = this.#options.proxyId;
    await this.#sql.begin(async (tx) => {
      // The first writer owns it; a later state replaces the stored one only if it is further on.
      await tx`INSERT INTO astrix_jobs
          (id, pbx, owner, proxy, status, steps, ended_at, job, updated_at)
        VALUES (${job.id}, ${job.pbx}, ${job.owner}, ${me}, ${job.status}, ${job.timeline.length},
          ${job.endedAt}, ${JSON.stringify(job)}, now())
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, steps = excluded.steps,
          ended_at = excluded.ended_at, job = excluded.job, updated_at = now()
        WHERE astrix_jobs.steps < excluded.steps`;
      await tx`SELECT pg_notify(${JOBS_CHANNEL}, ${JSON.stringify({ id: job.id, proxy: me })})`;
    });
  }

  /** Another proxy announced a change: its job is read and taken in. */
  async #announced(payload: string): Promise<void> {
    let note: { id?: unknown; proxy?: unknown };
    try {
      note = JSON.parse(payload);
    } catch {
      return;
    }
    if (typeof note.id !== "string" || note.proxy === this.#options.proxyId) return;
    try {
      const [row] = await this.#sql`SELECT job FROM astrix_jobs WHERE id = ${note.id}`;
      if (row) this.#options.store.adopt(JSON.parse(row.job));
    } catch (error) {
      this.#options.logger.warn("a shared job could not be read", {
        job: note.id,
        error: (error as Error).message,
      });
    }
  }

  /** Every job of the fleet still readable (at start, and when the listening link comes back). */
  async #loadAll(): Promise<void> {
    try {
      const rows = await this.#sql`SELECT job FROM astrix_jobs
        WHERE ended_at IS NULL
          OR ended_at > now() - ${this.#options.retentionMs} * interval '1 millisecond'
        ORDER BY updated_at`;
      for (const row of rows) this.#options.store.adopt(JSON.parse(row.job));
    } catch (error) {
      // The next (re)connection of the listening link loads them again.
      this.#options.logger.warn("the fleet's shared jobs could not be loaded", {
        error: (error as Error).message,
      });
    }
  }

  async #beat(): Promise<void> {
    try {
      await this.#heartbeat();
      await this.#takeOver();
      await this.#sql`DELETE FROM astrix_jobs
        WHERE ended_at < now() - ${this.#options.retentionMs} * interval '1 millisecond'`;
    } catch (error) {
      this.#options.logger.warn("the fleet's shared jobs cannot be reached", {
        error: (error as Error).message,
      });
    }
  }

  async #heartbeat(): Promise<void> {
    await this.#sql`INSERT INTO astrix_proxies (id, description, seen_at)
      VALUES (${this.#options.proxyId}, ${this.#options.description}, now())
      ON CONFLICT (id) DO UPDATE SET seen_at = now()`;
  }

  /** The live jobs of proxies silent for too long become this proxy's. */
  async #takeOver(): Promise<void> {
    const me = this.#options.proxyId;
    const deadAfter = this.#options.deadAfterMs ?? 10_000;
    const rows = await this.#sql`UPDATE astrix_jobs SET proxy = ${me}, updated_at = now()
      WHERE ended_at IS NULL AND proxy <> ${me} AND proxy IN (
        SELECT id FROM astrix_proxies
        WHERE seen_at < now() - ${deadAfter} * interval '1 millisecond')
      RETURNING id, job`;
    if (rows.length === 0) return;
    for (const row of rows) this.#options.store.adopt(JSON.parse(row.job));
    const jobs = rows.map((row) => this.#options.store.get(String(row.id)))
      .filter((job): job is Job => job !== undefined && !isFinal(job.status));
    this.#options.logger.warn("took over the live jobs of a proxy that stopped answering", {
      jobs: jobs.map((job) => job.id),
    });
    this.#options.onTakeover(jobs);
  }
}
