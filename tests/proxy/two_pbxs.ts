/**
 * A proxy in front of two PBXs, for tests: two in-process mock-amis (named
 * `floor1` and `floor2`, on port 0, each recording the actions it receives)
 * built alike, so that their channel names and Uniqueids are the same, and
 * a real proxy with a real audit file in a temporary folder. `close()`
 * stops everything and removes the folder.
 *
 * @example
 * ```ts
 * await using pbxs = await startTwoPbxProxy();
 * const answer = await pbxs.request("GET", "/ami/channels", { role: "supervisor" });
 * ```
 */

import { AuditReader, type AuditRow } from "../../src/audit/mod.ts";
import type { AmiMessage } from "../../src/ami/mod.ts";
import { nullLogger } from "../../src/log.ts";
import { createMockAmi, type MockAmi } from "../../src/pbx/mock_ami.ts";
import { type RunningProxy, startProxy } from "../../src/proxy/proxy.ts";
import type { Role } from "../../src/proxy/roles.ts";
import { signToken, type TokenClaims } from "../../src/proxy/tokens.ts";
import { contractFetch } from "../_support/contract.ts";
import { CALLERS, TEST_SECRET } from "../_support/proxy.ts";
import { eventually } from "../_support/wait.ts";

/** The two PBXs' names. */
export const PBXS = ["floor1", "floor2"] as const;
export type PbxName = typeof PBXS[number];

/** An answer, its body read. */
export interface PbxAnswer {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  requestId: string;
  /** The `Action` names each mock-ami received while the request ran. */
  sent: Record<PbxName, string[]>;
}

/** A proxy and its two mock-amis. */
export interface TwoPbxProxy extends AsyncDisposable {
  readonly url: string;
  readonly proxy: RunningProxy;
  readonly mocks: Record<PbxName, MockAmi>;
  /** Every action each mock-ami received, in order. */
  readonly actions: Record<PbxName, AmiMessage[]>;
  token(claims: TokenClaims): Promise<string>;
  /** Sends a request (a role's token, or `token`) with a fresh `x-request-id`. */
  request(
    method: string,
    path: string,
    options: { role?: Role; token?: string; json?: unknown },
  ): Promise<PbxAnswer>;
  /** The audit rows of one request, oldest first. */
  auditOf(requestId: string): AuditRow[];
  /** A live call on `pbx` to listen to: Up, and none of the callers' own phones. */
  liveChannel(pbx: PbxName): Promise<string>;
  /** Polls GET /ami/jobs/:id (as admin) until `predicate` holds of the job; returns it. */
  // deno-lint-ignore no-explicit-any
  waitForJob(jobId: string, predicate: (job: any) => boolean, what: string): Promise<any>;
  /** Polls `/readyz` until `predicate` holds of its body; returns its status and body. */
  // deno-lint-ignore no-explicit-any
  readyzWhen(predicate: (body: any) => boolean, what: string): Promise<PbxAnswer>;
  /** Stops one mock-ami: the PBX goes down (its sessions closed, its port no longer open). */
  stopPbx(name: PbxName): Promise<void>;
  close(): Promise<void>;
}

