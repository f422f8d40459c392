/**
 * A proxy under test: a mock-ami with two live calls that records every
 * action it receives, and a real proxy in front of it (HTTP on 127.0.0.1,
 * port 0; a real audit SQLite file in a temporary folder), with a token for
 * each role. Requests carry their own `x-request-id`, so that a test finds
 * the audit rows of exactly one request. `close()` stops everything and
 * removes the folder.
 *
 * @example
 * ```ts
 * await using px = await startTestProxy();
 * const answer = await px.request("GET", "/ami/channels", { role: "supervisor" });
 * px.auditOf(answer.requestId); // [{ outcome: "ok", status: 200, ... }]
 * ```
 */

import { assert, assertEquals } from "./assert.ts";
import { contractFetch } from "./contract.ts";
import { eventually } from "./wait.ts";
import { AuditReader, type AuditRow } from "../../src/audit/mod.ts";
import { nullLogger } from "../../src/log.ts";
import type { AmiMessage, AmiUser } from "../../src/ami/mod.ts";
import { createMockAmi, type MockAmi, type MockAmiOptions } from "../../src/pbx/mock_ami.ts";
import { startRelay, type TcpRelay } from "./tcp_relay.ts";
import { type ProxyConfig, type RunningProxy, startProxy } from "../../src/proxy/proxy.ts";
import type { Role } from "../../src/proxy/roles.ts";
import { signToken, type TokenClaims } from "../../src/proxy/tokens.ts";
import { wavHeader } from "../../src/recordings/wav.ts";

/** The HS256 secret of every test proxy (at least 32 bytes). */
export const TEST_SECRET = new TextEncoder().encode("astrix-test-proxy-secret-0123456789abcdef");

/** Who holds each role's token: each has its own extension. */
export const CALLERS: Readonly<Record<Role, { sub: string; ext: string }>> = {
  user: { sub: "user-205", ext: "205" },
  qa: { sub: "qa-206", ext: "206" },
  supervisor: { sub: "sup-201", ext: "201" },
  admin: { sub: "admin-202", ext: "202" },
};

/** The recordings of the `recordings: "folder"` set: one call of extension 205, one not. */
export const RECORDINGS = {
  /** From an outside number to 205. */
  of205: "20261124-101500-05551234567-205-1763979300.17",
  /** From 201 to an outside number. */
  notOf205: "20261124-103000-201-5550142-1763980200.21",
} as const;

const AMI_USER = { username: "astrix-proxy", read: ["all"], write: ["all"] };

/** Options of {@linkcode startTestProxy}. */
export interface TestProxyOptions {
  /** `folder`: a temporary folder holding {@linkcode RECORDINGS} as WAV files. Default none. */
  recordings?: "folder" | "none";
  /** Overrides of the proxy's configuration. */
  config?: Partial<ProxyConfig>;
  /** Overrides of mock-ami's options. */
  mock?: Partial<MockAmiOptions>;
  /** The manager.conf classes of the proxy's AMI user; default all. */
  amiClasses?: { read: string[]; write: string[] };
  /** Puts a {@linkcode TcpRelay} between the proxy and mock-ami (to cut the link at will). */
  relay?: boolean;
  /** When the proxy counts as started, from its /readyz body; default `ready: true`. */
  // deno-lint-ignore no-explicit-any
  started?: (readyz: any) => boolean;
}

/** How a test request is sent. */
export interface RequestOptions {
  /** Sends this role's token. */
  role?: Role;
  /** Sends this token (`null`: no Authorization header at all). */
  token?: string | null;
  /** Sent as JSON (with `content-type: application/json`). */
  json?: unknown;
  /** Sent as is (set the content type in `headers`). */
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Aborts the request (and the reading of its body). */
  signal?: AbortSignal;
}

/** A test request's answer, its body read. */
export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text (an event stream is not read). */
  // deno-lint-ignore no-explicit-any
  body: any;
  /** The `x-request-id` the request was sent with. */
  requestId: string;
  /** The `Action` names mock-ami received while the request ran. */
  sent: string[];
}

