/**
 * mock-ami assembled: an {@linkcode AmiServer} (the one AMI implementation)
 * in front of the simulated {@linkcode Pbx}, with the call center's phones,
 * traffic, and the fault switches tests need.
 *
 * @example
 * ```ts
 * import { createMockAmi } from "./mock_ami.ts";
 *
 * const mock = createMockAmi({ users: [{ username: "dev", secret: "dev", read: ["all"], write: ["all"] }] });
 * const { port } = await mock.listen({ port: 0 });
 * await mock.close();
 * ```
 *
 * @module
 */

import { AmiMessage } from "../ami/message.ts";
import { AmiServer, type AmiUser, type ServerListenOptions } from "../ami/server.ts";
import type { NetAddr, Transport } from "../ami/transport.ts";
import { registerPbxActions } from "./ami_actions.ts";
import { startTraffic } from "./calls.ts";
import { type Clock, realClock, Timers } from "./clock.ts";
import { callCenterDialplan, captureDialplan, KNOWN_SOUNDS, mergeDialplans } from "./dialplan.ts";
import { Pbx } from "./pbx.ts";
import { keepPhonesRegistered } from "./sip.ts";
import { eventLayoutOf } from "./event_layouts.ts";
import { asteriskProfile } from "../ami/profiles.ts";
import type { AsteriskMajor } from "../ami/versions.ts";

/** Options of {@linkcode createMockAmi}. */
export interface MockAmiOptions {
  users: AmiUser[];
  /** The Asterisk major to answer as (banner, answers, events). Default 22. */
  asterisk?: AsteriskMajor;
  /** Technology of the simulated phones' channels. Default SIP. */
  tech?: "SIP" | "PJSIP";
  /** Phone extensions. Default 201 to 210. */
  extensions?: string[];
  /** Calls up at start. Default 0. */
  calls?: number;
  /** New calls per second. Default 0. */
  churn?: number;
  /** Seed of the simulated traffic. */
  seed?: number;
  /**
   * SIP phones register as mock-ami starts and renew every minute (a
   * `PeerStatus: Registered` each time), as real phones do. Default off:
   * tests replaying a capture get no events the capture lacks.
   */
  registerPhones?: boolean;
  /** Delay before each action is answered, in ms. Default 0. */
  latencyMs?: number;
  /** Fault: every login fails ("Authentication failed"). */
  refuseLogins?: boolean;
  /** Fault: a session is dropped (closed, unanswered) at its action number N+1. */
  dropAfterActions?: number;
  /** How long a phone rings before it answers, in ms. Default 300. */
  answerDelayMs?: number;
  /** Length of a sound file Asterisk does not know, in ms. Default 60,000. */
  defaultSoundMs?: number;
  /** Lengths of sound files the simulated PBX should know (e.g. a recordings catalog's), in ms. */
  soundDurationMs?: (file: string) => number | undefined;
  clock?: Clock;
  /** Makes MD5 login challenges (tests fix it to replay a captured login). */
  challenge?: () => string;
  /** First `-xxxxxxxx` channel number (tests name channels as a capture did). */
  firstSequence?: number;
  /** A failed login is answered after this long, in ms. Default 1,000, as Asterisk. */
  loginFailureDelayMs?: number;
  /** An unauthenticated connection is closed after this long, in ms. Default 30,000. */
  authTimeoutMs?: number;
  transport?: Transport;
  /** Sees every action a session sends, before it is answered (tests assert on what arrived). */
  onAction?: (action: AmiMessage) => void;
}

/** A running mock-ami. */
export interface MockAmi {
  readonly server: AmiServer;
  readonly pbx: Pbx;
  listen(options?: ServerListenOptions): Promise<NetAddr>;
  /** Stops traffic, closes every session and the listener. */
  close(): Promise<void>;
}

/** Where mock-ami listens and the account it accepts by default (test-client and dev use them). */
export const MOCK_AMI_DEFAULTS = {
  host: "127.0.0.1",
  port: 5038,
  username: "astrix",
  secret: "astrix",
} as const;

/** The phones 201 to 210. */
export const DEFAULT_EXTENSIONS = Array.from({ length: 10 }, (_, i) => String(201 + i));

/** Builds a mock-ami; nothing listens until `listen()`. */
export function createMockAmi(options: MockAmiOptions): MockAmi {
  const tech = options.tech ?? "SIP";
  const extensions = options.extensions ?? DEFAULT_EXTENSIONS;
  const clock = options.clock ?? realClock;
  const actionsBySession = new WeakMap<object, number>();
  const latency = options.latencyMs ?? 0;
  // Real time, whatever the PBX's clock: a test on a manual clock still gets its answers.
  const latencyTimers = new Timers(realClock);
  const profile = asteriskProfile(options.asterisk ?? 22);
  const server = new AmiServer({
    asterisk: profile,
    users: (name) =>
      options.refuseLogins ? undefined : options.users.find((u) => u.username === name),
    loginFailureDelayMs: options.loginFailureDelayMs,
    authTimeoutMs: options.authTimeoutMs,
    transport: options.transport,
    challenge: options.challenge,
    beforeAction(request, session) {
      options.onAction?.(request);
      const count = (actionsBySession.get(session) ?? 0) + 1;
      actionsBySession.set(session, count);
      if (options.dropAfterActions !== undefined && count > options.dropAfterActions) {
        return session.close();
      }
      if (latency > 0) {
        return new Promise((resolve) => latencyTimers.schedule(latency, () => resolve()));
      }
    },
  });
  const pbx = new Pbx({
    clock,
    profile,
    events: eventLayoutOf(profile),
    tech,
    extensions,
    dialplan: mergeDialplans(captureDialplan(), callCenterDialplan(extensions, tech)),
    answerDelayMs: options.answerDelayMs,
    firstSequence: options.firstSequence,
    soundDuration: (file) =>
      KNOWN_SOUNDS.get(file) ?? options.soundDurationMs?.(file) ?? options.defaultSoundMs ??
        60_000,
    emit: (event) => server.broadcast(new AmiMessage(event)),
  });
  registerPbxActions(server, pbx);
  let stopTraffic = () => {};
  let stopRegistrations = () => {};
  return {
    server,
    pbx,
    async listen(listenOptions = {}) {
      const addr = await server.listen(listenOptions);
      if (options.registerPhones && tech === "SIP") {
        stopRegistrations = keepPhonesRegistered(pbx, extensions);
      }
      stopTraffic = startTraffic(pbx, {
        calls: options.calls ?? 0,
        churn: options.churn ?? 0,
        seed: options.seed,
      });
      return addr;
    },
    async close() {
      stopTraffic();
      stopRegistrations();
      pbx.stop();
      latencyTimers.stop(); // the sessions close, so the actions held back are never answered
      await server.close();
    },
  };
}
