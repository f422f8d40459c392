/**
 * `AmiClient`: one logged-in AMI connection shared by many callers. Actions
 * are correlated by ActionID (any number in flight, answered in any order),
 * list actions are collected until their `...Complete` event, events fan out
 * to bounded subscriptions, a keepalive Ping detects a dead peer, and a lost
 * connection is re-established with backoff and a fresh login while the
 * subscriptions carry on. Actions pending at a disconnect reject at once and
 * are never re-sent: re-sending an Originate would place a second call.
 *
 * @example
 * ```ts
 * import { AmiClient } from "./client.ts";
 *
 * const ami = new AmiClient({ host: "127.0.0.1", port: 5038, username: "ops", secret: "s3cret" });
 * await ami.connect();
 * const pong = await ami.send({ Action: "Ping" });
 * const { events } = await ami.collect({ Action: "CoreShowChannels" });
 * for await (const event of ami.events()) console.log(event.name);
 * await ami.close();
 * ```
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  type BackoffOptions,
  ReconnectBackoff,
  type ReconnectClock,
  systemClock,
} from "./backoff.ts";
import {
  AmiAuthError,
  AmiConnectionError,
  AmiDisconnectedError,
  AmiError,
  AmiOutcomeUnknownError,
  AmiProtocolError,
  AmiTimeoutError,
} from "./errors.ts";
import { EventSubscription, type SubscriptionOptions } from "./event_stream.ts";
import { type AmiFieldsInit, type AmiHeader, type AmiMessage } from "./message.ts";
import { AmiParser } from "./parser.ts";
import {
  type AmiConn,
  defaultTransport,
  type TlsClientOptions,
  type Transport,
} from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";
import { type AmiListResult, InFlight, isSuccess } from "./in_flight.ts";
import { ActionIds } from "./action_ids.ts";
import { identifyPbx, type PbxIdentity } from "./versions.ts";
import { serializeAction } from "./action_text.ts";

export { type AmiListResult, isSuccess };

/** Connection states, in the order a client normally goes through them. */
export type AmiClientState =
  | "disconnected"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "closed";

/** A state transition, as seen by {@linkcode AmiClient.onState} listeners. */
export interface AmiStateChange {
  state: AmiClientState;
  previous: AmiClientState;
  /** Why the connection was lost or why the last attempt failed. */
  error?: Error;
  /**
   * Reconnect attempt number (1-based) while reconnecting, counted since the last connection that
   * stayed up `reconnect.healthyMs`: a link lost right after its login does not start again at 1.
   */
  attempt?: number;
  /** Wait before this reconnect attempt, in ms. */
  delayMs?: number;
}

/** Options of {@linkcode AmiClient}. */
export interface AmiClientOptions {
  host: string;
  /** Default 5038. */
  port?: number;
  username: string;
  secret: string;
  /** `md5` logs in with Action: Challenge, so the secret never crosses the wire. Default `plain`. */
  authType?: "plain" | "md5";
  /** The Login's `Events:` header: `on`, `off` or a class list such as `call,user`. Default `on`. */
  events?: string;
  /** Limit on TCP connect + banner + login, in ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Default limit on one action, in ms. Default 10,000. */
  actionTimeoutMs?: number;
  /** Ping interval; a Ping unanswered for this long means the peer is dead. 0 disables. Default 30,000. */
  keepaliveMs?: number;
  /**
   * Reconnect after a loss with exponential backoff; `false` disables. Default 500 ms to 30 s,
   * starting again from 500 ms only once a connection has stayed up 30 s after its login.
   */
  reconnect?: Partial<BackoffOptions> | false;
  /** Clock and timers of the reconnect backoff (tests inject a fake one). Default: the system's. */
  clock?: ReconnectClock;
  /** Connect with TLS (manager.conf `tlsenable`), trusting these CA certificates. */
  tls?: TlsClientOptions;
  /** Largest message accepted from the server. Default 1 MiB. */
  maxMessageBytes?: number;
  /** Most header lines accepted in one message from the server. Default 10,000. */
  maxMessageHeaders?: number;
  /** ActionID generator; must never repeat. Default: a serial and 66 random bits (`ActionIds`). */
  actionId?: () => string;
  /** Socket implementation. Default: the running runtime's fastest. */
  transport?: Transport;
  /** Random source in [0, 1) for backoff jitter. */
  random?: () => number;
}