/** A running mock-ami and proxy. */
export interface TestProxy extends AsyncDisposable {
  readonly url: string;
  readonly proxy: RunningProxy;
  readonly mock: MockAmi;
  /** The relay between proxy and mock-ami, with `relay: true`. */
  readonly relay?: TcpRelay;
  /** The proxy's account on mock-ami (to start another mock-ami it can log in to). */
  readonly amiUser: AmiUser;
  readonly dir: string;
  readonly auditDb: string;
  /** A token for each role, with the extension of {@linkcode CALLERS}. */
  readonly tokens: Readonly<Record<Role, string>>;
  /** Every action mock-ami received from the proxy, in order (the Login first). */
  readonly actions: readonly AmiMessage[];
  /** Signs another token. */
  token(claims: TokenClaims): Promise<string>;
  /** Sends a request with a fresh `x-request-id` and reads the answer. */
  request(method: string, path: string, options?: RequestOptions): Promise<Answer>;
  /** Sends a request with a fresh `x-request-id`; the body is the caller's to read or cancel. */
  open(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<{ response: Response; requestId: string }>;
  /** The `Action` names mock-ami received after the first `from` actions. */
  actionsSince(from: number): string[];
  /** The audit rows of one request, oldest first. */
  auditOf(requestId: string): AuditRow[];
  /** A live call's channel from GET /ami/channels, not one of the callers' own phones. */
  liveChannel(): Promise<string>;
  /** Polls GET /ami/jobs/:id (as admin) until `predicate` holds; returns the job. */
  // deno-lint-ignore no-explicit-any
  waitForJob(jobId: string, predicate: (job: any) => boolean, what: string): Promise<any>;
  /** A supervisor's listen on `target`: POST /ami/originate/listen (202), then the job live. */
  // deno-lint-ignore no-explicit-any
  listenUntilActive(target: string): Promise<{ jobId: string; active: any }>;
  close(): Promise<void>;
}

/** The notes of a job's timeline, oldest first. */
export function timelineNotes(job: { timeline: { note: string }[] }): string[] {
  return job.timeline.map((entry) => entry.note);
}

/** Starts mock-ami (two live calls) and a proxy in front of it; resolves once /readyz is 200. */
export async function startTestProxy(options: TestProxyOptions = {}): Promise<TestProxy> {
  const dir = await Deno.makeTempDir({ prefix: "astrix-test-proxy-" });
  const amiSecret = crypto.randomUUID();
  const actions: AmiMessage[] = [];
  const amiUser = { ...AMI_USER, ...options.amiClasses, secret: amiSecret };
  const mock = createMockAmi({
    users: [amiUser],
    calls: 2,
    answerDelayMs: 50,
    onAction: (action) => actions.push(action),
    ...options.mock,
  });
  let proxy: RunningProxy | undefined;
  let reader: AuditReader | undefined;
  let relay: TcpRelay | undefined;
  let closing: Promise<void> | undefined;
  const close = () => closing ??= stop();
  const stop = async () => {
    reader?.close();
    await proxy?.close();
    await relay?.close();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  };
  try {
    const listening = await mock.listen({ hostname: "127.0.0.1", port: 0 });
    if (options.relay) relay = startRelay(listening.port);
    const port = relay?.port ?? listening.port;
    let recordings: string | undefined;
    if (options.recordings === "folder") {
      recordings = `${dir}/recordings`;
      await Deno.mkdir(recordings);
      for (const id of Object.values(RECORDINGS)) {
        await Deno.writeFile(`${recordings}/${id}.wav`, wav(1_600));
      }
    }
    const auditDb = `${dir}/audit.db`;
    proxy = await startProxy({
      host: "127.0.0.1",
      port: 0,
      backend: {
        kind: "ami",
        host: "127.0.0.1",
        port,
        username: AMI_USER.username,
        secret: amiSecret,
      },
      auditDb,
      auditKeyFile: `${dir}/audit.key`,
      auth: { kind: "hs256", secret: TEST_SECRET },
      recordings,
      logger: nullLogger,
      heartbeatMs: 0,
      ...options.config,
    });
    const url = proxy.url;
    const started = options.started ?? ((body) => body.ready === true);
    await eventually(async () => {
      const response = await fetch(`${url}/readyz`);
      return started(await response.json()) ? true : undefined;
    }, "the proxy to be ready (/readyz)");

    const tokens = {} as Record<Role, string>;
    for (
      const [role, caller] of Object.entries(CALLERS) as [Role, { sub: string; ext: string }][]
    ) {
      tokens[role] = await signToken(TEST_SECRET, { ...caller, role });
    }

    const px: TestProxy = {
      url,
      proxy,
      mock,
      relay,
      amiUser,
      dir,
      auditDb,
      tokens,
      actions,
      token: (claims) => signToken(TEST_SECRET, claims),
      async open(method, path, options = {}) {
        const requestId = crypto.randomUUID();
        const headers = new Headers({ "x-request-id": requestId, ...options.headers });
        const token = options.token !== undefined
          ? options.token
          : options.role
          ? tokens[options.role]
          : null;
        if (token !== null) headers.set("authorization", `Bearer ${token}`);
        let body = options.body;
        if (options.json !== undefined) {
          body = JSON.stringify(options.json);
          if (!headers.has("content-type")) headers.set("content-type", "application/json");
        }
        const response = await contractFetch(`${url}${path}`, {
          method,
          headers,
          body,
          signal: options.signal,
        });
        return { response, requestId };
      },
      async request(method, path, options) {
        const from = actions.length;
        const { response, requestId } = await px.open(method, path, options);
        const type = response.headers.get("content-type") ?? "";
        let read: unknown;
        if (type.startsWith("text/event-stream")) await response.body?.cancel();
        else if (type.startsWith("application/json")) read = await response.json();
        else read = await response.text();
        return {
          status: response.status,
          headers: response.headers,
          body: read,
          requestId,
          sent: px.actionsSince(from),
        };
      },
      actionsSince: (from) => actions.slice(from).map((a) => a.get("Action") ?? "(none)"),
      auditOf(requestId) {
        reader ??= AuditReader.open(auditDb);
        return reader.query({}, { limit: 1_000_000, order: "asc" }).rows
          .filter((row) => row.requestId === requestId);
      },
      async liveChannel() {
        const answer = await px.request("GET", "/ami/channels", { role: "admin" });
        if (answer.status !== 200) throw new Error(`GET /ami/channels answered ${answer.status}`);
        const own = Object.values(CALLERS).map((c) => `/${c.ext}-`);
        const live = (answer.body.channels as { channel: string; state: string }[]).find((c) =>
          c.state === "Up" && /^(SIP|PJSIP)\//.test(c.channel) &&
          !own.some((prefix) => c.channel.includes(prefix))
        );
        if (!live) throw new Error("mock-ami has no live call to listen to");
        return live.channel;
      },
      async waitForJob(jobId, predicate, what) {
        return await eventually(async () => {
          const answer = await px.request("GET", `/ami/jobs/${jobId}`, { role: "admin" });
          return predicate(answer.body.job) ? answer.body.job : undefined;
        }, what);
      },
      async listenUntilActive(target) {
        const started = await px.request("POST", "/ami/originate/listen", {
          role: "supervisor",
          json: { targetChannel: target },
        });
        if (started.status !== 202) {
          throw new Error(`the listen answered ${started.status}: ${JSON.stringify(started.body)}`);
        }
        const jobId: string = started.body.jobId;
        const active = await px.waitForJob(jobId, (j) => j.status === "active", "the listen live");
        return { jobId, active };
      },
      close,
      [Symbol.asyncDispose]: close,
    };
    return px;
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Asserts a JSON error answer: `status`, `{"error": {"code", "message", "requestId"}}` (and
 * `field` when given), the request id echoed in the body and in `x-request-id`.
 */
export function assertErrorAnswer(
  answer: Answer,
  status: number,
  code: string,
  field?: string,
): void {
  const where = `${answer.status} ${JSON.stringify(answer.body)}`;
  assertEquals(answer.status, status, where);
  assertEquals(answer.headers.get("x-request-id"), answer.requestId);
  const error = answer.body?.error;
  assert(error !== undefined && typeof error.message === "string" && error.message !== "", where);
  assertEquals(
    Object.keys(answer.body).sort(),
    ["error"],
    `only "error" at the top: ${where}`,
  );
  assertEquals(
    { code: error.code, requestId: error.requestId, field: error.field },
    { code, requestId: answer.requestId, field },
    where,
  );
  assertEquals(
    Object.keys(error).sort(),
    field === undefined
      ? ["code", "message", "requestId"]
      : ["code", "field", "message", "requestId"],
  );
}

/** A short silent WAV file (8 kHz, 16-bit mono). */
function wav(dataSize: number): Uint8Array {
  const header = wavHeader({ sampleRate: 8_000, channels: 1, bitsPerSample: 16, dataSize });
  const file = new Uint8Array(header.length + dataSize);
  file.set(header);
  return file;
}
