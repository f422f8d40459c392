/**
 * `AmiServer`: the server side of AMI on the same parser and serializer as
 * the client. It listens on TCP (port 0 allowed) or TLS, speaks the protocol
 * of Asterisk 22 in each {@linkcode AmiServerSession} (banner, login, Ping,
 * Events, errors), dispatches other actions to registered handlers, and
 * broadcasts events to the sessions whose permissions and mask allow them.
 * mock-ami's simulated PBX is built on it.
 *
 * @example
 * ```ts
 * import { AmiServer } from "./server.ts";
 *
 * const server = new AmiServer({
 *   users: [{ username: "dev", secret: "dev", read: ["all"], write: ["all"] }],
 * });
 * server.handle("CoreShowChannels", {
 *   write: ["system", "reporting"],
 *   handle(request, session) {
 *     session.reply(request, "Success", { eventList: true, message: "Channels will follow" });
 *     session.listComplete(request, "CoreShowChannelsComplete", 0);
 *   },
 * });
 * const { port } = await server.listen({ port: 0 });
 * await server.close();
 * ```
 *
 * @module
 */

import { type AmiFieldsInit, AmiMessage, serializeMessage } from "./message.ts";
import { eventClasses } from "./permissions.ts";
import {
  type ActionDefinition,
  AmiServerSession,
  type AmiUser,
  type SessionContext,
} from "./server_session.ts";
import {
  type AmiListener,
  defaultTransport,
  type NetAddr,
  type TlsServerOptions,
  type Transport,
} from "./transport.ts";

import { type AsteriskProfile, asteriskProfile, bannerOf } from "./profiles.ts";

export { AmiServerSession };
export type { ActionDefinition, ActionHandler, AmiUser, ReplyOptions } from "./server_session.ts";

/** The banner of Asterisk 22 (AMI protocol version 11.0.0). */
export const DEFAULT_BANNER = bannerOf(asteriskProfile(22));

/** Options of {@linkcode AmiServer}. */
export interface AmiServerOptions {
  /** Accounts, or a lookup by username. */
  users: readonly AmiUser[] | ((username: string) => AmiUser | undefined);
  /** The Asterisk whose login and list framing the sessions follow. Default 22. */
  asterisk?: AsteriskProfile;
  /** Default: the profile's (`Asterisk Call Manager/11.0.0` for 22). */
  banner?: string;
  /** A connection that has not logged in by then is closed silently. Default 30,000 ms (authtimeout). */
  authTimeoutMs?: number;
  /** Wait before answering a failed login, then close. Default 1,000 ms, as Asterisk. */
  loginFailureDelayMs?: number;
  /** Largest message accepted from a client. Default 1 MiB. */
  maxMessageBytes?: number;
  /** Most header lines accepted in one message from a client. Default 10,000. */
  maxMessageHeaders?: number;
  /** Socket implementation. Default: the running runtime's. */
  transport?: Transport;
  /** Makes MD5 login challenges. Default: random 32-bit decimal numbers, as Asterisk's. */
  challenge?: () => string;
  /** Runs before each action of each session; may delay it or close the session. */
  beforeAction?: SessionContext["beforeAction"];
}

/** Where to listen. */
export interface ServerListenOptions {
  /** Default 127.0.0.1. */
  hostname?: string;
  /** 0 picks a free port. Default 5038. */
  port?: number;
  tls?: TlsServerOptions;
}

/** An AMI server; see the module doc. */
export class AmiServer {
  readonly #options: AmiServerOptions;
  readonly #actions = new Map<string, ActionDefinition>();
  readonly #sessions = new Set<AmiServerSession>();
  readonly #context: SessionContext;
  #listener: AmiListener | undefined;
  #accepting: Promise<void> | undefined;

  constructor(options: AmiServerOptions) {
    this.#options = options;
    const users = options.users;
    const findUser = typeof users === "function"
      ? users
      : (name: string) => users.find((user) => user.username === name);
    const profile = options.asterisk ?? asteriskProfile(22);
    this.#context = {
      profile,
      banner: options.banner ?? bannerOf(profile),
      findUser,
      findAction: (name) => this.#actions.get(name),
      startedAt: Date.now(),
      authTimeoutMs: options.authTimeoutMs ?? 30_000,
      loginFailureDelayMs: options.loginFailureDelayMs ?? 1_000,
      maxMessageBytes: options.maxMessageBytes,
      maxMessageHeaders: options.maxMessageHeaders,
      beforeAction: options.beforeAction,
      challenge: options.challenge ?? (() => String(crypto.getRandomValues(new Uint32Array(1))[0])),
      onClose: (session) => this.#sessions.delete(session),
    };
  }

  /** Registers an action (the name is case-insensitive, as in Asterisk). */
  handle(action: string, definition: ActionDefinition): this {
    this.#actions.set(action.toLowerCase(), definition);
    return this;
  }

  /** Starts listening; resolves with the bound address (useful with port 0). */
  async listen(options: ServerListenOptions = {}): Promise<NetAddr> {
    if (this.#listener) throw new Error("Cannot listen: the AMI server is already listening");
    const transport = this.#options.transport ?? defaultTransport();
    const listener = await transport.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 5038,
      tls: options.tls,
    });
    this.#listener = listener;
    this.#accepting = this.#accept(listener);
    return listener.addr;
  }

  /** The bound address, once listening. */
  get addr(): NetAddr | undefined {
    return this.#listener?.addr;
  }

  /** Connected sessions. */
  get sessions(): ReadonlySet<AmiServerSession> {
    return this.#sessions;
  }

  /** Sends an event to every session allowed to see it (by read permission and event mask). */
  broadcast(event: AmiFieldsInit | AmiMessage): void {
    const message = event instanceof AmiMessage ? event : new AmiMessage(event);
    if (this.#sessions.size === 0) return;
    // Serialized and classified once, whatever the number of sessions.
    const classes = eventClasses(message.get("Privilege"));
    const text = serializeMessage(message);
    for (const session of this.#sessions) session.deliver(classes, text);
  }

  /** Stops listening and closes every session. */
  async close(): Promise<void> {
    this.#listener?.close();
    await this.#accepting;
    const sessions = [...this.#sessions];
    for (const session of sessions) session.close();
    await Promise.all(sessions.map((session) => session.done));
  }

  async #accept(listener: AmiListener): Promise<void> {
    for await (const conn of listener) {
      const session = new AmiServerSession(conn, this.#context);
      this.#sessions.add(session);
      session.run();
    }
  }
}
