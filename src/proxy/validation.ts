/**
 * Request bodies and queries, checked before anything else happens: no CR,
 * LF or NUL in any string anywhere (they could split an AMI header), then a
 * zod schema per route that refuses unknown fields and wrong types and
 * checks channel and extension syntax. Errors name the field.
 *
 * zod because its strict objects refuse unknown keys, its issues carry the
 * field's path, and it runs unchanged under Deno and Bun.
 *
 * @module
 */

import { z } from "zod";
import { BadRequestError } from "./errors.ts";

/** `SIP/202-0000000a`, `PJSIP/202`, `Local/202@from-internal-00000001;2`: no commas, blanks or `$`. */
const CHANNEL = /^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_@.+#*:;=\-]{1,120}$/;
/** A dialable extension: digits and a few dial characters. */
const EXTENSION = /^[0-9A-Za-z_*#+-]{1,32}$/;
/** A recording id as the recordings server makes them (a file's base name). */
const RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;

const channel = z.string().regex(CHANNEL, "must be a channel name like SIP/202-0000000a");
const extension = z.string().regex(EXTENSION, "must be an extension like 201");

/** POST /ami/originate/listen */
export const listenBody = z.strictObject({
  targetChannel: channel,
  listenerExtension: extension.optional(),
  mode: z.enum(["listen", "whisper", "barge"]).default("listen"),
});

/** POST /ami/originate/playback */
export const playbackBody = z.strictObject({
  recordingId: z.string().regex(RECORDING_ID, "must be a recording id from GET /recordings"),
  targetExtension: extension.optional(),
});

/** POST /ami/control/playback */
export const controlBody = z.strictObject({
  jobId: z.string().min(1).max(100),
  control: z.enum(["pause", "resume", "forward", "reverse", "restart", "stop"]),
});

/** GET /ami/events query. */
export const eventsQuery = z.strictObject({
  job: z.string().max(100).optional(),
  event: z.string().max(200).optional(),
});

/** Throws BadRequestError naming the first string (at any depth) holding CR, LF or NUL. */
export function refuseControlCharacters(value: unknown, path = "body"): void {
  if (typeof value === "string") {
    if (/[\r\n\0]/.test(value)) {
      throw new BadRequestError(`${path} must not contain CR, LF or NUL characters`, path);
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => refuseControlCharacters(item, `${path}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      refuseControlCharacters(key, `${path} key`);
      refuseControlCharacters(item, path === "body" ? key : `${path}.${key}`);
    }
  }
}

/** Parses `input` with `schema` or throws BadRequestError naming the field. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  input: unknown,
  what = "body",
): z.infer<T> {
  refuseControlCharacters(input, what);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === "unrecognized_keys") {
    const keys = (issue as { keys: string[] }).keys;
    throw new BadRequestError(
      `unknown field${keys.length > 1 ? "s" : ""}: ${keys.join(", ")}`,
      keys[0],
    );
  }
  const field = issue.path.join(".") || what;
  if (issue.code !== "invalid_type") throw new BadRequestError(`${field}: ${issue.message}`, field);
  const actual = issue.path.reduce<unknown>(
    (value, key) => (value as Record<PropertyKey, unknown> | null)?.[key],
    input,
  );
  const expected = (issue as { expected: string }).expected;
  throw new BadRequestError(
    actual === undefined && issue.path.length > 0
      ? `${field} is required`
      : `${field} must be ${expected === "object" ? "a JSON object" : `a ${expected}`}`,
    field,
  );
}
