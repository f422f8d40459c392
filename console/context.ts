/**
 * What every view of the console reads: the words and formats of the
 * chosen language, the logged-in session, the shared event stream and the
 * user's jobs.
 *
 * @module
 */

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Role } from "./api.ts";
import { type Speaker, speaker } from "./i18n.ts";
import type { JobList } from "./jobs.ts";
import type { LiveStream } from "./live.ts";

/** The logged-in user, as `GET /console/session` answers. */
export interface Session {
  userId: string;
  role: Role;
  ext: string | null;
  expiresAt: string;
  csrfToken: string;
}

/** The console's shared state. */
export interface ConsoleState {
  speaker: Speaker;
  session: Session;
  live: LiveStream;
  jobs: JobList;
  /** Call after changing `jobs` outside a job event (a job just started). */
  jobsChanged(): void;
}

export const ConsoleContext = createContext<ConsoleState | null>(null);
export const SpeakerContext = createContext<Speaker>(speaker("en"));

/** The console's state (inside the logged-in app). */
export function useConsole(): ConsoleState {
  const state = useContext(ConsoleContext);
  if (!state) throw new Error("useConsole outside the logged-in console");
  return state;
}

/** The words and formats of the chosen language. */
export function useSpeaker(): Speaker {
  return useContext(SpeakerContext);
}