/** Starts two mock-amis and a proxy in front of both; resolves once both PBXs are ready. */
export async function startTwoPbxProxy(): Promise<TwoPbxProxy> {
  const dir = await Deno.makeTempDir({ prefix: "astrix-two-pbxs-" });
  const secret = crypto.randomUUID();
  const user = { username: "astrix-proxy", secret, read: ["all"], write: ["all"] };
  const actions: Record<PbxName, AmiMessage[]> = { floor1: [], floor2: [] };
  const mock = (name: PbxName) =>
    createMockAmi({
      users: [user],
      calls: 2,
      answerDelayMs: 50,
      onAction: (action) => actions[name].push(action),
    });
  const mocks = { floor1: mock("floor1"), floor2: mock("floor2") };
  let proxy: RunningProxy | undefined;
  let reader: AuditReader | undefined;
  const stopped = new Map<PbxName, Promise<void>>();
  const stopPbx = (name: PbxName) => {
    if (!stopped.has(name)) stopped.set(name, mocks[name].close());
    return stopped.get(name)!;
  };
  const close = async () => {
    reader?.close();
    await proxy?.close();
    await Promise.all(PBXS.map(stopPbx));
    await Deno.remove(dir, { recursive: true });
  };
  try {
    const logins = await Promise.all(PBXS.map(async (name) => {
      const { port } = await mocks[name].listen({ hostname: "127.0.0.1", port: 0 });
      return { name, host: "127.0.0.1", port, username: user.username, secret };
    }));
    const auditDb = `${dir}/audit.db`;
    proxy = await startProxy({
      host: "127.0.0.1",
      port: 0,
      backend: { kind: "ami", pbxs: logins },
      auditDb,
      auditKeyFile: `${dir}/audit.key`,
      auth: { kind: "hs256", secret: TEST_SECRET },
      logger: nullLogger,
      heartbeatMs: 0,
    });
    const url = proxy.url;
    await eventually(async () => {
      const body = await (await fetch(`${url}/readyz`)).json();
      return PBXS.every((name) => body.pbxs?.[name]?.ready) ? true : undefined;
    }, "both PBXs ready (/readyz)");
    const tokens = new Map<Role, string>();
    const px: TwoPbxProxy = {
      url,
      proxy,
      mocks,
      actions,
      token: (claims) => signToken(TEST_SECRET, claims),
      async request(method, path, options) {
        const from = { floor1: actions.floor1.length, floor2: actions.floor2.length };
        const requestId = crypto.randomUUID();
        const role = options.role;
        if (role && !tokens.has(role)) {
          tokens.set(role, await signToken(TEST_SECRET, { ...CALLERS[role], role }));
        }
        const token = options.token ?? (role ? tokens.get(role) : undefined);
        const headers = new Headers({ "x-request-id": requestId });
        if (token) headers.set("authorization", `Bearer ${token}`);
        if (options.json !== undefined) headers.set("content-type", "application/json");
        const response = await contractFetch(`${url}${path}`, {
          method,
          headers,
          body: options.json === undefined ? undefined : JSON.stringify(options.json),
        });
        const type = response.headers.get("content-type") ?? "";
        const body = type.startsWith("application/json")
          ? await response.json()
          : await response.text();
        const sent = (name: PbxName) =>
          actions[name].slice(from[name]).map((a) => a.get("Action") ?? "(none)");
        return {
          status: response.status,
          body,
          requestId,
          sent: { floor1: sent("floor1"), floor2: sent("floor2") },
        };
      },
      auditOf(requestId) {
        reader ??= AuditReader.open(auditDb);
        return reader.query({}, { limit: 1_000_000, order: "asc" }).rows
          .filter((row) => row.requestId === requestId);
      },
      async liveChannel(pbx) {
        const answer = await px.request("GET", `/ami/channels?pbx=${pbx}`, { role: "admin" });
        const own = Object.values(CALLERS).map((c) => `/${c.ext}-`);
        const live = (answer.body.channels as { channel: string; state: string }[]).find((c) =>
          c.state === "Up" && !own.some((prefix) => c.channel.includes(prefix))
        );
        if (!live) throw new Error(`mock-ami ${pbx} has no live call to listen to`);
        return live.channel;
      },
      waitForJob(jobId, predicate, what) {
        return eventually(async () => {
          const answer = await px.request("GET", `/ami/jobs/${jobId}`, { role: "admin" });
          return predicate(answer.body.job) ? answer.body.job : undefined;
        }, what);
      },
      readyzWhen(predicate, what) {
        return eventually(async () => {
          const answer = await px.request("GET", "/readyz", {});
          return predicate(answer.body) ? answer : undefined;
        }, what);
      },
      stopPbx,
      close,
      [Symbol.asyncDispose]: close,
    };
    return px;
  } catch (error) {
    await close();
    throw error;
  }
}
