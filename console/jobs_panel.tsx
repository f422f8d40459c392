/**
 * The user's jobs, live: each with its state and timeline, Hang up while
 * it runs, and for a playback the controls its state allows (pause when
 * active, resume when paused, ...). The buttons follow the job's real
 * state as the stream reports it, not what was last clicked.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { api, type Job, unwrap } from "./api.ts";
import { useConsole } from "./context.ts";
import { ErrorNote } from "./errors.tsx";
import type { MessageKey } from "./i18n.ts";
import { FINAL_STATES } from "./jobs.ts";

const CONTROLS = ["pause", "resume", "forward", "reverse", "restart", "stop"] as const;
type Control = typeof CONTROLS[number];

/** Which controls a playback in `status` takes. */
function controlAllowed(control: Control, status: Job["status"]): boolean {
  if (control === "resume") return status === "paused";
  if (control === "stop") return status === "active" || status === "paused";
  return status === "active";
}

/** The user's jobs. */
export function JobsPanel() {
  const { speaker, jobs, jobsChanged } = useConsole();
  const [error, setError] = useState<unknown>(null);

  async function act(run: () => Promise<{ job: Job }>) {
    setError(null);
    try {
      jobs.put((await run()).job);
      jobsChanged();
    } catch (failure) {
      setError(failure);
    }
  }
  const hangUp = (job: Job) =>
    act(() => unwrap(api.POST("/ami/jobs/{id}/hangup", { params: { path: { id: job.id } } })));
  const control = (job: Job, control: Control) =>
    act(() => unwrap(api.POST("/ami/control/playback", { body: { jobId: job.id, control } })));

  const list = jobs.list();
  return (
    <section aria-labelledby="jobs-title" class="jobs">
      <h2 id="jobs-title">{speaker.t("jobs.title")}</h2>
      <ErrorNote error={error} />
      {list.length === 0 ? <p>{speaker.t("jobs.empty")}</p> : (
        <ul>
          {list.map((job) => (
            <li key={job.id} data-job={job.id} data-status={job.status} class={`job ${job.status}`}>
              <p>
                <strong>{speaker.t(`jobs.kind.${job.kind}` as MessageKey)}</strong>{" "}
                <bdi dir="ltr">{job.target}</bdi>
                {" · "}
                <span class="status" data-testid="job-status">
                  {speaker.t(`status.${job.status}` as MessageKey)}
                </span>
              </p>
              {job.kind === "playback" && (
                <div role="group" aria-label={speaker.t("control.label", { id: job.id })}>
                  {CONTROLS.map((name) => (
                    <button
                      type="button"
                      key={name}
                      data-control={name}
                      disabled={!controlAllowed(name, job.status)}
                      onClick={() => void control(job, name)}
                    >
                      {speaker.t(`control.${name}` as MessageKey)}
                    </button>
                  ))}
                </div>
              )}
              {!FINAL_STATES.has(job.status) && (
                <button
                  type="button"
                  class="danger"
                  aria-label={speaker.t("jobs.hangupLabel", { id: job.id })}
                  onClick={() => void hangUp(job)}
                >
                  {speaker.t("jobs.hangup")}
                </button>
              )}
              <details>
                <summary>{speaker.t("jobs.timeline")}</summary>
                <ol>
                  {job.timeline.map((entry, i) => (
                    <li key={i}>
                      <time dateTime={entry.at}>{speaker.dateTime(entry.at)}</time>{" "}
                      {speaker.t(`status.${entry.status}` as MessageKey)}: {entry.note}
                    </li>
                  ))}
                </ol>
              </details>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
