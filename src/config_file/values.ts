/**
 * What a value read from a config file is: a table, and its kind in words
 * for messages (never the value itself: it may be a secret).
 *
 * @module
 */

/** Whether `value` is a table (`[proxy]`, a JSON object). */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/** `a string`, `a number`, `true or false`, `a list`, `a table`, `a date`, `null`. */
export function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return typeof value === "boolean" ? "true or false" : `a ${typeof value}`;
}
