/**
 * What differs between the Asterisk majors astrix speaks to, in one place:
 * a profile per major (11, 13, 16, 18, 20, 22) read by the client side (which
 * ChanSpy options pin a listen, whether ControlPlayback exists) and by
 * mock-ami (which answers and events to send, in which layout).
 *
 * Every fact comes from the captures of real builds in `tests/fixtures/ami`
 * (22.10.1) and `tests/fixtures/ami-versions` (11.25.3, 13.38.3, 16.30.1,
 * 18.26.4). Asterisk 20 has no capture: it follows 18 wherever 18 and 22
 * agree, and where they differ it takes the side Asterisk's own CHANGES and
 * UPGRADE notes put the change on (see `docs/asterisk-versions.md`).
 *
 * @example
 * ```ts
 * import { asteriskProfile } from "./profiles.ts";
 *
 * asteriskProfile(11).controlPlaybackAction; // false: Asterisk 11 has no ControlPlayback action
 * ```
 *
 * @module
 */

import type { AsteriskMajor } from "./versions.ts";

/** How one Asterisk major speaks AMI, where majors differ. */
export interface AsteriskProfile {
  readonly major: AsteriskMajor;
  /** The release the facts come from (`CoreSettings`' `AsteriskVersion`). */
  readonly version: string;
  /** The AMI protocol version of the banner and `CoreSettings`' `AMIversion`. */
  readonly amiVersion: string;
  /**
   * Channel events: `snapshot` is Asterisk 12+'s (every channel event carries
   * the 14-key channel block, `Linkedid` and `Language` included; DialBegin,
   * Bridge*, DeviceStateChange); `legacy` is Asterisk 11's (short per-event
   * layouts, `Dial`/`Bridge` events, no Linkedid).
   */
  readonly events: "snapshot" | "legacy";
  /** FullyBooted after login carries `Uptime` and `LastReload`. */
  readonly fullyBootedUptime: boolean;
  /** A login is followed by a `SuccessfulAuth` security event. */
  readonly successfulAuth: boolean;
  /**
   * `Command` output: `follows` is `Response: Follows` with the raw CLI text and
   * `--END COMMAND--` (an unknown command answered the same way); `output` is
   * `Message: Command output follows` with one `Output:` per line (`Response:
   * Error` for an unknown command).
   */
  readonly commandFraming: "follows" | "output";
  /** `core show channels` cuts channel names at 20 characters. */
  readonly cliNarrowChannels: boolean;
  /** Privilege of `Newexten` (`call,all` on 13, so a `read=call` user sees it). */
  readonly newextenPrivilege: string;
  /** ChanSpyStart/Stop name the spyer and the spyee with full channel blocks (else names only). */
  readonly chanSpyBlocks: boolean;
  /** ChanSpyStop carries the spyee's block (13's has the spyer's only; 11's names the spyee only). */
  readonly chanSpyStopSpyee: boolean;
  /** ChanSpyStop names the spyer (11's names only the spyee). */
  readonly chanSpyStopSpyer: boolean;
  /**
   * Which of the channels a ChanSpy prefix matches is spied on: the captures
   * of 11 to 18 took the oldest (a Local pair's `;1`), 22's the newest (`;2`).
   */
  readonly chanSpyPrefixPick: "oldest" | "newest";
  /**
   * ChanSpy has the `u` option: its first argument is one exact channel name or
   * Uniqueid. 11's (app_chanspy.c at tag 11.25.3) has `E` and `S` but no `u`: its
   * first argument is a case-insensitive name prefix.
   */
  readonly chanSpyExactOption: boolean;
  /** The AMI `ControlPlayback` action exists (Asterisk 12+). */
  readonly controlPlaybackAction: boolean;
  /** Originate honours `ChannelId`/`OtherChannelId` (Asterisk 12+; 11 ignores them silently). */
  readonly originateChannelId: boolean;
  /** The Uniqueid of a failed OriginateResponse (`<null>` on 11). */
  readonly failedOriginateUniqueid: string;
  /** Message of an Originate of an application a user without `system` may not run. */
  readonly originateForbidden: string;
  /** PLAYBACKSTATUS when the channel of a `Playback()` is hung up. */
  readonly playbackStatusOnHangup: "FAILED" | "SUCCESS";
  /**
   * CoreShowChannels and Status list channels out of creation order (13 and 16:
   * their container's order, the newest call first; modelled as newest first).
   */
  readonly channelsNewestFirst: boolean;
  /** `Status` starts its list with `EventList: start` (11's does not). */
  readonly statusEventList: boolean;
  /**
   * CoreShowChannelsComplete and ChannelsHungupListComplete end with ActionID
   * (11: 11-coreshowchannels-active, 16-hangup) instead of starting with it.
   */
  readonly listCompleteActionIdLast: boolean;
  /**
   * Hangup with a `/regex/` hangs the matched channels up one after another,
   * each as a Hangup of that channel alone (11: in 16-hangup the `;1` goes
   * first and its `;2` follows it); 12+ asks them all to hang up first.
   */
  readonly regexHangupInTurn: boolean;
  /**
   * A Local `;2` that follows its hung-up `;1` takes the `;1`'s cause; 11's
   * hangs up with cause 0 (16-hangup: `Cause: 17` on `;1`, `Cause: 0` on `;2`).
   */
  readonly localCausePassedOn: boolean;
  /** CoreStatus reports `CoreProcessedCalls`. */
  readonly coreProcessedCalls: boolean;
  /** CoreSettings reports `SoundsSearchCustomDir`. */
  readonly soundsSearchCustomDir: boolean;
  /** The `UserEvent` event repeats the client's `Action: UserEvent` line (11). */
  readonly userEventKeepsAction: boolean;
  /** chan_sip sends `ChallengeSent` (and SuccessfulAuth with `Service: SIP`) on registration. */
  readonly sipSecurityEvents: boolean;
  /**
   * Who bridges a Dial()ed call: 12+'s bridging core (BridgeEnter/Leave; the
   * bridge variables set in rounds as its technology is chosen, three when it
   * forms or a ChanSpy comes or goes, one as it dissolves) or 11's channel
   * bridge loop (a `Bridge` event; a ChanSpy breaks the loop with
   * `SoftHangupRequest` `Cause: 64`), as 30-sip-call-chanspy shows.
   */
  readonly bridging: "core" | "loop";
  /** Dial() sets `*_MS` twins of ANSWEREDTIME/DIALEDTIME, and RINGTIME/PROGRESSTIME (13+). */
  readonly dialTimesMs: boolean;
  /** Dial() reports the dialed leg's progress with `DialState` (16+: `RINGING`). */
  readonly dialStateEvent: boolean;
  /** A call's RTP statistics include `RTPAUDIOQOSMES` (18+). */
  readonly rtpQosMes: boolean;
}

