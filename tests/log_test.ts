import { assert, assertEquals, assertThrows } from "./_support/assert.ts";
import { createLogger, type LoggerOptions, nullLogger, redact, redactText } from "../src/log.ts";
import { AmiMessage } from "../src/ami/message.ts";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInJvbGUiOiJhZG1pbiJ9.c2lnbmF0dXJlLXZhbHVl";
const UNSIGNED_JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.";
const SECRET = "s3cr3t-Xq9";
const NOW = new Date("2024-01-02T03:04:05.006Z");

/** A logger writing into an array, at a fixed time. */
function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({
    format: "json",
    level: "debug",
    write: (line) => lines.push(line),
    now: () => NOW,
    ...options,
  });
  return { log, lines };
}

Deno.test("createLogger json writes one object per call: time, level, msg, then fields", () => {
  const { log, lines } = capture();
  log.info("proxy listening", { port: 8080, tls: false, tags: ["a", "b"] });
  log.warn("clash", { msg: "field", level: 1, time: 2 });
  assertEquals(lines, [
    '{"time":"2024-01-02T03:04:05.006Z","level":"info","msg":"proxy listening","port":8080,"tls":false,"tags":["a","b"]}',
    '{"time":"2024-01-02T03:04:05.006Z","level":"warn","msg":"clash","_msg":"field","_level":1,"_time":2}',
  ]);
});

Deno.test("createLogger drops lines below its level, info by default", () => {
  for (
    const [level, expected] of [
      [undefined, ["info", "warn", "error"]],
      ["debug", ["debug", "info", "warn", "error"]],
      ["warn", ["warn", "error"]],
      ["error", ["error"]],
    ] as const
  ) {
    const { log, lines } = capture({ level });
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    assertEquals(lines.map((line) => JSON.parse(line).level), expected, `level ${level}`);
  }
  assertThrows(() => createLogger({ format: "json", level: "loud" as "info" }), TypeError, "loud");
});

Deno.test("createLogger writes to console.error (stderr) by default", () => {
  const original = console.error;
  const written: unknown[][] = [];
  console.error = (...args: unknown[]) => written.push(args);
  try {
    createLogger({ format: "json", now: () => NOW }).info("to stderr");
  } finally {
    console.error = original;
  }
  assertEquals(written, [['{"time":"2024-01-02T03:04:05.006Z","level":"info","msg":"to stderr"}']]);
});

Deno.test("createLogger pretty writes local time, level, message and key=value", () => {
  const lines: string[] = [];
  const log = createLogger({
    format: "pretty",
    level: "debug",
    write: (line) => lines.push(line),
    now: () => new Date(2024, 0, 2, 3, 4, 5, 6),
  });
  log.info("AMI connected", { host: "10.0.0.5", port: 5038, ok: true });
  log.error("two\nlines", { text: "has space", quote: 'say "hi"', empty: "", obj: { a: 1 } });
  log.debug("skipped undefined", { gone: undefined, "odd name": "v" });
  assertEquals(lines, [
    "03:04:05.006 INFO  AMI connected host=10.0.0.5 port=5038 ok=true",
    '03:04:05.006 ERROR two\\nlines text="has space" quote="say \\"hi\\"" empty="" obj={"a":1}',
    '03:04:05.006 DEBUG skipped undefined "odd name"=v',
  ]);
});

Deno.test("Logger child adds its fields to every line; the call's fields win", () => {
  const { log, lines } = capture();
  const child = log.child({ component: "ami", host: "a" }).child({ session: 7 });
  child.info("hello", { host: "b" });
  log.info("parent unchanged");
  assertEquals(lines.map((line) => JSON.parse(line)), [
    {
      time: NOW.toISOString(),
      level: "info",
      msg: "hello",
      component: "ami",
      host: "b",
      session: 7,
    },
    { time: NOW.toISOString(), level: "info", msg: "parent unchanged" },
  ]);
});

Deno.test("redact hides secret keys at any depth and in any case", () => {
  assertEquals(
    redact({
      secret: "a",
      Password: "b",
      TOKEN: "c",
      authorization: "d",
      key: "e",
      jwt: "f",
      Cookie: "g",
      amiSecret: "h",
      accessToken: "i",
      "Set-Cookie": "j",
      apiKey: "k",
      user: "alice",
      tokens: 3,
      nested: { deeper: [{ secret: { whole: "object" }, keep: "me" }] },
    }),
    {
      secret: "[redacted]",
      Password: "[redacted]",
      TOKEN: "[redacted]",
      authorization: "[redacted]",
      key: "[redacted]",
      jwt: "[redacted]",
      Cookie: "[redacted]",
      amiSecret: "[redacted]",
      accessToken: "[redacted]",
      "Set-Cookie": "[redacted]",
      apiKey: "[redacted]",
      user: "alice",
      tokens: 3,
      nested: { deeper: [{ secret: "[redacted]", keep: "me" }] },
    },
  );
});

