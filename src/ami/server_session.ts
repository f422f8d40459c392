/**
 * One AMI connection on the server side, answering as Asterisk 22 does (see
 * tests/fixtures/ami): banner, login (plain and MD5 challenge) with a delayed
 * failure that closes the connection, Logoff, Ping, Events, "Permission
 * denied" before login, unknown and missing actions, per-session event
 * masks, and the idle timeout of a connection that never logs in. Other
 * actions go to the handlers registered on the server, one at a time per
 * session as Asterisk runs them.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { type AmiHeader, AmiMessage, serializeMessage } from "./message.ts";
import { AmiParser } from "./parser.ts";
import {
  allowsAll,
  allowsAny,
  eventClasses,
  parseClasses,
  parseEventMask,
  PERMISSION_CLASSES,
  type PermissionClass,
} from "./permissions.ts";
import type { AsteriskProfile } from "./profiles.ts";
import type { AmiConn, NetAddr } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

/** An AMI account, as a manager.conf section describes it. */
export interface AmiUser {
  username: string;
  secret: string;
  /** Classes of events the user may receive (`read=`), e.g. `["call"]` or `["all"]`. */
  read: readonly string[];
  /** Classes of actions the user may run (`write=`). */
  write: readonly string[];
}

/** Runs one action for a logged-in session whose user may run it. */
export type ActionHandler = (
  request: AmiMessage,
  session: AmiServerSession,
) => void | Promise<void>;

/** A registered action: its handler and the write classes of which the user needs one. */
export interface ActionDefinition {
  write?: readonly PermissionClass[];
  handle: ActionHandler;
}

/** What a session needs from its server. */
export interface SessionContext {
  /** The Asterisk this server answers as. */
  profile: AsteriskProfile;
  banner: string;
  findUser(username: string): AmiUser | undefined;
  findAction(name: string): ActionDefinition | undefined;
  startedAt: number;
  authTimeoutMs: number;
  loginFailureDelayMs: number;
  maxMessageBytes?: number;
  maxMessageHeaders?: number;
  /** Makes the MD5 login challenge (a random decimal number; tests may fix it). */
  challenge: () => string;
  /** Runs before each action (fault injection and latency in mock-ami); may close the session. */
  beforeAction?: (request: AmiMessage, session: AmiServerSession) => void | Promise<void>;
  onClose(session: AmiServerSession): void;
}

/** Options of a response built by {@linkcode AmiServerSession.reply}. */
export interface ReplyOptions {
  message?: string;
  /** Adds `EventList: start` (a list follows). */
  eventList?: boolean;
  /** Action-specific headers, after `Message:`. */
  fields?: readonly AmiHeader[];
}

const TEXT_ENCODER = new TextEncoder();
/** Asterisk's input buffer takes lines of up to 1024 bytes. */
const MAX_LINE_LENGTH = 1024;
/** Past this many events held during one action, events go out at once (memory stays bounded). */
const MAX_HELD_EVENTS = 50_000;
/** A session whose unsent output passes this (about 16 MB) has stopped reading and is closed. */
const MAX_QUEUED_CHARS = 16 * 1024 * 1024;

/** One connected AMI client, as the server sees it. */
export class AmiServerSession {
  /** Asterisk-style session id (`0x7f47...`), as in SuccessfulAuth. */
  readonly id = "0x" + randomHex(6);
  readonly conn: AmiConn;
  readonly #context: SessionContext;
  readonly #writer: WriteQueue;
  #user: AmiUser | undefined;
  #read = new Set<PermissionClass>();
  #write = new Set<PermissionClass>();
  #eventMask = new Set<PermissionClass>(PERMISSION_CLASSES);
  #challenge: string | undefined;
  #closed = false;
  /** Events (wire text) held while an action runs, or undefined between actions. */
  #held: string[] | undefined;
  #authTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #done = Promise.withResolvers<void>();

  constructor(conn: AmiConn, context: SessionContext) {
    this.conn = conn;
    this.#context = context;
    this.#writer = new WriteQueue(conn, () => this.close());
  }

