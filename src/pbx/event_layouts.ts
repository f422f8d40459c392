/**
 * The event layout of each Asterisk version: 12+'s snapshot events, or
 * Asterisk 11's legacy ones.
 *
 * @module
 */

import type { AsteriskProfile } from "../ami/profiles.ts";
import { type EventLayout, snapshotEvents } from "./events.ts";
import { legacyEvents } from "./events_legacy.ts";

/** The events a PBX of `profile` sends. */
export function eventLayoutOf(profile: AsteriskProfile): EventLayout {
  return profile.events === "legacy" ? legacyEvents(profile) : snapshotEvents(profile);
}
