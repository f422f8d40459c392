/**
 * The data of the event stream's `ami` and `job` events, as the proxy
 * publishes them to its hub: an AMI event's headers as keys beside its
 * name, and a job with its latest timeline step instead of the whole
 * timeline.
 *
 * @example
 * ```ts
 * import { AmiMessage } from "../ami/mod.ts";
 * import { amiEventData } from "./stream_data.ts";
 *
 * amiEventData(new AmiMessage({ Event: "Hangup", Uniqueid: "1.2" }));
 * // { event: "Hangup", Event: "Hangup", Uniqueid: "1.2" }
 * ```
 *
 * @module
 */

import type { AmiMessage } from "../ami/mod.ts";
import type { Job } from "./jobs.ts";

/** An AMI event as the stream's `ami` event carries it. */
export function amiEventData(event: AmiMessage) {
  return { event: event.name, ...event.toObject() };
}

/** A job as its `job` event carries it: the state and the latest step. */
export function jobEventData(job: Job) {
  const { timeline, ...rest } = job;
  return { ...rest, last: timeline.at(-1) };
}