/** Per-action options. */
export interface ActionOptions {
  /** Overrides the client's `actionTimeoutMs`. */
  timeoutMs?: number;
}

interface Session {
  conn: AmiConn;
  parser: AmiParser;
  writer: WriteQueue;
  banner: PromiseWithResolvers<string>;
  keepalive?: ReturnType<typeof setInterval>;
  /** The socket is not being read: a backpressure subscription is full. */
  paused: boolean;
  /** Times reading was paused, so that the keepalive can tell "unread" from "unanswered". */
  pauses: number;
}

const DEFAULTS = {
  port: 5038,
  connectTimeoutMs: 10_000,
  actionTimeoutMs: 10_000,
  keepaliveMs: 30_000,
  backoff: { initialMs: 500, maxMs: 30_000, healthyMs: 30_000 },
};

/** A reconnecting AMI client; see the module doc. */
export class AmiClient {
  readonly #options: AmiClientOptions;
  readonly #transport: Transport;
  readonly #nextActionId: () => string;
  readonly #backoff: ReconnectBackoff | false;
  readonly #ids = new ActionIds();
  /** Whether ActionIDs come from `#ids` (no `actionId` option), so are found by serial. */
  readonly #ownIds: boolean;
  readonly #inFlight = new InFlight({ ids: this.#ids });
  /** Replaced, never mutated, so that dispatch can loop over it without a copy. */
  #subscriptions: readonly EventSubscription[] = [];
  readonly #listeners = new Set<(change: AmiStateChange) => void>();
  #state: AmiClientState = "disconnected";
  #session: Session | undefined;
  #banner: string | undefined;
  #pbx: PbxIdentity | undefined;
  #wake: (() => void) | undefined;

