/**
 * The QA view: the recordings browser (period, extension, direction, text,
 * paging by the API's cursor), a player that streams through the proxy
 * (the browser asks with Range, so seeking works; each stream is audited),
 * and "Play to my phone" as a playback job with its controls. A `user`
 * sees only its own extension's calls: the API enforces it.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { api, type Recording, unwrap } from "./api.ts";
import { useConsole } from "./context.ts";
import { ErrorNote } from "./errors.tsx";
import { usePagedList } from "./paging.ts";
import type { MessageKey } from "./i18n.ts";
import { JobsPanel } from "./jobs_panel.tsx";

const DIRECTIONS = ["inbound", "outbound", "internal", "unknown"] as const;
type Direction = typeof DIRECTIONS[number];

interface Filters {
  from: string;
  to: string;
  extension: string;
  direction: "" | Direction;
  q: string;
}

const NO_FILTERS: Filters = { from: "", to: "", extension: "", direction: "", q: "" };
const PAGE_SIZE = 25;

/** The query of `filters`: what is empty is left out. */
function queryOf(filters: Filters, cursor?: string) {
  return {
    ...(filters.from ? { from: new Date(filters.from).toISOString() } : {}),
    ...(filters.to ? { to: new Date(filters.to).toISOString() } : {}),
    ...(filters.extension ? { extension: filters.extension } : {}),
    ...(filters.direction ? { direction: filters.direction } : {}),
    ...(filters.q ? { q: filters.q } : {}),
    limit: PAGE_SIZE,
    ...(cursor ? { cursor } : {}),
  };
}

/** The recordings browser, the player and (for roles that may) play to phone. */
export function Recordings() {
  const { speaker, session, jobs, jobsChanged } = useConsole();
  const list = usePagedList(NO_FILTERS, "rec", async (filters, cursor) => {
    const page = await unwrap(
      api.GET("/recordings", { params: { query: queryOf(filters, cursor) } }),
    );
    return { rows: page.recordings, nextCursor: page.nextCursor };
  });
  const { rows, cursor, loading, error, setError, field } = list;
  const [playing, setPlaying] = useState<Recording | null>(null);
  const mayPlayToPhone = session.role !== "user";

  async function playToPhone(recording: Recording) {
    setError(null);
    try {
      const { job } = await unwrap(
        api.POST("/ami/originate/playback", { body: { recordingId: recording.id } }),
      );
      jobs.put(job);
      jobsChanged();
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <div class="split">
      <section aria-labelledby="rec-title">
        <h2 id="rec-title">{speaker.t("rec.title")}</h2>
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            list.apply();
          }}
        >
          <label for="rec-from">{speaker.t("rec.from")}</label>
          <input type="datetime-local" {...field("from")} />
          <label for="rec-to">{speaker.t("rec.to")}</label>
          <input type="datetime-local" {...field("to")} />
          {session.role !== "user" && (
            <>
              <label for="rec-extension">{speaker.t("rec.extension")}</label>
              <input type="text" inputMode="numeric" dir="ltr" size={6} {...field("extension")} />
            </>
          )}
          <label for="rec-direction">{speaker.t("rec.direction")}</label>
          <select {...field("direction")}>
            <option value="">{speaker.t("rec.direction.any")}</option>
            {DIRECTIONS.map((d) => (
              <option key={d} value={d}>{speaker.t(`rec.direction.${d}` as MessageKey)}</option>
            ))}
          </select>
          <label for="rec-q">{speaker.t("rec.search")}</label>
          <input type="search" {...field("q")} />
          <button type="submit">{speaker.t("rec.apply")}</button>
        </form>
        <ErrorNote error={error} />
        {playing && (
          <figure class="player">
            <figcaption>{speaker.t("rec.playing", { id: playing.id })}</figcaption>
            <audio
              controls
              autoplay
              preload="metadata"
              src={`/recordings/${encodeURIComponent(playing.id)}/stream`}
              aria-label={speaker.t("rec.player")}
            />
          </figure>
        )}
        {!loading && rows.length === 0
          ? <p>{speaker.t("rec.empty")}</p>
          : (
            <table class="recordings" aria-busy={loading}>
              <thead>
                <tr>
                  <th scope="col">{speaker.t("rec.started")}</th>
                  <th scope="col">{speaker.t("rec.parties")}</th>
                  <th scope="col">{speaker.t("rec.direction")}</th>
                  <th scope="col">{speaker.t("rec.duration")}</th>
                  <th scope="col">{speaker.t("rec.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((recording) => (
                  <tr key={recording.id} data-recording={recording.id}>
                    <td>
                      <time dateTime={recording.startedAt}>
                        {speaker.dateTime(recording.startedAt)}
                      </time>
                    </td>
                    <td>
                      <bdi dir="ltr">{recording.src ?? "?"} → {recording.dst ?? "?"}</bdi>
                    </td>
                    <td>{speaker.t(`rec.direction.${recording.direction}` as MessageKey)}</td>
                    <td class="num">{speaker.duration((recording.durationMs ?? 0) / 1000)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        aria-label={speaker.t("rec.playLabel", { id: recording.id })}
                        onClick={() => setPlaying(recording)}
                      >
                        {speaker.t("rec.play")}
                      </button>
                      {mayPlayToPhone && (
                        <button
                          type="button"
                          aria-label={speaker.t("rec.toPhoneLabel", { id: recording.id })}
                          onClick={() => void playToPhone(recording)}
                        >
                          {speaker.t("rec.toPhone")}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        {cursor && (
          <button
            type="button"
            disabled={loading}
            onClick={list.more}
          >
            {speaker.t("rec.more")}
          </button>
        )}
      </section>
      {mayPlayToPhone && <JobsPanel />}
    </div>
  );
}