const A22: AsteriskProfile = {
  major: 22,
  version: "22.10.1",
  amiVersion: "11.0.0",
  events: "snapshot",
  fullyBootedUptime: true,
  successfulAuth: true,
  commandFraming: "output",
  cliNarrowChannels: false,
  newextenPrivilege: "dialplan,all",
  chanSpyBlocks: true,
  chanSpyStopSpyee: true,
  chanSpyStopSpyer: true,
  chanSpyPrefixPick: "newest",
  chanSpyExactOption: true,
  controlPlaybackAction: true,
  originateChannelId: true,
  failedOriginateUniqueid: "<unknown>",
  originateForbidden: "Originate Access Forbidden: app or data blacklisted",
  playbackStatusOnHangup: "SUCCESS",
  channelsNewestFirst: false,
  statusEventList: true,
  listCompleteActionIdLast: false,
  regexHangupInTurn: false,
  localCausePassedOn: true,
  coreProcessedCalls: true,
  soundsSearchCustomDir: true,
  userEventKeepsAction: false,
  sipSecurityEvents: false, // chan_sip is gone in 21+
  bridging: "core",
  dialTimesMs: true,
  dialStateEvent: true,
  rtpQosMes: true,
};

const A18: AsteriskProfile = {
  ...A22,
  major: 18,
  version: "18.26.4",
  amiVersion: "7.0.3",
  chanSpyPrefixPick: "oldest",
  coreProcessedCalls: false,
  sipSecurityEvents: true,
};

/**
 * No capture: 18's facts, where 18 and 22 agree; where they differ, the
 * 20.20.1 source (tag 20.20.1 of asterisk/asterisk): AMI_VERSION "9.0.0",
 * CoreStatus has CoreProcessedCalls (since 20.12.0, commit e020ee5795), and
 * chan_sip is still built (removed in 21).
 */
const A20: AsteriskProfile = {
  ...A18,
  major: 20,
  version: "20.20.1",
  amiVersion: "9.0.0",
  coreProcessedCalls: true,
};

const A16: AsteriskProfile = {
  ...A18,
  major: 16,
  version: "16.30.1",
  amiVersion: "5.0.5",
  cliNarrowChannels: true,
  originateForbidden: "Originate Access Forbidden: Application",
  playbackStatusOnHangup: "FAILED",
  channelsNewestFirst: true,
  soundsSearchCustomDir: false,
  rtpQosMes: false,
};

const A13: AsteriskProfile = {
  ...A16,
  major: 13,
  version: "13.38.3",
  amiVersion: "2.10.6",
  fullyBootedUptime: false,
  commandFraming: "follows",
  newextenPrivilege: "call,all",
  chanSpyStopSpyee: false,
  dialStateEvent: false,
};

const A11: AsteriskProfile = {
  ...A13,
  major: 11,
  version: "11.25.3",
  amiVersion: "1.3",
  events: "legacy",
  successfulAuth: false,
  newextenPrivilege: "dialplan,all",
  chanSpyBlocks: false,
  chanSpyStopSpyer: false,
  chanSpyExactOption: false,
  controlPlaybackAction: false,
  originateChannelId: false,
  failedOriginateUniqueid: "<null>",
  playbackStatusOnHangup: "SUCCESS", // as captured (13 and 16 say FAILED)
  channelsNewestFirst: false,
  statusEventList: false,
  listCompleteActionIdLast: true,
  regexHangupInTurn: true,
  localCausePassedOn: false,
  userEventKeepsAction: true,
  sipSecurityEvents: false,
  bridging: "loop",
  dialTimesMs: false,
};

const PROFILES: Readonly<Record<AsteriskMajor, AsteriskProfile>> = {
  11: A11,
  13: A13,
  16: A16,
  18: A18,
  20: A20,
  22: A22,
};

/** The profile of an Asterisk major. */
export function asteriskProfile(major: AsteriskMajor): AsteriskProfile {
  return PROFILES[major];
}

/** The banner a PBX of this profile greets with. */
export function bannerOf(profile: AsteriskProfile): string {
  return `Asterisk Call Manager/${profile.amiVersion}`;
}