  constructor(options: AmiClientOptions) {
    this.#options = options;
    this.#transport = options.transport ?? defaultTransport();
    this.#nextActionId = options.actionId ?? (() => this.#ids.next());
    this.#ownIds = options.actionId === undefined;
    this.#backoff = options.reconnect === false ? false : new ReconnectBackoff(
      { ...DEFAULTS.backoff, ...options.reconnect },
      options.clock ?? systemClock,
      options.random,
    );
  }

  /** The current connection state. */
  get state(): AmiClientState {
    return this.#state;
  }

  /** The server's banner line, e.g. `Asterisk Call Manager/11.0.0`, once connected. */
  get banner(): string | undefined {
    return this.#banner;
  }

  /** The Asterisk version behind the banner (nearest known, flagged, if unknown), once connected. */
  get pbx(): PbxIdentity | undefined {
    return this.#pbx;
  }

  /** Responses that matched no action in flight (late answers after a timeout, for instance). */
  get unmatchedResponses(): number {
    return this.#inFlight.unmatched;
  }

  /** Calls `listener` on every state change; returns a function that removes it. */
  onState(listener: (change: AmiStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Connects, reads the banner and logs in, within `connectTimeoutMs`. Rejects with
   * {@linkcode AmiConnectionError}, {@linkcode AmiAuthError}, {@linkcode AmiProtocolError}
   * or {@linkcode AmiTimeoutError}; only a connection once established is re-established.
   */
  async connect(): Promise<void> {
    if (this.#state !== "disconnected") {
      throw new AmiError(`Cannot connect: the client is ${this.#state}`);
    }
    this.#setState({ state: "connecting" });
    try {
      await this.#open();
    } catch (error) {
      if (!this.#isClosed()) this.#setState({ state: "disconnected", error: asError(error) });
      throw error;
    }
  }

  /**
   * Connects in the background and keeps trying, with the reconnect backoff,
   * until connected or closed: for a service that must start while the PBX is
   * down. Failures show as `reconnecting` state changes carrying the error.
   */
  start(): void {
    if (this.#state !== "disconnected") {
      throw new AmiError(`Cannot start: the client is ${this.#state}`);
    }
    const backoff = this.#backoff;
    if (!backoff) throw new AmiError("start() keeps retrying: it needs reconnect enabled");
    this.connect().catch((error) => {
      if (!this.#isClosed()) this.#reconnect(backoff, asError(error));
    });
  }

  /** Sends one action and resolves with its response (`Success`, `Error`, ... as the server said). */
  send(action: AmiFieldsInit, options: ActionOptions = {}): Promise<AmiMessage> {
    return this.#request(this.#connected(), action, false, options.timeoutMs) as Promise<
      AmiMessage
    >;
  }

  /** Sends a list action (CoreShowChannels, Status, ...) and collects its events until `...Complete`. */
  collect(action: AmiFieldsInit, options: ActionOptions = {}): Promise<AmiListResult> {
    return this.#request(this.#connected(), action, true, options.timeoutMs) as Promise<
      AmiListResult
    >;
  }

  /** Subscribes to the event stream; the subscription survives reconnects and ends on close(). */
  events(options: SubscriptionOptions = {}): EventSubscription {
    const subscription = new EventSubscription((closed) => {
      this.#subscriptions = this.#subscriptions.filter((s) => s !== closed);
    }, options);
    if (this.#state === "closed") subscription.end();
    else this.#subscriptions = [...this.#subscriptions, subscription];
    return subscription;
  }

  /** Logs off (if connected), closes the socket, rejects what is pending and ends subscriptions. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    const session = this.#session;
    const wasConnected = this.#state === "connected";
    this.#setState({ state: "closed" });
    this.#wake?.();
    // A full backpressure subscription must not hold the Logoff's answer unread: it ends now.
    for (const subscription of this.#subscriptions) if (subscription.full) subscription.end();
    if (session && wasConnected) {
      const timeout = Math.min(this.#actionTimeout(), 2_000);
      await this.#request(session, [["Action", "Logoff"]], false, timeout).catch(() => {});
    }
    if (session) this.#lost(session, new AmiDisconnectedError("AMI client closed"));
    for (const subscription of this.#subscriptions) subscription.end();
    this.#subscriptions = [];
  }

  /** The session actions go to, or the error they fail with at once while not connected. */
  #connected(): Session | AmiDisconnectedError {
    const session = this.#session;
    if (this.#state === "connected" && session) return session;
    return new AmiDisconnectedError(`Not connected to AMI (state: ${this.#state})`);
  }

  /** A method, not a comparison, so that TypeScript does not narrow the state across awaits. */
  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #actionTimeout(): number {
    return this.#options.actionTimeoutMs ?? DEFAULTS.actionTimeoutMs;
  }

  /** Opens a session: TCP (or TLS), banner, login; then the client is connected. */
  async #open(): Promise<void> {
    const { host, port = DEFAULTS.port, tls } = this.#options;
    const limit = this.#options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const deadline = Date.now() + limit;
    const connecting = this.#transport.connect({ hostname: host, port, tls });
    const conn = await withTimeout(connecting, limit, () => {
      connecting.then((late) => late.close(), () => {});
      return new AmiConnectionError(
        `Cannot connect to AMI at ${host}:${port}: timed out after ${limit} ms`,
      );
    }).catch((cause) => {
      if (cause instanceof AmiError) throw cause;
      throw new AmiConnectionError(
        `Cannot connect to AMI at ${host}:${port}: ${cause.message}. Check that Asterisk is ` +
          `running, that manager.conf has enabled=yes on that address, and that no firewall blocks it`,
        { cause },
      );
    });
    const session: Session = {
      conn,
      parser: new AmiParser({
        expectBanner: true,
        maxMessageBytes: this.#options.maxMessageBytes,
        maxMessageHeaders: this.#options.maxMessageHeaders,
      }),
      writer: undefined!,
      banner: Promise.withResolvers<string>(),
      paused: false,
      pauses: 0,
    };
    session.writer = new WriteQueue(conn, (error) => this.#lost(session, error));
    session.banner.promise.catch(() => {});
    this.#session = session;
    this.#readLoop(session);
    try {
      const banner = await withTimeout(
        session.banner.promise,
        deadline - Date.now(),
        () => new AmiTimeoutError("banner", limit, "the server sent no banner"),
      );
      if (!/Call Manager\//i.test(banner)) {
        throw new AmiProtocolError(
          `${host}:${port} does not speak AMI: it sent "${banner.slice(0, 80)}" instead of an ` +
            `"Asterisk Call Manager/..." banner`,
        );
      }
      await this.#login(session, Math.max(1, deadline - Date.now()));
      if (this.#isClosed()) throw new AmiDisconnectedError("AMI client closed");
      this.#banner = banner;
      this.#pbx = identifyPbx(banner);
    } catch (error) {
      if (this.#session === session) this.#session = undefined;
      conn.close();
      throw error;
    }
    if (this.#backoff) this.#backoff.connected();
    this.#setState({ state: "connected" });
    this.#startKeepalive(session);
  }

  async #login(session: Session, timeoutMs: number): Promise<void> {
    const { username, secret, authType = "plain", events = "on" } = this.#options;
    const login: AmiHeader[] = [["Action", "Login"], ["Username", username]];
    if (authType === "md5") {
      const reply = await this.#request(
        session,
        [["Action", "Challenge"], ["AuthType", "MD5"]],
        false,
        timeoutMs,
      ) as AmiMessage;
      const challenge = reply.get("Challenge");
      if (!isSuccess(reply) || !challenge) {
        throw new AmiAuthError(reply.get("Message") ?? "the MD5 challenge was refused", username);
      }
      const key = createHash("md5").update(challenge + secret).digest("hex");
      login.push(["AuthType", "MD5"], ["Key", key]);
    } else {
      login.push(["Secret", secret]);
    }
    login.push(["Events", events]);
    const reply = await this.#request(session, login, false, timeoutMs) as AmiMessage;
    if (!isSuccess(reply)) {
      throw new AmiAuthError(reply.get("Message") ?? "no reason given", username);
    }
  }

  #request(
    session: Session | AmiDisconnectedError,
    action: AmiFieldsInit,
    collect: boolean,
    timeoutMs = this.#actionTimeout(),
  ): Promise<AmiMessage | AmiListResult> {
    if (session instanceof AmiDisconnectedError) return Promise.reject(session);
    let serialized;
    try {
      serialized = serializeAction(action, this.#nextActionId);
    } catch (error) {
      return Promise.reject(error);
    }
    const { text, actionId, name } = serialized;
    // An ActionID just made by #ids is new; any other may repeat one in flight.
    const serial = serialized.inserted && this.#ownIds ? this.#ids.lastSerial : undefined;
    if (serial === undefined && this.#inFlight.has(actionId)) {
      return Promise.reject(
        new AmiError(`Cannot send action "${name}": ActionID "${actionId}" is already in flight`),
      );
    }
    const answer = this.#inFlight.wait(actionId, name, { collect, timeoutMs, serial });
    session.writer.write(text);
    return answer;
  }

  async #readLoop(session: Session): Promise<void> {
    let error: Error = new AmiDisconnectedError("AMI server closed the connection");
    try {
      while (true) {
        const chunk = await session.conn.read();
        if (chunk === null) break;
        const messages = session.parser.push(chunk);
        if (this.#session !== session) return;
        const banner = session.parser.banner;
        if (banner !== undefined) session.banner.resolve(banner);
        for (const message of messages) this.#dispatch(message);
        if (this.#fullSubscription()) {
          await this.#pauseReading(session);
          if (this.#session !== session) return;
        }
      }
    } catch (cause) {
      error = asError(cause);
    }
    this.#lost(session, error);
  }

  #dispatch(message: AmiMessage): void {
    const kind = message.kind;
    if (kind === "event") {
      if (this.#inFlight.onEvent(message)) return;
      const subscriptions = this.#subscriptions;
      for (let i = 0; i < subscriptions.length; i++) subscriptions[i].push(message);
    } else if (kind === "response") {
      this.#inFlight.onResponse(message);
    }
  }

  /** A subscription in backpressure mode that has no room: reading must wait for it. */
  #fullSubscription(): EventSubscription | undefined {
    const subscriptions = this.#subscriptions;
    for (let i = 0; i < subscriptions.length; i++) {
      if (subscriptions[i].full) return subscriptions[i];
    }
    return undefined;
  }

  /**
   * Stops reading the socket until every backpressure subscription has room:
   * the kernel's buffers fill and TCP slows the PBX down, instead of events
   * being lost. Answers to actions wait behind the unread events meanwhile.
   */
  async #pauseReading(session: Session): Promise<void> {
    session.paused = true;
    session.pauses++;
    try {
      for (let full = this.#fullSubscription(); full; full = this.#fullSubscription()) {
        if (this.#isClosed()) full.end(); // closing: it keeps what it has, the Logoff is answered
        else await full.drained();
        if (this.#session !== session) return;
      }
    } finally {
      session.paused = false;
    }
  }

  /** Tears a session down: pending actions reject now; then reconnect if it was connected. */
  #lost(session: Session, cause: Error): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    clearInterval(session.keepalive);
    session.conn.close();
    const error = cause instanceof AmiDisconnectedError
      ? cause
      : new AmiDisconnectedError(`AMI connection lost: ${cause.message}`, { cause });
    session.banner.reject(error);
    // They were written (or queued to be): whether the PBX acted on them is unknown.
    this.#inFlight.rejectAll((action) => new AmiOutcomeUnknownError(action, error));
    if (this.#state !== "connected") return; // connect() or the reconnect loop reports it
    if (this.#backoff) this.#reconnect(this.#backoff, error);
    else this.#setState({ state: "disconnected", error });
  }

  /** Retries until connected or closed; the attempt count goes on from the last unhealthy link. */
  async #reconnect(backoff: ReconnectBackoff, error: Error): Promise<void> {
    while (true) {
      const { attempt, delayMs } = backoff.next();
      this.#setState({ state: "reconnecting", error, attempt, delayMs });
      const sleep = backoff.sleep(delayMs);
      this.#wake = sleep.wake;
      await sleep.done;
      this.#wake = undefined;
      if (this.#isClosed()) return;
      try {
        await this.#open();
        return;
      } catch (cause) {
        if (this.#isClosed()) return;
        error = asError(cause);
      }
    }
  }

  #startKeepalive(session: Session): void {
    const interval = this.#options.keepaliveMs ?? DEFAULTS.keepaliveMs;
    if (interval <= 0) return;
    let pinging = false;
    session.keepalive = setInterval(() => {
      if (pinging || session.paused) return;
      pinging = true;
      const pauses = session.pauses;
      this.#request(session, [["Action", "Ping"]], false, interval)
        .catch((error) => {
          if (!(error instanceof AmiTimeoutError)) return;
          // The Pong may be waiting unread behind events a full subscription has not taken.
          if (session.paused || session.pauses !== pauses) return;
          this.#lost(
            session,
            new AmiDisconnectedError(
              `AMI server stopped answering: no Pong within ${interval} ms`,
              {
                cause: error,
              },
            ),
          );
        })
        .finally(() => pinging = false);
    }, interval);
  }

  #setState(change: Omit<AmiStateChange, "previous">): void {
    const previous = this.#state;
    this.#state = change.state;
    for (const listener of this.#listeners) {
      try {
        listener({ ...change, previous });
      } catch (error) {
        reportError(error);
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
