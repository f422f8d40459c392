/**
 * How the console says a failure in words: the proxy's own message, or the
 * catalog's sentence for the codes a user meets most (a call that is gone,
 * a proxy that cannot be reached), in a live region screen readers read.
 *
 * @module
 */

import { ApiError } from "./api.ts";
import { useSpeaker } from "./context.ts";
import type { Speaker } from "./i18n.ts";

/** The words for `error`. */
export function describeError(speaker: Speaker, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "channel_not_found") return speaker.t("error.channel_not_found");
    if (error.code === "network") return speaker.t("error.network");
    return speaker.t("error.generic", { message: error.message });
  }
  return speaker.t("error.generic", { message: String((error as Error)?.message ?? error) });
}

/** An alert naming what went wrong, or nothing. */
export function ErrorNote({ error }: { error: unknown }) {
  const speaker = useSpeaker();
  return (
    <p class="error" role="alert">
      {error === null || error === undefined ? "" : describeError(speaker, error)}
    </p>
  );
}
