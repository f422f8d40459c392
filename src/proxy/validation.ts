/**
 * Request bodies and queries, checked before anything else happens: no CR,
 * LF or NUL in any string anywhere (they could split an AMI header), then a
 * zod schema per route (./api/schemas.ts) that refuses unknown fields and
 * wrong types and checks channel and extension syntax. Errors name the field.
 *
 * zod because its strict objects refuse unknown keys, its issues carry the
 * field's path, and it runs unchanged under Deno and Bun.
 *
 * @module
 */

import { z } from "zod";
import { BadRequestError } from "./errors.ts";

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
