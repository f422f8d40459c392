/**
 * The proxy API's data, as zod schemas: what a request may carry (bodies and
 * queries, refusing unknown fields) and what every answer holds (a job with
 * its timeline, a channel, a recording, a page of recordings, the error
 * body, health and readiness, the event stream's events). The routes parse
 * with the request schemas; the OpenAPI document (./openapi.ts) is generated
 * from all of them, so the contract and the code cannot drift apart.
 *
 * Each schema that is a named component of the document is registered in
 * {@linkcode requestSchemas} or {@linkcode responseSchemas} with its id.
 *
 * @module
 */

import { z } from "zod";
import { JOB_STATUSES } from "../jobs.ts";
import { ROLES } from "../roles.ts";
import { ASTERISK_MAJORS } from "../../ami/versions.ts";

/** `SIP/202-0000000a`, `PJSIP/202`, `Local/202@from-internal-00000001;2`: no commas, blanks or `$`. */
const CHANNEL = /^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_@.+#*:;=\-]{1,120}$/;
/** A dialable extension: digits and a few dial characters. */
const EXTENSION = /^[0-9A-Za-z_*#+-]{1,32}$/;
/** A recording id as the recordings server makes them (a file's base name). */
const RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

/** What the document's components are described with. */
interface ComponentMeta {
  id: string;
  description?: string;
}

/** The request bodies and queries named in the document (read as input: defaults optional). */
export const requestSchemas = z.registry<ComponentMeta>();
/** The answers named in the document. */
export const responseSchemas = z.registry<ComponentMeta>();

const channel = z.string().regex(CHANNEL, "must be a channel name like SIP/202-0000000a");
const extension = z.string().regex(EXTENSION, "must be an extension like 201");
const isoTime = z.iso.datetime().describe("ISO 8601, UTC");

/** POST /ami/originate/listen */
export const listenBody = z.strictObject({
  targetChannel: channel.describe("The live channel to listen to, as GET /ami/channels lists it"),
  listenerExtension: extension.optional().describe(
    "The phone that rings (default: the token's ext; another one: admin only)",
  ),
  mode: z.enum(["listen", "whisper", "barge"]).default("listen").describe(
    "listen: hear both sides; whisper: also speak to the target; barge: speak to both",
  ),
});
requestSchemas.add(listenBody, { id: "ListenRequest" });

/** POST /ami/originate/playback */
export const playbackBody = z.strictObject({
  recordingId: z.string().regex(RECORDING_ID, "must be a recording id from GET /recordings"),
  targetExtension: extension.optional().describe(
    "The phone that rings (default: the token's ext; another one: admin only)",
  ),
});
requestSchemas.add(playbackBody, { id: "PlaybackRequest" });

/** The controls of a playback (`resume` is a second pause: Asterisk's pause toggles). */
export const CONTROLS = ["pause", "resume", "forward", "reverse", "restart", "stop"] as const;

/** POST /ami/control/playback */
export const controlBody = z.strictObject({
  jobId: z.string().min(1).max(100).describe("A playback job of the caller's (admin: any)"),
  control: z.enum(CONTROLS),
});
requestSchemas.add(controlBody, { id: "ControlRequest" });

/** GET /ami/events query. */
export const eventsQuery = z.strictObject({
  job: z.string().max(100).optional().describe("Only the events of this job"),
  event: z.string().max(200).optional().describe(
    "Comma-separated event types (job, ami, gap) or AMI event names (ChanSpyStart, Hangup)",
  ),
});

/** GET /recordings query (the recordings server's own; a `user` gets its extension forced). */
export const recordingsQuery = z.strictObject({
  from: z.string().max(64).optional().describe(
    "Start of the period: ISO 8601 (a date alone is UTC midnight) or 24h / 7d ago",
  ),
  to: z.string().max(64).optional().describe("End of the period, as from"),
  extension: extension.optional().describe("Calls from or to this extension"),
  q: z.string().max(200).optional().describe("Text in the id, numbers or caller name"),
  direction: z.enum(["inbound", "outbound", "internal", "unknown"]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional()
    .describe("Page size, 1 to 1000 (default 50)"),
  cursor: z.string().max(500).optional().describe("nextCursor of the previous page"),
});

/** A path's `:id`. */
export const jobIdParams = z.strictObject({ id: z.string().max(100).describe("The job id") });
/** A file of the /docs page. */
export const docsAssetParams = z.strictObject({
  file: z.string().regex(/^[a-z0-9-]+\.(js|css)$/).describe("The file's name"),
});
export const recordingIdParams = z.strictObject({
  id: z.string().max(200).describe("The recording id"),
});

// ---- answers ----

/** One line of a job's history. */
export const timelineEntry = z.strictObject({
  at: isoTime,
  status: z.enum(JOB_STATUSES),
  note: z.string().describe("What happened, in words"),
});
responseSchemas.add(timelineEntry, { id: "TimelineEntry" });

const jobFields = {
  id: z.string().describe("128 random bits, base64url, prefixed job_"),
  kind: z.enum(["listen", "playback"]),
  status: z.enum(JOB_STATUSES).describe(
    "queued → dialing → active ⇄ paused → ended, or failed; unknown while the proxy lost sight " +
      "of a call it had asked for",
  ),
  owner: z.string().describe("The user who started it (the token's sub)"),
  ownerRole: z.enum(ROLES),
  extension: z.string().describe("The phone the audio goes to"),
  target: z.string().describe("Listen: the channel listened to. Playback: the recording id"),
  mode: z.enum(["listen", "whisper", "barge"]).optional(),
  channel: z.string().nullable().describe("The listener's channel once the PBX created it"),
  uniqueId: z.string().nullable().describe("That channel's Uniqueid: what the proxy acts on"),
  createdAt: isoTime,
  updatedAt: isoTime,
  endedAt: isoTime.nullable(),
};

/** A job as the API shows it. */
export const job = z.strictObject({ ...jobFields, timeline: z.array(timelineEntry) });
responseSchemas.add(job, {
  id: "Job",
  description: "A listen or playback, from request to hangup",
});

/** A job as the event stream sends it: its last timeline entry instead of the whole timeline. */
export const jobEvent = z.strictObject({ ...jobFields, last: timelineEntry });
responseSchemas.add(jobEvent, { id: "JobEvent" });

/** The answer of a request that started a job. */
export const jobStarted = z.strictObject({ jobId: z.string(), job });
responseSchemas.add(jobStarted, { id: "JobStarted" });

/** The answer of a request about one job. */
export const jobAnswer = z.strictObject({ job });
responseSchemas.add(jobAnswer, { id: "JobAnswer" });

/** A live channel. */
export const channelInfo = z.strictObject({
  channel: z.string(),
  state: z.string().describe("Asterisk's state description: Up, Ringing, ..."),
  callerIdNum: z.string().nullable(),
  callerIdName: z.string().nullable(),
  connectedLineNum: z.string().nullable(),
  application: z.string().nullable(),
  durationSeconds: z.number().int().nullable(),
  uniqueId: z.string().nullable(),
  linkedId: z.string().nullable(),
});
responseSchemas.add(channelInfo, { id: "Channel" });

export const channelList = z.strictObject({ channels: z.array(channelInfo) });
responseSchemas.add(channelList, { id: "ChannelList" });

/** A recording. */
export const recording = z.strictObject({
  id: z.string(),
  file: z.string().describe("The path Asterisk plays, under its spool folder, without extension"),
  startedAt: isoTime,
  durationMs: z.number().int().nullable(),
  src: z.string().nullable(),
  dst: z.string().nullable(),
  callerId: z.strictObject({ name: z.string().nullable(), number: z.string() }).nullable(),
  direction: z.enum(["inbound", "outbound", "internal", "unknown"]),
  format: z.enum(["wav", "gsm", "mp3"]),
  contentType: z.string(),
  codec: z.string(),
  sampleRate: z.number().int().nullable(),
  channels: z.number().int().nullable(),
  size: z.number().int().describe("Bytes"),
  streamUrl: z.string().describe("Relative URL of the audio"),
});
responseSchemas.add(recording, { id: "Recording" });

export const recordingPage = z.strictObject({
  recordings: z.array(recording).describe("Newest first"),
  nextCursor: z.string().nullable().describe("Pass as cursor for the next page; null at the end"),
});
responseSchemas.add(recordingPage, { id: "RecordingPage" });

/** Every error answer. */
export const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.string().describe("Stable, for programs: the route's list says which it can be"),
    message: z.string().describe("For people: what went wrong and what to do"),
    requestId: z.string().describe("Also in x-request-id; quote it when asking for help"),
    field: z.string().optional().describe("The request field at fault (400)"),
    jobId: z.string().optional().describe("The job that follows a call whose outcome is unknown"),
  }),
});
responseSchemas.add(errorBody, { id: "Error" });