  /** The logged-in user, if any. */
  get user(): AmiUser | undefined {
    return this.#user;
  }

  /** Whether the user's `write=` classes allow an action that needs one of `classes`. */
  mayRun(classes: readonly PermissionClass[] | undefined): boolean {
    return allowsAny(this.#write, classes ?? []);
  }

  /** Whether the session has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the connection has closed. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Sends the banner, then reads and answers actions until the connection ends. */
  async run(): Promise<void> {
    this.#authTimer = setTimeout(() => this.close(), this.#context.authTimeoutMs);
    this.#send(this.#context.banner + "\r\n");
    const parser = new AmiParser({
      maxMessageBytes: this.#context.maxMessageBytes,
      maxMessageHeaders: this.#context.maxMessageHeaders,
    });
    try {
      while (!this.#closed) {
        const chunk = await this.conn.read();
        if (chunk === null) break;
        for (const request of parser.push(chunk)) {
          if (this.#closed) break;
          // Only wait when an action is really asynchronous: the answers to a burst of
          // quick actions then go out in one write.
          const pending = this.#process(request);
          if (pending) await pending;
        }
      }
    } catch {
      // A broken or oversized stream ends the session; there is nobody to answer.
    }
    this.close();
  }

  /** Writes raw headers as one message (no filtering). */
  send(fields: Iterable<AmiHeader>): void {
    this.#send(serializeMessage(fields));
  }

  /** Answers `request`: Response, ActionID (if it had one), EventList, Message, then fields. */
  reply(request: AmiMessage, status: string, options: ReplyOptions = {}): void {
    const fields: AmiHeader[] = [["Response", status]];
    const actionId = request.actionId;
    if (actionId !== undefined) fields.push(["ActionID", actionId]);
    if (options.eventList) fields.push(["EventList", "start"]);
    if (options.message !== undefined) fields.push(["Message", options.message]);
    if (options.fields) fields.push(...options.fields);
    this.send(fields);
  }

  /**
   * Answers a CLI command as Asterisk before 14 does: `Response: Follows`,
   * `Privilege: Command`, the ActionID, the output lines ended by LF only, then
   * `--END COMMAND--`.
   */
  replyFollows(request: AmiMessage, lines: readonly string[]): void {
    const actionId = request.actionId;
    const head = "Response: Follows\r\nPrivilege: Command\r\n" +
      (actionId !== undefined ? `ActionID: ${actionId}\r\n` : "");
    const body = lines.map((line) => line.replace(/[\r\n]/g, " ") + "\n").join("");
    this.#send(`${head}${body}--END COMMAND--\r\n\r\n`);
  }

  /** Sends one list item: `Event:`, the request's ActionID, then fields (sent even with events off). */
  listItem(request: AmiMessage, event: string, fields: readonly AmiHeader[] = []): void {
    const head: AmiHeader[] = [["Event", event]];
    const actionId = request.actionId;
    if (actionId !== undefined) head.push(["ActionID", actionId]);
    this.send([...head, ...fields]);
  }

  /**
   * Ends a list: `Event: <name>`, ActionID, `EventList: Complete`, `ListItems: N`,
   * extra fields; with `actionIdLast` (Asterisk 11's CoreShowChannelsComplete) the
   * ActionID comes after ListItems instead.
   */
  listComplete(
    request: AmiMessage,
    event: string,
    items: number,
    extra: readonly AmiHeader[] = [],
    options: { actionIdLast?: boolean } = {},
  ): void {
    const fields: AmiHeader[] = [["EventList", "Complete"], ["ListItems", String(items)]];
    if (!options.actionIdLast) return this.listItem(request, event, [...fields, ...extra]);
    const actionId = request.actionId;
    this.send([
      ["Event", event],
      ...fields,
      ...(actionId !== undefined ? [["ActionID", actionId] as AmiHeader] : []),
      ...extra,
    ]);
  }

  /**
   * Sends an event if this session is logged in, its user may read every class
   * in the event's `Privilege:` header, and its event mask lets them through.
   */
  sendEvent(event: AmiMessage): void {
    this.deliver(eventClasses(event.get("Privilege")), serializeMessage(event));
  }

  /**
   * {@linkcode sendEvent} for an event already serialized, with its classes
   * already read (a broadcast does both once for every session).
   */
  deliver(classes: readonly PermissionClass[], text: string): void {
    if (!this.#user) return;
    if (!allowsAll(this.#read, classes) || !allowsAll(this.#eventMask, classes)) return;
    if (classes.length === 0 && this.#eventMask.size === 0) return;
    const held = this.#held;
    if (held && held.length < MAX_HELD_EVENTS) held.push(text);
    else this.#send(text);
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#authTimer);
    this.conn.close();
    this.#context.onClose(this);
    this.#done.resolve();
  }

  #send(text: string): void {
    if (this.#closed) return;
    this.#writer.write(text);
    // A client that stops reading: drop it (as Asterisk's writetimeout does), memory stays bounded.
    if (this.#writer.queued > MAX_QUEUED_CHARS) this.close();
  }

  /**
   * Runs one action; returns a promise only if the action is asynchronous. As
   * in Asterisk, where a session's thread writes queued events only between
   * actions, events raised while it runs are sent after its response.
   */
  #process(request: AmiMessage): Promise<void> | void {
    const before = this.#context.beforeAction?.(request, this);
    if (before) return before.then(() => this.#run(request));
    return this.#run(request);
  }

  #run(request: AmiMessage): Promise<void> | void {
    if (this.#closed) return;
    this.#held = [];
    let result: Promise<void> | void = undefined;
    try {
      result = this.#dispatch(request);
    } catch (error) {
      this.#fail(request, error);
    }
    if (!result) return this.#release();
    return result.catch((error) => this.#fail(request, error)).finally(() => this.#release());
  }

  /** Sends the events held while an action ran. */
  #release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const text of held) this.#send(text);
  }

  /** A handler that threw: answered as an error with its message. */
  #fail(request: AmiMessage, error: unknown): void {
    this.reply(request, "Error", {
      message: error instanceof Error ? error.message : String(error),
    });
  }

  #dispatch(request: AmiMessage): Promise<void> | void {
    if (request.longestLine > MAX_LINE_LENGTH) {
      return this.reply(request, "Error", { message: "Failed to parse message: line too long" });
    }
    const action = firstNonEmpty(request.getAll("Action"));
    if (action === undefined) {
      return this.reply(request, "Error", { message: "Missing action in request" });
    }
    const name = action.toLowerCase();
    if (name === "login") return this.#login(request);
    if (name === "logoff") return this.#logoff(request);
    if (name === "challenge") return this.#challengeAction(request);
    if (!this.#user) return this.reply(request, "Error", { message: "Permission denied" });
    if (name === "ping") return this.#ping(request);
    if (name === "events") return this.#events(request);
    const definition = this.#context.findAction(name);
    if (!definition) {
      return this.reply(request, "Error", {
        message:
          `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`,
      });
    }
    if (!this.mayRun(definition.write)) {
      return this.reply(request, "Error", { message: "Permission denied" });
    }
    return definition.handle(request, this);
  }

  #login(request: AmiMessage): Promise<void> | void {
    if (this.#user) return this.reply(request, "Success", { message: "Already authenticated" });
    const user = this.#authenticate(request);
    if (!user) return this.#refuseLogin(request);
    clearTimeout(this.#authTimer);
    this.#user = user;
    this.#read = parseClasses(user.read.join(","));
    this.#write = parseClasses(user.write.join(","));
    const events = request.get("Events");
    if (events !== undefined) this.#eventMask = parseEventMask(events) ?? new Set();
    this.reply(request, "Success", { message: "Authentication accepted" });
    this.#announceLogin(user);
  }

  /** As Asterisk: a pause, "Authentication failed", then the connection is closed. */
  async #refuseLogin(request: AmiMessage): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.#context.loginFailureDelayMs));
    this.reply(request, "Error", { message: "Authentication failed" });
    await this.#writer.drain();
    this.close();
  }

  #authenticate(request: AmiMessage): AmiUser | undefined {
    const username = request.get("Username");
    const user = username ? this.#context.findUser(username) : undefined;
    if (!user) return undefined;
    if (request.get("AuthType")?.toLowerCase() === "md5") {
      if (!this.#challenge) return undefined;
      const expected = createHash("md5").update(this.#challenge + user.secret).digest("hex");
      return constantTimeEqual(request.get("Key")?.toLowerCase() ?? "", expected)
        ? user
        : undefined;
    }
    return constantTimeEqual(request.get("Secret") ?? "", user.secret) ? user : undefined;
  }

  /**
   * FullyBooted and SuccessfulAuth, as Asterisk sends them right after a login
   * (Asterisk 13's FullyBooted has no times; 11 sends no SuccessfulAuth).
   */
  #announceLogin(user: AmiUser): void {
    const profile = this.#context.profile;
    const uptime = String(Math.floor((Date.now() - this.#context.startedAt) / 1000));
    const times: AmiHeader[] = profile.fullyBootedUptime
      ? [["Uptime", uptime], ["LastReload", uptime]]
      : [];
    this.sendEvent(
      new AmiMessage([
        ["Event", "FullyBooted"],
        ["Privilege", "system,all"],
        ...times,
        ["Status", "Fully Booted"],
      ]),
    );
    if (!profile.successfulAuth) return;
    const now = eventTime(new Date());
    this.sendEvent(
      new AmiMessage([
        ["Event", "SuccessfulAuth"],
        ["Privilege", "security,all"],
        ["EventTV", now],
        ["Severity", "Informational"],
        ["Service", "AMI"],
        ["EventVersion", "1"],
        ["AccountID", user.username],
        ["SessionID", this.id],
        ["LocalAddress", amiAddress(this.conn.localAddr)],
        ["RemoteAddress", amiAddress(this.conn.remoteAddr)],
        ["UsingPassword", "0"],
        ["SessionTV", now],
      ]),
    );
  }

  #logoff(request: AmiMessage): void {
    this.reply(request, "Goodbye", { message: "Thanks for all the fish." });
    this.#writer.drain().then(() => this.close());
  }

  #challengeAction(request: AmiMessage): void {
    if (request.get("AuthType")?.toLowerCase() !== "md5") {
      return this.reply(request, "Error", { message: "Must specify AuthType" });
    }
    this.#challenge ??= this.#context.challenge();
    this.reply(request, "Success", { fields: [["Challenge", this.#challenge]] });
  }

  #ping(request: AmiMessage): void {
    const timestamp = ((performance.timeOrigin + performance.now()) / 1000).toFixed(6);
    this.reply(request, "Success", { fields: [["Ping", "Pong"], ["Timestamp", timestamp]] });
  }

  #events(request: AmiMessage): void {
    const mask = parseEventMask(request.get("EventMask"));
    if (!mask) return this.reply(request, "Error", { message: "Invalid event mask" });
    this.#eventMask = mask;
    this.reply(request, "Success", { fields: [["Events", mask.size > 0 ? "On" : "Off"]] });
  }
}

function firstNonEmpty(values: string[]): string | undefined {
  return values.find((value) => value !== "");
}

/** Compares secrets without an early exit that would leak their common prefix length. */
function constantTimeEqual(a: string, b: string): boolean {
  const x = TEXT_ENCODER.encode(a);
  const y = TEXT_ENCODER.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Asterisk's address form in security events: `IPV4/TCP/127.0.0.1/5038`. */
function amiAddress({ hostname, port }: NetAddr): string {
  return `${hostname.includes(":") ? "IPV6" : "IPV4"}/TCP/${hostname}/${port}`;
}

/** Asterisk's EventTV format: `2026-11-24T01:41:34.556+0000`. */
function eventTime(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}
