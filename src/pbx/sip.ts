/**
 * What chan_sip adds to a call, as captured in
 * tests/fixtures/ami-versions/{11.25.3,18.26.4}/30-sip-call-chanspy: a
 * phone's registration (`PeerStatus`, and on 13 to 20 the `ChallengeSent` /
 * `SuccessfulAuth` security events of its digest authentication), the
 * challenge of a phone's INVITE, the dialog's variables, the device state of
 * a peer without call-limit (registered or not, nothing about its calls),
 * and the RTP statistics set as a call's leg hangs up.
 *
 * @module
 */

import type { Channel } from "./channel.ts";
import type { Cancel } from "./clock.ts";
import type { PbxEvent } from "./events.ts";
import type { Pbx } from "./pbx.ts";

/** The PBX's own SIP address, as its security events and dialog ids show it. */
const PBX_SIP_HOST = "127.0.0.1";
const PBX_SIP_PORT = 5060;

/** A SIP phone: its extension and where it sends from (`127.0.0.1:5062`). */
export interface SipPhone {
  ext: string;
  address: string;
}

/** Whether a channel is chan_sip's (`SIP/202-00000001`). */
export function isChanSip(channel: Channel): boolean {
  return channel.name.startsWith("SIP/");
}

/** Where a simulated phone sends from: loopback, port 5060 + its last two digits (202 → 5062). */
export function phoneAddress(ext: string): string {
  const digits = Number.parseInt(ext.slice(-2), 10);
  return `${PBX_SIP_HOST}:${PBX_SIP_PORT + (Number.isNaN(digits) ? 0 : digits)}`;
}

/** A phone registers (after a digest challenge): PeerStatus Registered, then the device is idle. */
export function registerPhone(pbx: Pbx, phone: SipPhone): void {
  const session = sessionId();
  if (pbx.profile.sipSecurityEvents) pbx.emit(challengeSent(pbx, phone, phone.ext, session));
  pbx.emit([
    ["Event", "PeerStatus"],
    ["Privilege", "system,all"],
    ["ChannelType", "SIP"],
    ["Peer", `SIP/${phone.ext}`],
    ["PeerStatus", "Registered"],
    ["Address", phone.address],
  ]);
  if (pbx.profile.sipSecurityEvents) {
    pbx.emit([
      ...securityHeaders(pbx, "SuccessfulAuth", phone, phone.ext, session),
      ["UsingPassword", "1"],
    ]);
  }
  const firstTime = !pbx.registeredPeers.has(phone.ext);
  pbx.registeredPeers.add(phone.ext);
  if (firstTime) pbx.announce("deviceStateChange", `SIP/${phone.ext}`, "NOT_INUSE");
}

/**
 * How often a simulated phone renews its registration: well inside chan_sip's
 * default expiry of 120 s, as phones do.
 */
export const REGISTRATION_REFRESH_MS = 60_000;

/**
 * The phones register now, then renew every {@linkcode REGISTRATION_REFRESH_MS},
 * spread over that time (a `PeerStatus: Registered` each time); returns what
 * stops the renewals.
 */
export function keepPhonesRegistered(pbx: Pbx, extensions: readonly string[]): Cancel {
  const timers: Cancel[] = [];
  let stopped = false;
  extensions.forEach((ext, i) => {
    const phone = { ext, address: phoneAddress(ext) };
    registerPhone(pbx, phone);
    const renew = () => {
      if (stopped) return;
      registerPhone(pbx, phone);
      timers[i] = pbx.after(REGISTRATION_REFRESH_MS, renew);
    };
    timers[i] = pbx.after(REGISTRATION_REFRESH_MS * (i + 1) / extensions.length, renew);
  });
  return () => {
    stopped = true;
    for (const cancel of timers) cancel();
  };
}

/** A phone's INVITE is challenged: ChallengeSent for its From URI (no SuccessfulAuth follows). */
export function challengeInvite(pbx: Pbx, phone: SipPhone): void {
  if (!pbx.profile.sipSecurityEvents) return;
  pbx.emit(
    challengeSent(pbx, phone, `sip:${phone.ext}@${PBX_SIP_HOST}:${PBX_SIP_PORT}`, sessionId()),
  );
}

