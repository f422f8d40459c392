/**
 * The console: asks the proxy who is logged in (`GET /console/session`),
 * shows the login view or the views the role may use (live calls for
 * supervisors and admins, recordings for everyone, audit and health for
 * admins), in English or Persian (right to left), chosen by the browser's
 * language or the switch.
 *
 * @module
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError, useCsrfToken } from "./api.ts";
import { AuditView } from "./audit.tsx";
import { Board } from "./board.tsx";
import { ConsoleContext, type Session, SpeakerContext, useSpeaker } from "./context.ts";
import { HealthView } from "./health.tsx";
import {
  initialLanguage,
  type Language,
  LANGUAGES,
  type MessageKey,
  speaker as speakerOf,
  storeLanguage,
} from "./i18n.ts";
import { JobList } from "./jobs.ts";
import { LiveStream } from "./live.ts";
import { Login } from "./login.tsx";
import { Recordings } from "./recordings.tsx";

type View = "board" | "recordings" | "audit" | "health";

/** The views each role may open, the first being its home. */
const VIEWS: Record<Session["role"], readonly View[]> = {
  user: ["recordings"],
  qa: ["recordings"],
  supervisor: ["board", "recordings"],
  admin: ["board", "recordings", "audit", "health"],
};
/** Roles that read the event stream (the API's `events` permission). */
const STREAM_ROLES: ReadonlySet<string> = new Set(["qa", "supervisor", "admin"]);

function viewOfHash(views: readonly View[]): View {
  const asked = location.hash.replace(/^#\/?/, "") as View;
  return views.includes(asked) ? asked : views[0];
}

/** The whole page. */
export function App() {
  const [language, setLanguage] = useState<Language>(initialLanguage);
  const speaker = useMemo(() => speakerOf(language), [language]);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const expired = new URLSearchParams(location.search).get("login") === "expired";

  useEffect(() => {
    document.documentElement.lang = language;
    document.documentElement.dir = speaker.dir;
    document.title = speaker.t("app.title");
  }, [speaker]);

  useEffect(() => {
    api.GET("/console/session").then(({ data, response }) => {
      if (response.ok && data) login(data.session as Session);
      else setSession(null);
    }, () => setSession(null));
  }, []);

  function login(next: Session) {
    useCsrfToken(next.csrfToken);
    if (expired) history.replaceState(null, "", location.pathname + location.hash);
    setSession(next);
  }

  function pickLanguage(next: Language) {
    storeLanguage(next);
    setLanguage(next);
  }

  return (
    <SpeakerContext.Provider value={speaker}>
      <a class="skip" href="#content">{speaker.t("app.skip")}</a>
      <header>
        <span class="brand">{speaker.t("app.title")}</span>
        <label class="language">
          {speaker.t("lang.label")}{" "}
          <select
            value={language}
            onChange={(e) => pickLanguage((e.target as HTMLSelectElement).value as Language)}
          >
            {(Object.entries(LANGUAGES) as [Language, string][]).map(([code, name]) => (
              <option key={code} value={code} lang={code}>{name}</option>
            ))}
          </select>
        </label>
      </header>
      {session === undefined
        ? <p role="status">{speaker.t("loading")}</p>
        : session === null
        ? <Login onLogin={login} expired={expired} />
        : <LoggedIn session={session} onLogout={() => setSession(null)} />}
    </SpeakerContext.Provider>
  );
}

/** The views of a logged-in user. */
function LoggedIn({ session, onLogout }: { session: Session; onLogout(): void }) {
  const speaker = useSpeaker();
  const views = VIEWS[session.role];
  const [view, setView] = useState<View>(() => viewOfHash(views));
  const live = useMemo(() => new LiveStream(), []);
  const jobs = useMemo(() => new JobList(), []);
  const [, setJobsVersion] = useState(0);

  useEffect(() => {
    const offJob = live.onJob((event) => {
      if (jobs.apply(event)) setJobsVersion(jobs.version);
    });
    // The user's jobs survive a reload: read them now, and again when the stream (re)opens.
    const readJobs = () =>
      api.GET("/ami/jobs", { params: { query: { limit: 50 } } }).then(({ data }) => {
        for (const job of data?.jobs ?? []) jobs.put(job);
        setJobsVersion(jobs.version);
      }, () => {});
    void readJobs();
    const offResync = live.onResync(() => void readJobs());
    if (STREAM_ROLES.has(session.role)) live.open();
    const onHash = () => setView(viewOfHash(views));
    addEventListener("hashchange", onHash);
    return () => {
      offJob();
      offResync();
      live.close();
      removeEventListener("hashchange", onHash);
    };
  }, [live, jobs]);

  async function logout() {
    try {
      await api.POST("/console/logout");
    } catch (error) {
      if (!(error instanceof ApiError)) console.warn("logout", error);
    }
    useCsrfToken(null);
    live.close();
    onLogout();
  }

  return (
    <ConsoleContext.Provider
      value={{
        speaker,
        session,
        live,
        jobs,
        jobsChanged: () => setJobsVersion(jobs.version),
      }}
    >
      <nav aria-label={speaker.t("nav.label")}>
        <ul>
          {views.map((name) => (
            <li key={name}>
              <a href={`#/${name}`} aria-current={view === name ? "page" : undefined}>
                {speaker.t(`nav.${name}` as MessageKey)}
              </a>
            </li>
          ))}
        </ul>
        <p class="who">
          {speaker.t("session.user", {
            user: session.userId,
            role: speaker.t(`role.${session.role}` as MessageKey),
            ext: session.ext ?? "—",
          })}{" "}
          <button type="button" onClick={() => void logout()}>{speaker.t("session.logout")}</button>
        </p>
      </nav>
      <main id="content" tabIndex={-1}>
        {view === "board" && <Board />}
        {view === "recordings" && <Recordings />}
        {view === "audit" && <AuditView />}
        {view === "health" && <HealthView />}
      </main>
    </ConsoleContext.Provider>
  );
}
