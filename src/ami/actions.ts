/**
 * Typed builders for the actions astrix sends. Each returns headers in the
 * order Asterisk documents them; the client adds the ActionID. Values that
 * end up inside an application's argument string (ChanSpy's target,
 * ControlPlayback's file) are checked here, because a comma there would add
 * options the caller never meant: the serializer stops CR/LF, these
 * builders stop the rest.
 *
 * The comments say what Asterisk 22 answers (see tests/fixtures/ami).
 *
 * @example
 * ```ts
 * import { originateListen } from "./actions.ts";
 *
 * originateListen({ listenerChannel: "SIP/201", targetChannel: "SIP/202-0000000a", mode: "listen" });
 * // [["Action","Originate"], ["Channel","SIP/201"], ["Application","ChanSpy"],
 * //  ["Data","SIP/202-0000000a,qESu"], ["Async","true"], ...]
 * ```
 *
 * @module
 */

import { AmiInjectionError } from "./errors.ts";
import type { AmiHeader } from "./message.ts";

/** An action as headers in order (without ActionID). */
export type AmiAction = AmiHeader[];

/** `Tech/resource`, optionally `-<seq>` and `;1`/`;2`: no commas, blanks, `$`, braces or parentheses. */
const CHANNEL = /^[A-Za-z][A-Za-z0-9_]*\/[A-Za-z0-9_@.+#*:;=\-]+$/;
/** A sound file path without extension: letters, digits, `_ - . /`, no `..` segment. */
const SOUND_FILE = /^[A-Za-z0-9_\-./]+$/;
/** A uniqueid chosen for a new channel (Originate's ChannelId). */
const UNIQUEID = /^[A-Za-z0-9._-]{1,150}$/;
/** A variable name or dialplan function call such as `CHANNEL(state)`. */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*(\([A-Za-z0-9_,.\-]*\))?$/;

/** `Action: Login` with a plain secret. Success: `Message: Authentication accepted`. */
export function login(options: { username: string; secret: string; events?: string }): AmiAction {
  const action: AmiAction = [
    ["Action", "Login"],
    ["Username", options.username],
    ["Secret", options.secret],
  ];
  if (options.events !== undefined) action.push(["Events", options.events]);
  return action;
}

/** `Action: Challenge` for MD5 login. Success carries `Challenge: <decimal>`. */
export function challenge(): AmiAction {
  return [["Action", "Challenge"], ["AuthType", "MD5"]];
}

/** `Action: Logoff`. Asterisk answers `Response: Goodbye` and closes the socket. */
export function logoff(): AmiAction {
  return [["Action", "Logoff"]];
}

/** `Action: Ping`. Answer: `Ping: Pong` and `Timestamp: <epoch.micro>`. */
export function ping(): AmiAction {
  return [["Action", "Ping"]];
}

/** `Action: Events`. Answer: `Events: On` or `Events: Off`; no mask gives `Invalid event mask`. */
export function events(mask: string): AmiAction {
  return [["Action", "Events"], ["EventMask", mask]];
}

/** How a supervisor joins a call. */
export type ListenMode = "listen" | "whisper" | "barge";

/**
 * ChanSpy options per mode. Always: `q` no beep or name announcement, `E`
 * leave when the spied-on channel hangs up (and on `*`, instead of cycling to
 * another call), `S` leave when nothing is left to spy on, `u` the target is
 * one exact channel name, so neither the prefix match (`SIP/100` would also
 * match `SIP/1001`) nor the `digits#` DTMF jump can reach another call.
 * Then `w` to talk to the target, or `B` to talk to both parties.
 */
export const CHANSPY_OPTIONS: Readonly<Record<ListenMode, string>> = {
  listen: "qESu",
  whisper: "qESuw",
  barge: "qESuB",
};

/**
 * The channel variable an Originate sets to its `tag` (a job id): the
 * `VarSet` of it names the new call's Uniqueid before the call is answered,
 * on every version, Asterisk 11 included (which ignores `ChannelId`).
 */
export const TAG_VARIABLE = "ASTRIX_JOB";

/** Options of {@linkcode originateListen}. */
export interface OriginateListenOptions {
  /** The supervisor's phone, called first, e.g. `SIP/201`. */
  listenerChannel: string;
  /**
   * The live channel to spy on, by its exact name (`SIP/202-0000000a`) or its Uniqueid: with
   * ChanSpy's `u` (Asterisk 13+) either names one channel. Without `u` (Asterisk 11) it is
   * read as a name prefix: pass the full name of a channel just checked to be live, which
   * starts no other channel's name.
   */
  targetChannel: string;
  mode: ListenMode;
  /** ChanSpy has the `u` option (Asterisk 13+). Default true. */
  exactOption?: boolean;
  /** Caller ID shown on the listener's phone. */
  callerId?: string;
  /** How long to ring the listener, in ms. Default 30,000. */
  ringTimeoutMs?: number;
  /** The uniqueid the new channel gets (Asterisk 12+), so it can be found before it answers. */
  channelId?: string;
  /** Set as {@linkcode TAG_VARIABLE} on the new channel: its VarSet names the call's Uniqueid. */
  tag?: string;
}

/**
 * Originate (Async) that rings the listener and runs ChanSpy on exactly the
 * target channel. Asterisk answers `Message: Originate successfully queued`,
 * then `Event: OriginateResponse` with this ActionID (`Response: Success`,
 * `Reason: 4`, or `Failure` with `Uniqueid: <unknown>`), then `ChanSpyStart`
 * with `SpyerChannel`/`SpyeeChannel` and later `ChanSpyStop`.
 */
export function originateListen(options: OriginateListenOptions): AmiAction {
  const listener = checkChannel("Channel", options.listenerChannel);
  const exact = options.exactOption ?? true;
  const target = exact
    ? checkChannelRef("Data", options.targetChannel)
    : checkChannel("Data", options.targetChannel);
  const flags = CHANSPY_OPTIONS[options.mode];
  if (flags === undefined) {
    throw new AmiInjectionError("Data", `unknown listen mode "${options.mode}"`);
  }
  return originate(
    listener,
    "ChanSpy",
    `${target},${exact ? flags : flags.replace("u", "")}`,
    options,
  );
}

/** Options of {@linkcode originatePlayback}. */
export interface OriginatePlaybackOptions {
  /** The phone to play to, e.g. `SIP/201`. */
  channel: string;
  /** Sound file without extension, as Asterisk expects (`/var/spool/asterisk/monitor/x`). */
  file: string;
  /** Step of forward/reverse, in ms. Default 3,000 (ControlPlayback's own default). */
  skipMs?: number;
  callerId?: string;
  ringTimeoutMs?: number;
  /** The uniqueid the new channel gets (Asterisk 12+). */
  channelId?: string;
  /** Set as {@linkcode TAG_VARIABLE} on the new channel: its VarSet names the call's Uniqueid. */
  tag?: string;
}

/**
 * Originate (Async) that rings `channel` and plays `file` with the
 * ControlPlayback application, the one the AMI ControlPlayback action can
 * pause, skip and restart (on a plain Playback a pause stops the file). The
 * phone's own keys cannot pause it (no pause/stop/restart digits are given),
 * so a pause toggled over AMI stays the only one. When it ends the channel
 * gets `CPLAYBACKSTATUS` (SUCCESS, USERSTOPPED, REMOTESTOPPED, ERROR) and
 * `CPLAYBACKOFFSET`.
 */
export function originatePlayback(options: OriginatePlaybackOptions): AmiAction {
  const channel = checkChannel("Channel", options.channel);
  const file = options.file;
  if (!SOUND_FILE.test(file) || file.split("/").includes("..")) {
    throw new AmiInjectionError(
      "Data",
      `"${file}" is not a plain sound file path (letters, digits, _ - . / and no "..")`,
    );
  }
  const skipMs = options.skipMs ?? 3000;
  if (!Number.isInteger(skipMs) || skipMs <= 0) {
    throw new AmiInjectionError("Data", `skipMs must be a positive integer, got ${skipMs}`);
  }
  return originate(channel, "ControlPlayback", `${file},${skipMs}`, options);
}

/** The controls of the AMI ControlPlayback action. `pause` toggles: there is no resume. */
export type PlaybackControl = "stop" | "forward" | "reverse" | "pause" | "restart";

const PLAYBACK_CONTROLS = new Set(["stop", "forward", "reverse", "pause", "restart"]);

/**
 * `Action: ControlPlayback`. For any existing channel Asterisk answers a bare
 * `Response: Success` (even if nothing plays) and emits no event; errors in
 * this order: `Channel not specified`, `Control not specified`,
 * `No such channel`, `Unknown control type`.
 */
export function controlPlayback(options: { channel: string; control: PlaybackControl }): AmiAction {
  if (!PLAYBACK_CONTROLS.has(options.control)) {
    throw new AmiInjectionError("Control", `unknown control "${options.control}"`);
  }
  return [
    ["Action", "ControlPlayback"],
    ["Channel", checkChannelRef("Channel", options.channel)],
    ["Control", options.control],
  ];
}

/**
 * `Action: Hangup` of one channel by exact name. Answers `Message: Channel Hungup`,
 * `No such channel` or `No channel specified`; the Hangup event says `Cause: 0`
 * unless a cause (e.g. 16 normal clearing, 17 user busy) is given.
 */
export function hangup(options: { channel: string; cause?: number }): AmiAction {
  const action: AmiAction = [["Action", "Hangup"], [
    "Channel",
    checkChannelRef("Channel", options.channel),
  ]];
  if (options.cause !== undefined) action.push(["Cause", String(options.cause)]);
  return action;
}

/**
 * `Action: CoreShowChannels`, a list: `EventList: start` / `Message: Channels will follow`,
 * one `CoreShowChannel` per channel, then `CoreShowChannelsComplete` with `ListItems`.
 * Use `AmiClient.collect()`.
 */
export function coreShowChannels(): AmiAction {
  return [["Action", "CoreShowChannels"]];
}

/**
 * `Action: ListCommands`: one header per action the session may run (its `write=`
 * classes allow it, or it needs none), `Name: synopsis (Priv: classes)`. See `listedActions`.
 */
export function listCommands(): AmiAction {
  return [["Action", "ListCommands"]];
}

/**
 * `Action: Command` (a CLI command). Asterisk 14+ answers `Message: Command output follows`
 * with one `Output:` per line (`Response: Error` for an unknown command); older versions
 * answer `Response: Follows` ... `--END COMMAND--`, which the parser turns into `Output:` too.
 */
export function command(cli: string): AmiAction {
  return [["Action", "Command"], ["Command", cli]];
}

/**
 * `Action: Getvar`: `Variable:` and `Value:` (empty for an unset variable, still Success).
 * Without a channel it reads a global. Errors: `No such channel`, `No variable specified`.
 */
export function getvar(options: { variable: string; channel?: string }): AmiAction {
  const action: AmiAction = [["Action", "Getvar"]];
  if (options.channel !== undefined) {
    action.push(["Channel", checkChannelRef("Channel", options.channel)]);
  }
  action.push(["Variable", checkVariable(options.variable)]);
  return action;
}

/** `Action: Setvar`: `Message: Variable Set` and a VarSet event (`Channel: none` for a global). */
export function setvar(options: { variable: string; value: string; channel?: string }): AmiAction {
  const action: AmiAction = [["Action", "Setvar"]];
  if (options.channel !== undefined) {
    action.push(["Channel", checkChannelRef("Channel", options.channel)]);
  }
  action.push(["Variable", checkVariable(options.variable)], ["Value", options.value]);
  return action;
}

/**
 * `Action: Status`, a list of `Status` events (`Privilege: Call`, ActionID last) ended by
 * `StatusComplete` with `Items`/`ListItems` (Asterisk 11: no `EventList`, `Items` only).
 * Optionally for one channel; `variables` adds a `Variable: NAME=value` per channel variable.
 */
export function status(options: { channel?: string; variables?: string[] } = {}): AmiAction {
  const action: AmiAction = [["Action", "Status"]];
  if (options.channel !== undefined) {
    action.push(["Channel", checkChannelRef("Channel", options.channel)]);
  }
  if (options.variables !== undefined) {
    action.push(["Variables", options.variables.map(checkVariable).join(",")]);
  }
  return action;
}

function originate(
  channel: string,
  application: string,
  data: string,
  options: { callerId?: string; ringTimeoutMs?: number; channelId?: string; tag?: string },
): AmiAction {
  const action: AmiAction = [
    ["Action", "Originate"],
    ["Channel", channel],
    ["Application", application],
    ["Data", data],
    ["Timeout", String(options.ringTimeoutMs ?? 30_000)],
    ["Async", "true"],
  ];
  if (options.callerId !== undefined) action.push(["CallerID", options.callerId]);
  if (options.channelId !== undefined) {
    if (!UNIQUEID.test(options.channelId)) {
      throw new AmiInjectionError(
        "ChannelId",
        `"${options.channelId}" is not a uniqueid (letters, digits, . _ -; at most 150)`,
      );
    }
    action.push(["ChannelId", options.channelId]);
  }
  if (options.tag !== undefined) {
    if (!UNIQUEID.test(options.tag)) {
      throw new AmiInjectionError(
        "Variable",
        `"${options.tag}" is not a tag (letters, digits, . _ -; at most 150)`,
      );
    }
    action.push(["Variable", `${TAG_VARIABLE}=${options.tag}`]);
  }
  return action;
}

/** A channel to call (a dial string): `Tech/resource`. */
function checkChannel(key: string, channel: string): string {
  if (!CHANNEL.test(channel)) {
    throw new AmiInjectionError(
      key,
      `"${channel}" is not a channel name like SIP/202 or SIP/202-0000000a ` +
        `(no commas, blanks, quotes, "$", braces or parentheses)`,
    );
  }
  return channel;
}

/** A live channel, by name or by Uniqueid: Asterisk looks a channel up by either. */
function checkChannelRef(key: string, channel: string): string {
  if (!CHANNEL.test(channel) && !UNIQUEID.test(channel)) {
    throw new AmiInjectionError(
      key,
      `"${channel}" is not a channel name like SIP/202-0000000a nor a uniqueid ` +
        `(no commas, blanks, quotes, "$", braces or parentheses)`,
    );
  }
  return channel;
}

function checkVariable(variable: string): string {
  if (!VARIABLE.test(variable)) {
    throw new AmiInjectionError(
      "Variable",
      `"${variable}" is not a variable name or function call`,
    );
  }
  return variable;
}
