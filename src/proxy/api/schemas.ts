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
import { PBX_NAME } from "../pbx_names.ts";
import { ASTERISK_MAJORS } from "../../ami/versions.ts";
import { OUTCOMES } from "../../audit/mod.ts";

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
const pbxName = z.string().regex(PBX_NAME, "must be a PBX name like floor1 (see GET /readyz)");
const requestedPbx = pbxName.optional().describe(
  "The PBX to act on, by name (GET /readyz lists them); default: the proxy's only PBX " +
    "(with several, it is required)",
);

/** POST /ami/originate/listen */
export const listenBody = z.strictObject({
  targetChannel: channel.describe("The live channel to listen to, as GET /ami/channels lists it"),
  listenerExtension: extension.optional().describe(
    "The phone that rings (default: the token's ext; another one: admin only)",
  ),
  mode: z.enum(["listen", "whisper", "barge"]).default("listen").describe(
    "listen: hear both sides; whisper: also speak to the target; barge: speak to both",
  ),
  pbx: requestedPbx,
});
requestSchemas.add(listenBody, { id: "ListenRequest" });

/** POST /ami/originate/playback */
export const playbackBody = z.strictObject({
  recordingId: z.string().regex(RECORDING_ID, "must be a recording id from GET /recordings"),
  targetExtension: extension.optional().describe(
    "The phone that rings (default: the token's ext; another one: admin only)",
  ),
  pbx: requestedPbx,
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

/** GET /ami/channels query. */
export const channelsQuery = z.strictObject({
  pbx: pbxName.optional().describe(
    "Only this PBX's channels (default: every PBX the token may reach)",
  ),
});

/** GET /ami/jobs query. */
export const jobsQuery = z.strictObject({
  state: z.enum(["all", "live"]).optional().describe(
    "live: only jobs not over yet; all (default): ended ones too, while they are kept (1 h)",
  ),
  limit: z.coerce.number().int().min(1).max(200).optional().describe(
    "Most jobs answered, newest first (default 50)",
  ),
});

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
export const consoleAssetParams = z.strictObject({
  file: z.enum(["console.js", "console.css"]).describe("The file's name"),
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
  pbx: z.string().describe("The PBX the job's call is on (default: the proxy's only PBX)"),
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

export const jobList = z.strictObject({
  jobs: z.array(job).describe("The caller's own jobs, newest first"),
});
responseSchemas.add(jobList, { id: "JobList" });

/** A live channel. */
export const channelInfo = z.strictObject({
  pbx: z.string().describe("The PBX the channel is on (names may repeat on several PBXs)"),
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

export const channelList = z.strictObject({
  channels: z.array(channelInfo),
  unavailable: z.array(z.strictObject({
    pbx: z.string(),
    error: z.string().describe("Why its channels could not be listed"),
  })).optional().describe(
    "PBXs left out because they are down or refused (present only when some are)",
  ),
});
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

/** Which Asterisk a PBX's AMI banner names. */
const pbxIdentity = z.strictObject({
  asterisk: z.literal(ASTERISK_MAJORS).describe(
    "The Asterisk major the AMI banner's version belongs to (11, 13, 16, 18, 20, 22)",
  ),
  amiVersion: z.string().describe("From the AMI banner"),
  exact: z.boolean().describe(
    "False when the banner's AMI version is none a known major speaks (asterisk is the nearest)",
  ),
});

/** What the AMI user may not do. */
const cannotWork = z.array(z.strictObject({
  feature: z.string(),
  what: z.string(),
  refusedActions: z.array(z.string()),
  grant: z.array(z.string()).describe("The manager.conf classes that allow those actions"),
}));

/** A PBX's identity and missing rights, in /readyz (once known). */
const pbxDetail = {
  pbx: pbxIdentity.optional(),
  cannotWork: cannotWork.optional(),
  fix: z.string().optional().describe("What to add to manager.conf"),
};

/** What /readyz says of one PBX. */
export const pbxReadiness = z.strictObject({
  ready: z.boolean().describe("Logged in, and the AMI user may run every action the proxy needs"),
  ami: z.boolean().describe("Logged in to the PBX"),
  amiPermissions: z.boolean().describe("The AMI user may run every action the proxy needs"),
  problem: z.string().optional().describe("Why the PBX cannot be reached now"),
  ...pbxDetail,
});
responseSchemas.add(pbxReadiness, { id: "PbxReadiness" });

/** What /readyz says. */
export const readiness = z.strictObject({
  ready: z.boolean().describe(
    "The audit can be written and at least one PBX is ready (the others may be down: see pbxs)",
  ),
  ami: z.boolean().describe("Logged in to every PBX"),
  audit: z.boolean().describe("The audit log can be written"),
  amiPermissions: z.boolean().describe(
    "Every PBX's AMI user may run every action the proxy needs",
  ),
  ...pbxDetail,
  auditProblem: z.strictObject({
    reason: z.string().describe("Why the audit cannot be written"),
    fix: z.string().describe("What the operator should do; /readyz turns ready by itself after"),
  }).optional().describe("Present while the audit cannot be written"),
  pbxs: z.record(z.string(), pbxReadiness).describe(
    "Each PBX by name; pbx, cannotWork and fix at the top are the only PBX's, when there is one",
  ),
});
responseSchemas.add(readiness, { id: "Readiness" });

/** An AMI event relayed on the stream: its name and every header of the event. */
export const amiEvent = z.object({
  event: z.string().describe("The AMI event name (Newchannel, ChanSpyStart, ...)"),
  pbx: z.string().describe("The PBX that sent it"),
}).catchall(z.union([z.string(), z.array(z.string())])).describe(
  "The event's headers as keys (a repeated header holds a list); secrets are never relayed",
);
responseSchemas.add(amiEvent, { id: "AmiEvent" });

/** Events the PBX sent that the proxy could not relay (it fell behind). */
export const gapEvent = z.strictObject({
  source: z.literal("ami"),
  pbx: z.string().describe("The PBX whose events were lost"),
  lost: z.number().int(),
});
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

// ---- the admin's audit browser and health panel ----

/** A time of GET /audit's period (`src/time_spec.ts`, read in UTC). */
const auditTime = z.string().max(64).optional();

/** GET /audit query: audit-query's filters, a page (or the CSV export) of the matching rows. */
export const auditQuery = z.strictObject({
  user: z.string().max(128).optional().describe("Only this user (the token's sub), exact"),
  role: z.enum(ROLES).optional().describe("Only this role"),
  action: z.string().max(100).optional().describe(
    "Only this action (listen, whisper, barge, playback, control, hangup, channels, " +
      "recordings.list, audit-read, ...), exact",
  ),
  target: z.string().max(200).optional().describe(
    "Only this target: exact, or a * glob (SIP/20*); digits alone are an extension: 202 also " +
      "matches SIP/202-0000000a and Local/202@...",
  ),
  job: z.string().max(100).optional().describe("Only this job id"),
  outcome: z.enum(OUTCOMES).optional().describe("Only this outcome"),
  since: auditTime.describe(
    "From this time, inclusive: ISO 8601 (2026-11-20, 2026-11-20T14:00, 2026-11-20T14:00:00Z; " +
      "without a zone it is UTC), today or yesterday (UTC midnight), or 15m / 24h / 7d ago",
  ),
  until: auditTime.describe("Up to this time, inclusive (the same forms as since)"),
  limit: z.coerce.number().int().min(1).max(1000).optional().describe(
    "Rows per page, 1 to 1000 (default 100); not with format=csv",
  ),
  order: z.enum(["desc", "asc"]).optional().describe("desc: newest first (default); asc"),
  cursor: z.string().regex(/^\d{1,16}\.\d{1,16}$/, "must be a nextCursor of GET /audit").optional()
    .describe("nextCursor of the previous page (the same filters and order); not with format=csv"),
  format: z.enum(["json", "csv"]).optional().describe(
    "json: a page (default); csv: every matching row, at most 100,000, as a file download",
  ),
});

/** One audit row, with audit-query --format json's field names. */
export const auditRow = z.strictObject({
  id: z.number().int(),
  time: isoTime,
  timestamp: z.number().int().describe("Milliseconds since the epoch"),
  user: z.string().describe("The token's sub"),
  role: z.string().nullable().describe("Null on legacy rows (from before the chain)"),
  action: z.string(),
  target: z.string().nullable(),
  job: z.string().nullable().describe("The job id"),
  outcome: z.enum(OUTCOMES).nullable().describe(
    "attempt (written before the PBX is asked), ok, denied, error",
  ),
  status: z.number().int().nullable().describe("The HTTP status answered"),
  remoteAddr: z.string().nullable(),
  requestId: z.string().nullable().describe("The answer's x-request-id"),
  detail: z.unknown().describe("The stored JSON, parsed (as text if it is not JSON); or null"),
  hash: z.string().nullable().describe("The row's HMAC in the chain (hex)"),
});
responseSchemas.add(auditRow, { id: "AuditRow" });

export const auditPage = z.strictObject({
  rows: z.array(auditRow).describe("In the order asked for (newest first by default)"),
  nextCursor: z.string().nullable().describe("Pass as cursor for the next page; null at the end"),
});
responseSchemas.add(auditPage, { id: "AuditPage" });

const chainPoint = z.strictObject({ id: z.number().int(), hash: z.string() });

/** What GET /audit/verify found. */
export const auditVerification = z.strictObject({
  ok: z.boolean().describe("The chain holds (as audit-query --verify exiting 0)"),
  rows: z.number().int().describe("Rows that hold, read before the first bad one"),
  chained: z.number().int(),
  legacy: z.number().int().describe("Rows from before the chain, vouched for by its start"),
  head: z.strictObject({
    ...chainPoint.shape,
    start: chainPoint.describe("Where the chain starts"),
    text: z.string().describe(
      "ID:HASH START_ID:START_HASH, as audit-query --head prints it: keep it elsewhere, and " +
        "check it later with audit-query --verify --expect-head",
    ),
  }).nullable().describe("The last chained row that holds, and the chain's start; null: no chain"),
  problem: z.string().optional().describe("What is wrong, as audit-query --verify says it"),
  broken: z.strictObject({
    id: z.number().int().describe("The first row that fails (0: the table itself)"),
    kind: z.string().describe("changed, inserted, deleted, unhashed, relinked, start, ..."),
  }).optional(),
});
responseSchemas.add(auditVerification, { id: "AuditVerification" });

/** The health panel's view of the PBX link: of one PBX, or the summary of all. */
const amiHealth = {
  connected: z.boolean().describe("Logged in to the PBX (forward mode: the upstream is up)"),
  pbx: pbxIdentity.nullable().describe("Null until connected, and in forward mode"),
  permissionsChecked: z.boolean().describe("The AMI user's rights were asked at login"),
  cannotWork: cannotWork.describe(
    "What the AMI user's manager.conf classes do not allow (as /readyz)",
  ),
  reconnects: z.number().int().describe("astrix_ami_reconnects_total"),
  eventsLost: z.number().int().describe("astrix_ami_events_lost_total"),
};

/** GET /status: the health panel. */
export const proxyStatus = z.strictObject({
  uptimeSeconds: z.number().int(),
  backend: z.enum(["ami", "simulate", "forward"]),
  ami: z.strictObject(amiHealth).describe(
    "Every PBX at once: connected and permissionsChecked when they hold for each, pbx only with " +
      "one PBX, the missing features of any, the sums of the counts",
  ),
  pbxs: z.record(
    z.string(),
    z.strictObject({
      ...amiHealth,
      problem: z.string().nullable().describe("Why the PBX cannot be reached now"),
    }),
  ).describe("Each PBX by name"),
  sse: z.strictObject({
    subscribers: z.number().int().describe("Open event streams"),
    behind: z.number().int().describe("Of them, readers not keeping up"),
  }),
  audit: z.strictObject({
    writable: z.boolean(),
    problem: readiness.shape.auditProblem.unwrap().nullable(),
  }),
  jobs: z.strictObject(
    Object.fromEntries(JOB_STATUSES.map((state) => [state, z.number().int()])) as Record<
      typeof JOB_STATUSES[number],
      z.ZodNumber
    >,
  ).describe("Jobs the proxy holds, by state"),
});
responseSchemas.add(proxyStatus, { id: "ProxyStatus" });

// ---- console sessions ----

/** POST /console/session: the token to make a browser session of. */
export const consoleLoginBody = z.strictObject({
  token: z.string().min(1).max(8192).describe(
    "A JWT as bearer auth takes it (without Bearer); it never needs to stay in the page",
  ),
});
requestSchemas.add(consoleLoginBody, { id: "ConsoleLoginRequest" });

/** GET /console/login query. */
export const consoleLoginQuery = z.strictObject({
  code: z.string().max(100).optional().describe("A login code from astrix dev's banner"),
});

/** A console session as its routes answer it. */
export const consoleSession = z.strictObject({
  session: z.strictObject({
    userId: z.string().describe("The token's sub (or user_id)"),
    role: z.enum(ROLES),
    ext: z.string().nullable().describe("The token's ext: the caller's phone"),
    expiresAt: isoTime.describe("When the session ends: the token's exp"),
    csrfToken: z.string().describe(
      "Send as X-Astrix-CSRF on every state-changing request the cookie authenticates",
    ),
  }),
});
responseSchemas.add(consoleSession, { id: "ConsoleSession" });
