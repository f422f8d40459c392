/**
 * The simulated PBX behind mock-ami: channels with Asterisk's names, states
 * and Uniqueid/Linkedid, Local channel pairs, phones that ring and answer,
 * a dialplan that runs, and the events the simulated Asterisk version emits
 * for all of it, in its order (see tests/fixtures/ami and ami-versions).
 * Time comes from a {@linkcode Clock}.
 *
 * @module
 */

import { Channel, type ChannelRole, STATE } from "./channel.ts";
import { type Cancel, type Clock, Timers } from "./clock.ts";
import { type Dialplan, findExtension } from "./dialplan.ts";
import type { AsteriskProfile } from "../ami/profiles.ts";
import type { Bridge, EventLayout, PbxEvent } from "./events.ts";
import { runApplication } from "./apps.ts";
import type { Playback } from "./playback.ts";
import { isChanSip, peerDeviceState, setRtpQuality } from "./sip.ts";

/**
 * Rounds of bridge variables (BRIDGEPEER, and BRIDGEPVTCALLID between SIP
 * legs) set on both parties of a two-party bridge, as 30-sip-call-chanspy
 * shows them: when it forms, when a ChanSpy starts or stops on one of them,
 * and as it dissolves (see AsteriskProfile.bridging).
 */
const BRIDGE_ROUNDS = {
  core: { formed: 3, spyStart: 3, spyStop: 3, dissolving: 1 },
  loop: { formed: 1, spyStart: 2, spyStop: 0, dissolving: 0 },
} as const;

/** Options of {@linkcode Pbx}. */
export interface PbxOptions {
  clock: Clock;
  /** The Asterisk version simulated. */
  profile: AsteriskProfile;
  /** The events that version sends, by what happened. */
  events: EventLayout;
  dialplan: Dialplan;
  /** Phone extensions that exist (`201`, `202`, ...), reachable as SIP/<ext> and PJSIP/<ext>. */
  extensions: readonly string[];
  /** Technology of the phones' and trunk's channels in calls the PBX starts itself. */
  tech: "SIP" | "PJSIP";
  /** Where events go (mock-ami broadcasts them). */
  emit: (event: PbxEvent) => void;
  /** How long a phone rings before it answers an originated call, in ms. Default 300. */
  answerDelayMs?: number;
  /** Duration of a sound file in ms. */
  soundDuration: (file: string) => number;
  /**
   * First number of the `-xxxxxxxx` channel suffixes (default 0), as on a PBX
   * that has been up for a while: tests use it to name channels as a capture did.
   */
  firstSequence?: number;
}

/** The simulated PBX; see the module doc. */
export class Pbx {
  /**
   * The PBX's time: the given clock, through timers the PBX owns, so that
   * whatever schedules on it (Playback too) is cancelled by stop().
   */
  readonly clock: Clock;
  readonly profile: AsteriskProfile;
  readonly events: EventLayout;
  readonly dialplan: Dialplan;
  readonly extensions: readonly string[];
  readonly tech: "SIP" | "PJSIP";
  readonly answerDelayMs: number;
  readonly soundDuration: (file: string) => number;
  readonly globals = new Map<string, string>();
  readonly startedAt: number;
  readonly #emit: (event: PbxEvent) => void;
  readonly #channels = new Map<string, Channel>();
  readonly #sequences = new Map<string, number>();
  readonly #firstSequence: number;
  #uniqueSeq = 0;
  #processedCalls = 0;
  readonly #timers: Timers;
  /** Spyer → spyee of running ChanSpy applications. */
  readonly spies = new Map<Channel, Channel>();
  /** Playbacks in progress, by channel. */
  readonly playbacks = new Map<Channel, Playback>();
  /** chan_sip peers registered (`202`), by their phones' REGISTER. */
  readonly registeredPeers = new Set<string>();