Deno.test("redactText replaces bearer tokens, JWTs and credentials inside text", () => {
  const cases: [string, string][] = [
    [`Bearer ${JWT}`, "[redacted]"],
    [`header was "bearer abc.def-ghi", refused`, `header was "[redacted]", refused`],
    [`token ${JWT} expired`, "token [redacted] expired"],
    [`alg none: ${UNSIGNED_JWT}`, "alg none: [redacted]"],
    ["GET /recordings?token=abc123&x=1", "GET /recordings?token=[redacted]&x=1"],
    [
      "Action: Login\r\nUsername: admin\r\nSecret: my secret\r\n",
      "Action: Login\r\nUsername: admin\r\nSecret: [redacted]\r\n",
    ],
    ["AMI Secret: x sent", "AMI Secret: [redacted] sent"],
    ['{"user":"bob","password":"hunter2"}', '{"user":"bob","password":"[redacted]"}'],
    ["Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Authorization: [redacted]"],
    ["tokens: 5, keyboard: us, ActionID: 12", "tokens: 5, keyboard: us, ActionID: 12"],
  ];
  for (const [input, expected] of cases) assertEquals(redactText(input), expected, input);
});

Deno.test("Logger never writes a JWT in the message or an AMI Secret in a nested object", () => {
  const login = new AmiMessage([["Action", "Login"], ["Username", "admin"], ["Secret", SECRET]]);
  for (const format of ["json", "pretty"] as const) {
    const { log, lines } = capture({ format });
    log.warn(`token rejected: ${JWT}`, { request: { headers: { "X-Id": "1" } } });
    log.debug("AMI out", { ami: { action: { Action: "Login", Secret: SECRET } } });
    log.debug("AMI out", {
      ami: { message: login, raw: `Action: Login\r\nSecret: ${SECRET}\r\n` },
    });
    log.info("request", {
      headers: new Headers({ authorization: `Bearer ${JWT}`, accept: "*/*" }),
    });
    log.info("token in a field", { via: `Bearer ${JWT}`, url: `/x?jwt=${JWT}` });
    const output = lines.join("\n");
    assertEquals(lines.length, 5, format);
    assert(!output.includes(JWT) && !output.includes(JWT.split(".")[1]), output);
    assert(!output.includes(SECRET), output);
    assert(output.includes("[redacted]") && output.includes("Username") && output.includes("*/*"));
  }
  const { log, lines } = capture();
  log.info("ami", { message: login });
  assertEquals(JSON.parse(lines[0]).message, [
    ["Action", "Login"],
    ["Username", "admin"],
    ["Secret", "[redacted]"],
  ]);
});

Deno.test("Logger writes errors as name, message and cause", () => {
  const { log, lines } = capture();
  const cause = new Error("connection reset");
  const error = new TypeError(`bad token ${JWT}`, { cause });
  log.error("failed", { error, nested: { list: [new RangeError("out", { cause: "plain" })] } });
  const line = JSON.parse(lines[0]);
  assertEquals(line.error, {
    name: "TypeError",
    message: "bad token [redacted]",
    cause: "connection reset",
  });
  assertEquals(line.nested.list, [{ name: "RangeError", message: "out", cause: "plain" }]);
});

Deno.test("Logger survives cycles and writes other values as JSON can", () => {
  const { log, lines } = capture();
  const node: Record<string, unknown> = { name: "a" };
  node.self = node;
  const shared = { x: 1 };
  log.info("values", {
    node,
    both: [shared, shared],
    big: 12n,
    when: NOW,
    map: new Map<string, unknown>([["k1", 1], ["sessionToken", "t"]]),
    bytes: new Uint8Array(16),
    set: new Set([1, 2]),
    fn: () => 1,
  });
  assertEquals(JSON.parse(lines[0]), {
    time: NOW.toISOString(),
    level: "info",
    msg: "values",
    node: { name: "a", self: "[circular]" },
    both: [{ x: 1 }, { x: 1 }],
    big: "12",
    when: NOW.toISOString(),
    map: { k1: 1, sessionToken: "[redacted]" },
    bytes: "[16 bytes]",
    set: [1, 2],
  });
});

Deno.test("nullLogger discards everything", () => {
  const original = console.error;
  let calls = 0;
  console.error = () => calls++;
  try {
    nullLogger.error("dropped", { secret: SECRET });
    nullLogger.child({ a: 1 }).info("dropped too");
  } finally {
    console.error = original;
  }
  assertEquals(calls, 0);
  assert(nullLogger.child({}) === nullLogger);
});