export const health = z.strictObject({ status: z.literal("ok") });
responseSchemas.add(health, { id: "Health" });

/** What /readyz says. */
export const readiness = z.strictObject({
  ready: z.boolean(),
  ami: z.boolean().describe("Logged in to the PBX"),
  audit: z.boolean().describe("The audit log can be written"),
  amiPermissions: z.boolean().describe("The AMI user may run every action the proxy needs"),
  pbx: z.strictObject({
    asterisk: z.literal(ASTERISK_MAJORS).describe(
      "The Asterisk major the AMI banner's version belongs to (11, 13, 16, 18, 20, 22)",
    ),
    amiVersion: z.string().describe("From the AMI banner"),
    exact: z.boolean().describe(
      "False when the banner's AMI version is none a known major speaks (asterisk is the nearest)",
    ),
  }).optional(),
  auditProblem: z.strictObject({
    reason: z.string().describe("Why the audit cannot be written"),
    fix: z.string().describe("What the operator should do; /readyz turns ready by itself after"),
  }).optional().describe("Present while the audit cannot be written"),
  cannotWork: z.array(z.strictObject({
    feature: z.string(),
    what: z.string(),
    refusedActions: z.array(z.string()),
    grant: z.array(z.string()).describe("The manager.conf classes that allow those actions"),
  })).optional(),
  fix: z.string().optional().describe("What to add to manager.conf"),
});
responseSchemas.add(readiness, { id: "Readiness" });

/** An AMI event relayed on the stream: its name and every header of the event. */
export const amiEvent = z.object({
  event: z.string().describe("The AMI event name (Newchannel, ChanSpyStart, ...)"),
}).catchall(z.union([z.string(), z.array(z.string())])).describe(
  "The event's headers as keys (a repeated header holds a list); secrets are never relayed",
);
responseSchemas.add(amiEvent, { id: "AmiEvent" });

/** Events the PBX sent that the proxy could not relay (it fell behind). */
export const gapEvent = z.strictObject({ source: z.literal("ami"), lost: z.number().int() });
responseSchemas.add(gapEvent, { id: "GapEvent" });

/** Why the stream cannot resume from Last-Event-ID, or why it was ended (a slow reader). */
export const streamNotice = z.strictObject({
  reason: z.string(),
  lastId: z.number().int().describe("Resume from here with Last-Event-ID"),
});
responseSchemas.add(streamNotice, { id: "StreamNotice" });

/** The proxy is going away. */
export const shutdownEvent = z.strictObject({ reason: z.string() });
responseSchemas.add(shutdownEvent, { id: "ShutdownEvent" });