  constructor(options: PbxOptions) {
    this.#timers = new Timers(options.clock);
    this.clock = this.#timers;
    this.profile = options.profile;
    this.events = options.events;
    this.dialplan = options.dialplan;
    this.extensions = options.extensions;
    this.tech = options.tech;
    this.answerDelayMs = options.answerDelayMs ?? 300;
    this.soundDuration = options.soundDuration;
    this.#emit = options.emit;
    this.#firstSequence = options.firstSequence ?? 0;
    this.startedAt = this.clock.now();
  }

  /** Live channels, in creation order. */
  get channels(): Channel[] {
    return [...this.#channels.values()];
  }

  /** Calls placed since start (CoreStatus' CoreProcessedCalls). */
  get processedCalls(): number {
    return this.#processedCalls;
  }

  /** Counts a call placed by simulated traffic. */
  countCall(): void {
    this.#processedCalls++;
  }

  /** A live channel by exact name or by Uniqueid (as ast_channel_get_by_name does). */
  findChannel(nameOrUniqueid: string): Channel | undefined {
    const byName = this.#channels.get(nameOrUniqueid);
    if (byName) return byName;
    return this.channels.find((c) => c.uniqueid === nameOrUniqueid);
  }

  emit(event: PbxEvent): void {
    this.#emit(event);
  }

  /** Emits the events the simulated version sends when `what` happens. */
  announce<K extends keyof EventLayout>(what: K, ...args: Parameters<EventLayout[K]>): void {
    const build = this.events[what] as (...args: Parameters<EventLayout[K]>) => PbxEvent[];
    for (const event of build(...args)) this.#emit(event);
  }

  /** Schedules work on the PBX clock; everything pending is cancelled by stop(). */
  after(ms: number, callback: () => void): Cancel {
    return this.#timers.schedule(ms, callback);
  }

  /** Cancels every timer and refuses new ones (calls freeze; mock-ami is shutting down). */
  stop(): void {
    this.#timers.stop();
  }

  /** Whether `tech/resource` names something this PBX can call. */
  resolvable(dial: string): boolean {
    const slash = dial.indexOf("/");
    const tech = dial.slice(0, slash).toUpperCase();
    if (tech === "LOCAL") return /^[^@/]+@[^@/]+(\/n)?$/.test(dial.slice(slash + 1));
    return (tech === "SIP" || tech === "PJSIP") && this.endpointExists(dial.slice(slash + 1));
  }

  /** Whether a phone (or the trunk) with this name exists. */
  endpointExists(resource: string): boolean {
    return resource === "trunk" || this.extensions.includes(resource);
  }

  /** A fresh channel, registered and announced with Newchannel. */
  newChannel(init: {
    base: string;
    suffix?: string;
    role: ChannelRole;
    device: string;
    state: number;
    context: string;
    exten: string;
    linkedid?: string;
    sequence?: number;
    /** A uniqueid the originator chose (Originate's ChannelId); default the next one. */
    uniqueid?: string;
    /** Caller id the channel comes with (a phone's own), shown from its Newchannel on. */
    callerId?: { num: string; name: string };
  }): Channel {
    const seq = init.sequence ?? this.nextSequence(init.base.slice(0, init.base.indexOf("/")));
    const channel = new Channel({
      name: `${init.base}-${seq.toString(16).padStart(8, "0")}${init.suffix ?? ""}`,
      uniqueid: init.uniqueid ?? `${Math.floor(this.startedAt / 1000)}.${this.#uniqueSeq++}`,
      linkedid: init.linkedid,
      role: init.role,
      device: init.device,
      state: init.state,
      context: init.context,
      exten: init.exten,
      createdAt: this.clock.now(),
    });
    if (init.callerId) {
      channel.callerIdNum = init.callerId.num;
      channel.callerIdName = init.callerId.name;
    }
    this.#channels.set(channel.name, channel);
    this.announce("newchannel", channel);
    return channel;
  }

  /** The next `-xxxxxxxx` number of a technology (each driver counts on its own). */
  nextSequence(tech: string): number {
    const key = tech.toUpperCase();
    const next = this.#sequences.get(key) ?? this.#firstSequence;
    this.#sequences.set(key, next + 1);
    return next;
  }

  setState(channel: Channel, state: number): void {
    if (channel.state === state) return;
    channel.state = state;
    if (state === STATE.Up) channel.answeredAt ??= this.clock.now();
    this.announce("newstate", channel);
  }

  /**
   * Announces the state of the channel's device (`RINGING`, `INUSE`, ...). A
   * chan_sip peer without call-limit reports only whether it is registered,
   * once per call, as its channel first changes state.
   */
  deviceState(channel: Channel, state: string): void {
    if (!isChanSip(channel)) return this.announce("deviceStateChange", channel.device, state);
    if (channel.deviceStateSent) return;
    channel.deviceStateSent = true;
    this.announce("deviceStateChange", channel.device, peerDeviceState(this, channel));
  }

  setVariable(channel: Channel | undefined, name: string, value: string): void {
    if (channel) {
      channel.variables.set(name, value);
      this.announce("varSet", channel, name, value);
    } else {
      this.globals.set(name, value);
      this.announce("globalVarSet", name, value);
    }
  }

  /** A channel variable, a global, or one of the dialplan functions the mock knows. */
  getVariable(channel: Channel | undefined, name: string): string {
    const fn = name.match(/^([A-Z_]+)\((.*)\)$/i);
    if (fn && channel) return dialplanFunction(channel, fn[1].toUpperCase(), fn[2].toLowerCase());
    if (name === "EPOCH") return String(Math.floor(this.clock.now() / 1000));
    return channel?.variables.get(name) ?? this.globals.get(name) ?? "";
  }

  /** Executes the channel's dialplan from its current priority until an application blocks. */
  runDialplan(channel: Channel): void {
    channel.inDialplan = true;
    const steps = findExtension(this.dialplan, channel.context, channel.exten);
    const step = steps?.[channel.priority - 1];
    if (!step) {
      // Fell off the end of the extension: Asterisk hangs up the channel.
      return this.hangup(channel, 16, { fromDialplan: true });
    }
    const data = this.substitute(channel, step.data);
    this.announce("newexten", channel, step.app, data);
    runApplication(this, channel, step.app, data, (next) => {
      if (channel.hungUp) return;
      channel.priority = next ?? channel.priority + 1;
      this.runDialplan(channel);
    });
  }

  /** `${VAR}` substitution in application data. */
  substitute(channel: Channel, data: string): string {
    return data.replace(/\$\{([^}]+)\}/g, (_, name: string) => this.getVariable(channel, name));
  }