/** The channel of an INVITE chan_sip took gets the dialog's variables. */
export function takeInvite(pbx: Pbx, caller: Channel, phone: SipPhone): void {
  pbx.setVariable(caller, "SIPURI", `sip:${phone.ext}@${phone.address}`);
  pbx.setVariable(caller, "SIPDOMAIN", PBX_SIP_HOST);
  pbx.setVariable(caller, "SIPCALLID", `1-${randomInt(99_999)}@${PBX_SIP_HOST}`);
}

/** The dialog chan_sip opens to call a peer: its Call-ID, on the new channel. */
export function openDialog(pbx: Pbx, callee: Channel): void {
  const id = [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  pbx.setVariable(callee, "SIPCALLID", `${id}@${PBX_SIP_HOST}:${PBX_SIP_PORT}`);
}

/** A peer's device state without call-limit: whether it is registered. */
export function peerDeviceState(pbx: Pbx, channel: Channel): string {
  const peer = channel.device.slice(channel.device.indexOf("/") + 1);
  return pbx.registeredPeers.has(peer) ? "NOT_INUSE" : "UNAVAILABLE";
}

/**
 * The RTP statistics set on a leg that carried media as it hangs up:
 * RTPAUDIOQOS, its JITTER, LOSS, RTT (and MES on 18+) parts, then
 * RTPAUDIOQOS again, as captured. The figures are those of a clean
 * loopback call at 50 packets a second.
 */
export function setRtpQuality(pbx: Pbx, channel: Channel, upMs: number): void {
  const packets = Math.round(upMs / 20);
  const mes = pbx.profile.rtpQosMes;
  const summary = `ssrc=${randomInt(2 ** 31)};themssrc=${randomInt(2 ** 31)};lp=0;` +
    `rxjitter=0.000000;rxcount=${packets};txjitter=0.000450;txcount=${packets};rlp=0;rtt=0.000000` +
    (mes ? ";rxmes=0.000000;txmes=88.087887" : "");
  const stats = (name: string) =>
    ["min", "max", "avg", "stdev"].map((f) => `${f}${name}=0.000000;`).join("");
  pbx.setVariable(channel, "RTPAUDIOQOS", summary);
  pbx.setVariable(channel, "RTPAUDIOQOSJITTER", stats("rxjitter") + stats("txjitter"));
  pbx.setVariable(channel, "RTPAUDIOQOSLOSS", stats("rxlost") + stats("txlost"));
  pbx.setVariable(channel, "RTPAUDIOQOSRTT", stats("rtt"));
  if (mes) pbx.setVariable(channel, "RTPAUDIOQOSMES", stats("rxmes") + stats("txmes"));
  pbx.setVariable(channel, "RTPAUDIOQOS", summary);
}

function challengeSent(pbx: Pbx, phone: SipPhone, account: string, session: string): PbxEvent {
  const challenge = randomInt(2 ** 32).toString(16).padStart(8, "0");
  return [
    ...securityHeaders(pbx, "ChallengeSent", phone, account, session),
    ["Challenge", challenge],
  ];
}

function securityHeaders(
  pbx: Pbx,
  name: string,
  phone: SipPhone,
  account: string,
  session: string,
): PbxEvent {
  return [
    ["Event", name],
    ["Privilege", "security,all"],
    ["EventTV", new Date(pbx.clock.now()).toISOString().replace("Z", "+0000")],
    ["Severity", "Informational"],
    ["Service", "SIP"],
    ["EventVersion", "1"],
    ["AccountID", account],
    ["SessionID", session],
    ["LocalAddress", `IPV4/UDP/${PBX_SIP_HOST}/${PBX_SIP_PORT}`],
    ["RemoteAddress", `IPV4/UDP/${phone.address.replace(":", "/")}`],
  ];
}

/** A chan_sip dialog's session id, an address as Asterisk prints it (`0x7f311c0030a0`). */
function sessionId(): string {
  return `0x7f31${randomInt(2 ** 32).toString(16).padStart(8, "0")}`;
}

function randomInt(below: number): number {
  return Math.floor((crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32) * below);
}
