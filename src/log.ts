/**
 * The structured logger handed to components (never a global): one line per
 * call, JSON for machines or `HH:MM:SS.mmm LEVEL msg key=value` for people,
 * to stderr by default (stdout is for command output).
 *
 * Secrets never reach the output. A field whose key ends with `secret`,
 * `token`, `password`, `passwd`, `authorization`, `key`, `jwt` or `cookie`
 * (any case, at any depth: `Secret`, `accessToken`, `Set-Cookie`, `apiKey`)
 * is written `"[redacted]"`, as is the value of a `[key, value]` pair with
 * such a key (the headers of an AMI message). In every string, the message
 * included, bearer tokens, JWTs and `name: value` / `name=value` credentials
 * with such a name (an AMI `Secret: x` line, a `?token=x` query) are
 * replaced by `[redacted]`. Errors are written `{name, message, cause}`;
 * cycles are written `"[circular]"`.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 *
 * const log = createLogger({ format: "pretty", level: "debug" }).child({ component: "ami" });
 * log.info("logged in", { host: "10.0.0.5", secret: "never printed" });
 * // 14:03:07.412 INFO  logged in component=ami host=10.0.0.5 secret=[redacted]
 * ```
 *
 * @module
 */

/** How much is logged, from most to least verbose. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Fields added to a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger; `child` adds fields to every line it writes. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  format: "json" | "pretty";
  /** Lines below this level are dropped; default `"info"`. */
  level?: LogLevel;
  /** Where each line goes, without its newline; default `console.error`. */
  write?: (line: string) => void;
  /** Clock of the `time` field; default `new Date()`. */
  now?: () => Date;
}

/** What replaces a secret. */
export const REDACTED = "[redacted]";

const SECRET_KEY = /(secret|token|password|passwd|authorization|key|jwt|cookie)$/i;
const SECRET_TEXT = [
  /\bBearer[ \t]+[^\s"',;]+/gi,
  /(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/g,
];
const NAME = String.raw`[\w-]*(?:secret|token|password|passwd|authorization|key|jwt|cookie)`;
/** A header line (AMI `Secret: x`, HTTP `Authorization: ...`): the value runs to the line end. */
const CREDENTIAL_LINE = new RegExp(String.raw`^([ \t]*${NAME}[ \t]*:[ \t]*)[^\r\n]*`, "gim");
/** `name=value`, `name: value` or `"name":"value"` inside a line: the value is one word. */
const CREDENTIAL_WORD = new RegExp(
  String.raw`(?<![\w-])(${NAME}"?[ \t]*[:=][ \t]*"?)[^\s"'&;,]+`,
  "gi",
);

/** `text` with its bearer tokens, JWTs and `name: value` credentials replaced by `[redacted]`. */
export function redactText(text: string): string {
  for (const pattern of SECRET_TEXT) text = text.replace(pattern, REDACTED);
  text = text.replace(CREDENTIAL_LINE, `$1${REDACTED}`);
  return text.replace(CREDENTIAL_WORD, `$1${REDACTED}`);
}

/** A JSON-ready copy of `value` with its secrets redacted (see the module doc). */
export function redact(value: unknown): unknown {
  return clean(value, []);
}

function clean(value: unknown, parents: object[]): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function" || typeof value === "symbol") return undefined;
  if (typeof value !== "object" || value === null) return value;
  if (parents.includes(value)) return "[circular]";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const inner = [...parents, value];
  if (value instanceof Error) {
    const error: LogFields = { name: value.name, message: redactText(value.message) };
    if (value.cause !== undefined) {
      error.cause = value.cause instanceof Error
        ? redactText(value.cause.message)
        : clean(value.cause, inner);
    }
    return error;
  }
  if (value instanceof Map || value instanceof Headers) return cleanObject(value.entries(), inner);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return clean((value as { toJSON(): unknown }).toJSON(), inner);
  }
  if (Array.isArray(value) || (Symbol.iterator in value && !("next" in value))) {
    const items = [...(value as Iterable<unknown>)];
    if (items.length === 2 && typeof items[0] === "string" && SECRET_KEY.test(items[0])) {
      return [items[0], REDACTED];
    }
    return items.map((item) => clean(item, inner) ?? null);
  }
  return cleanObject(Object.entries(value), inner);
}

function cleanObject(entries: Iterable<[unknown, unknown]>, parents: object[]): LogFields {
  const result: LogFields = {};
  for (const [key, value] of entries) {
    const name = String(key);
    result[name] = SECRET_KEY.test(name) ? REDACTED : clean(value, parents);
  }
  return result;
}

/** A logger writing one line per call at `options.level` and above. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => console.error(line));
  const now = options.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  if (threshold < 0) throw new TypeError(`Unknown log level "${options.level}"`);
  const format = options.format === "json" ? formatJson : formatPretty;

  const make = (context: LogFields): Logger => {
    const log = (level: LogLevel) => (msg: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      const all = cleanObject(Object.entries({ ...context, ...fields }), []);
      write(format(now(), level, redactText(String(msg)), all));
    };
    return {
      debug: log("debug"),
      info: log("info"),
      warn: log("warn"),
      error: log("error"),
      child: (fields) => make({ ...context, ...fields }),
    };
  };
  return make({});
}

function formatJson(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const line: LogFields = { time: time.toISOString(), level, msg };
  for (const [key, value] of Object.entries(fields)) {
    line[key in line ? `_${key}` : key] = value;
  }
  return JSON.stringify(line);
}

function formatPretty(time: Date, level: LogLevel, msg: string, fields: LogFields): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const clock = `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${
    pad(time.getMilliseconds(), 3)
  }`;
  let line = `${clock} ${level.toUpperCase().padEnd(5)} ${msg.replace(/[\r\n]/g, escapeBreak)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = typeof value === "string" && /^[^\s"'=\\]+$/.test(value)
      ? value
      : JSON.stringify(value);
    line += ` ${/^[\w.-]+$/.test(key) ? key : JSON.stringify(key)}=${text}`;
  }
  return line;
}

function escapeBreak(c: string): string {
  return c === "\n" ? "\\n" : "\\r";
}

/** A logger that writes nothing (tests, library defaults). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => nullLogger,
};