  /**
   * Hangs a channel up the way Asterisk announces it: a dialplan channel gets
   * a SoftHangupRequest first; the other half of a Local pair is asked to
   * hang up (HangupRequest) and follows. A bridged channel is let go by its
   * bridge first (the Dial() that bridged it returns), then hangs up; the
   * application that owns the other party decides what becomes of it.
   */
  hangup(channel: Channel, cause: number, how: { fromDialplan?: boolean } = {}): void {
    if (channel.hungUp) return;
    const bridge = channel.bridge;
    if (bridge) {
      this.#bridgeVariables(bridge, BRIDGE_ROUNDS[this.profile.bridging].dissolving, {
        cleared: true,
      });
      this.leaveBridge(channel);
      this.#stopRunning(channel);
      if (channel.inDialplan) this.announce("softHangupRequest", channel, 16);
      return this.#hangupWithFollowers(channel, cause);
    }
    if (channel.inDialplan || how.fromDialplan) this.announce("softHangupRequest", channel, 16);
    this.#hangupWithFollowers(channel, cause);
  }

  /** Hangs up a leg its application owns (Dial's callee as the call ends): no request, Hangup. */
  drop(channel: Channel, cause: number): void {
    this.#end(channel, cause);
  }

  /** Hangs up several channels at once (AMI Hangup with a /regex/). */
  hangupAll(channels: Channel[], cause: number): void {
    if (this.profile.regexHangupInTurn) {
      for (const channel of channels) this.hangup(channel, cause);
      return;
    }
    for (const channel of channels) {
      if (channel.inDialplan) this.announce("softHangupRequest", channel, 16);
      else this.announce("hangupRequest", channel, cause);
    }
    for (const channel of channels) this.#end(channel, cause);
    for (const channel of channels) {
      for (const other of this.#others(channel)) this.hangup(other, cause);
    }
  }

  #hangupWithFollowers(channel: Channel, cause: number): void {
    this.#stopRunning(channel);
    const others = this.#others(channel);
    for (const other of others) this.announce("hangupRequest", other, cause);
    this.#end(channel, cause);
    for (const other of others) {
      if (other.hungUp) continue;
      this.#stopRunning(other);
      this.announce("softHangupRequest", other, 16);
      this.#hangupWithFollowers(other, this.#followerCause(channel, other, cause));
    }
  }

  /** The cause `other` hangs up with when it follows `channel` (11: a `;2` after its `;1`, 0). */
  #followerCause(channel: Channel, other: Channel, cause: number): number {
    const twoAfterOne = other === channel.partner && other.role === "local2";
    return twoAfterOne && !this.profile.localCausePassedOn ? 0 : cause;
  }

  /** The live channels that go down with this one: its Local half. */
  #others(channel: Channel): Channel[] {
    const partner = channel.partner;
    return partner && !partner.hungUp ? [partner] : [];
  }

  /** Leaves any bridge, emits Hangup and forgets the channel (its application is stopped first). */
  #end(channel: Channel, cause: number): void {
    if (channel.hungUp) return;
    this.#stopRunning(channel);
    this.leaveBridge(channel);
    const sip = isChanSip(channel);
    if (sip && channel.answeredAt !== undefined) {
      setRtpQuality(this, channel, this.clock.now() - channel.answeredAt);
    }
    channel.hungUp = true;
    this.#channels.delete(channel.name);
    channel.onHangupBeforeAnswer?.();
    // chan_sip ends a dialog with a BYE: Normal Clearing unless a cause was given.
    this.announce("hangup", channel, sip && cause === 0 ? 16 : cause);
    this.#deviceIdle(channel);
    for (const listener of channel.hangupListeners) listener();
  }

  /**
   * Puts two answered channels, `a` entering first, in a new basic bridge
   * (BridgeCreate, BridgeEnter x2), then sets its variables. Two SIP legs
   * end up bridged natively (native_rtp), others by simple_bridge.
   */
  bridge(a: Channel, b: Channel): void {
    const bridge: Bridge = { id: crypto.randomUUID(), channels: [], technology: "simple_bridge" };
    this.announce("bridgeCreate", bridge);
    for (const channel of [a, b]) {
      bridge.channels.push(channel);
      channel.bridge = bridge;
      this.announce("bridgeEnter", bridge, channel);
    }
    a.bridgedWith = b;
    b.bridgedWith = a;
    this.#bridgeVariables(bridge, BRIDGE_ROUNDS[this.profile.bridging].formed);
    bridge.technology = nativeTechnology(bridge);
  }

  /**
   * A ChanSpy started (`attached`) or stopped on `channel`: its bridge, if
   * any, is set up again (an audiohook keeps media off a native bridge; 11's
   * bridge loop is broken with `Cause: 64` for it).
   */
  audiohooksChanged(channel: Channel, attached: boolean): void {
    const bridge = channel.bridge;
    if (!bridge) return;
    const rounds = BRIDGE_ROUNDS[this.profile.bridging];
    if (attached && this.profile.bridging === "loop") {
      const owner = bridge.channels.find((c) => c.inDialplan);
      if (owner) this.announce("softHangupRequest", owner, 64);
    }
    this.#bridgeVariables(bridge, attached ? rounds.spyStart : rounds.spyStop);
    bridge.technology = attached ? "simple_bridge" : nativeTechnology(bridge);
  }

  /** Takes a channel out of its bridge (BridgeLeave; BridgeDestroy after the last). */
  leaveBridge(channel: Channel): void {
    const bridge = channel.bridge;
    if (!bridge) return;
    channel.bridge = undefined;
    bridge.channels = bridge.channels.filter((c) => c !== channel);
    this.announce("bridgeLeave", bridge, channel);
    if (bridge.channels.length === 0) this.announce("bridgeDestroy", bridge);
  }

  /**
   * `rounds` times, BRIDGEPEER (and BRIDGEPVTCALLID between SIP legs) on each
   * party, oldest first; `cleared` as the bridge dissolves (empty values).
   */
  #bridgeVariables(bridge: Bridge, rounds: number, how = { cleared: false }): void {
    const parties = [...bridge.channels].sort((x, y) => x.createdAt - y.createdAt);
    for (let round = 0; round < rounds; round++) {
      for (const channel of parties) {
        const peer = parties.find((c) => c !== channel);
        if (!peer) continue;
        this.setVariable(channel, "BRIDGEPEER", how.cleared ? "" : peer.name);
        if (isChanSip(channel) && isChanSip(peer)) {
          const callId = how.cleared ? "" : peer.variables.get("SIPCALLID") ?? "";
          this.setVariable(channel, "BRIDGEPVTCALLID", callId);
        }
      }
    }
  }

  #stopRunning(channel: Channel): void {
    const stop = channel.running.stop;
    channel.running.stop = undefined;
    stop?.();
  }

  /** Drops a channel that goes away unanswered (a failed Originate): Hangup only. */
  discard(channel: Channel, cause: number): void {
    channel.hungUp = true;
    this.#channels.delete(channel.name);
    this.announce("hangup", channel, cause);
  }

  /** NOT_INUSE for a device once its channel is gone (Local devices report per half). */
  #deviceIdle(channel: Channel): void {
    if (channel.deviceIdleSent) return;
    channel.deviceIdleSent = true;
    const partner = channel.partner;
    if (partner && !partner.hungUp) return;
    if (partner) {
      partner.deviceIdleSent = true;
      this.deviceState(channel, "NOT_INUSE");
    }
    this.deviceState(channel, "NOT_INUSE");
  }

  /** Answers a ringing channel (the Answer application, or a phone picking up). */
  answer(channel: Channel): void {
    if (channel.state === STATE.Up) return;
    this.setState(channel, STATE.Up);
    this.deviceState(channel, "INUSE");
    const onAnswer = channel.onAnswer;
    channel.onAnswer = undefined;
    onAnswer?.();
  }
}

/** The dialplan functions the mock evaluates in Getvar: CHANNEL(...) and CALLERID(...). */
function dialplanFunction(channel: Channel, fn: string, arg: string): string {
  if (fn === "CHANNEL") {
    const values: Record<string, string> = {
      state: channel.stateDesc,
      name: channel.name,
      uniqueid: channel.uniqueid,
      linkedid: channel.linkedid,
      context: channel.context,
      exten: channel.exten,
      language: channel.language,
    };
    return values[arg] ?? "";
  }
  if (fn === "CALLERID") {
    if (arg === "num") return channel.callerIdNum;
    if (arg === "name") return channel.callerIdName;
  }
  return "";
}

/** The technology a two-party bridge settles on: native RTP between two SIP legs. */
function nativeTechnology(bridge: Bridge): string {
  return bridge.channels.length === 2 && bridge.channels.every(isChanSip)
    ? "native_rtp"
    : "simple_bridge";
}
