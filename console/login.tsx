/**
 * The login view: paste a token (`POST /console/session`, which answers
 * with the session and sets its HttpOnly cookie). A one-click link of
 * `astrix dev` lands here with `?login=expired` when its code was used or
 * has expired.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { api, unwrap } from "./api.ts";
import type { Session } from "./context.ts";
import { useSpeaker } from "./context.ts";
import { ErrorNote } from "./errors.tsx";

/** Asks for a token; calls `onLogin` with the new session. */
export function Login({ onLogin, expired }: { onLogin(session: Session): void; expired: boolean }) {
  const speaker = useSpeaker();
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await unwrap(
        api.POST("/console/session", { body: { token: token.trim() } }),
      );
      onLogin(answer.session as Session);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="content" class="login">
      <h1>{speaker.t("login.title")}</h1>
      {expired && <p class="notice" role="status">{speaker.t("login.expired")}</p>}
      <form onSubmit={submit}>
        <label for="token">{speaker.t("login.token")}</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          dir="ltr"
          spellcheck={false}
          autocomplete="off"
          aria-describedby="token-help"
          value={token}
          onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
          required
        />
        <p id="token-help" class="help">{speaker.t("login.tokenHelp")}</p>
        <button type="submit" disabled={busy || token.trim() === ""}>
          {speaker.t("login.submit")}
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}
