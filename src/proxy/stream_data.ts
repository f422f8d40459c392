/**
 * The data of the event stream's `ami` and `job` events, as the proxy
 * publishes them to its hub: an AMI event's headers as keys beside its
 * name and the PBX it came from, and a job (which names its PBX) with its
 * latest timeline step instead of the whole timeline.
 *
 * @example
 * ```ts
 * import { AmiMessage } from "../ami/mod.ts";
 * import { amiEventData } from "./stream_data.ts";
 *
 * amiEventData(new AmiMessage({ Event: "Hangup", Uniqueid: "1.2" }), "floor1");
 * // { event: "Hangup", Event: "Hangup", Uniqueid: "1.2", pbx: "floor1" }
 * ```
 *
 * @module
 */

import type { AmiMessage } from "../ami/mod.ts";
import type { Job } from "./jobs.ts";
import { DEFAULT_PBX } from "./pbx_names.ts";

/** An AMI event of PBX `pbx` as the stream's `ami` event carries it. */
export function amiEventData(event: AmiMessage, pbx: string = DEFAULT_PBX) {
  // After the headers: a header of that name cannot pass for the PBX.
  return { event: event.name, ...event.toObject(), pbx };
}

/** A job as its `job` event carries it: the state and the latest step. */
export function jobEventData(job: Job) {
  const { timeline, ...rest } = job;
  return { ...rest, last: timeline.at(-1) };
}
