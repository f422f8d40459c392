/**
 * Call-center traffic for the simulated PBX: calls between phones and from
 * the outside trunk, each a caller channel running the dialplan (Dial), a
 * ringing phone that answers, and a bridge; plus churn, new calls at a
 * steady rate that end after a while. Deterministic for a given seed.
 *
 * @module
 */

import { STATE } from "./channel.ts";
import { challengeInvite, phoneAddress, takeInvite } from "./sip.ts";
import type { Cancel } from "./clock.ts";
import type { Pbx } from "./pbx.ts";
import { seededRandom } from "../random.ts";

const NAMES = [
  "Maryam Hosseini",
  "Reza Ahmadi",
  "Sara Karimi",
  "Ali Rezaei",
  "Neda Moradi",
  "Hamid Jafari",
  "Leila Kazemi",
  "Omid Sadeghi",
];

/** A call to place: from a phone or the trunk, to a phone. */
export interface CallPlan {
  /** An extension, or `trunk` for a call from outside. */
  from: string;
  to: string;
  /** Outside caller number, for trunk calls. */
  callerNum?: string;
  /** Hang up after this long; absent: stays up until hung up. */
  durationMs?: number;
  /** How long the called phone rings; default: the PBX's answer delay. */
  ringMs?: number;
  /** The caller's name (default: one of the simulated names). */
  callerName?: string;
}

/**
 * Places a call as a phone or the trunk would: the caller's channel runs the
 * dialplan. On SIP, as chan_sip takes an INVITE (30-sip-call-chanspy): the
 * channel comes up Down with the dialog's variables, then rings; a phone's
 * INVITE is challenged first.
 */
export function placeCall(pbx: Pbx, plan: CallPlan): void {
  const fromTrunk = plan.from === "trunk";
  const device = `${pbx.tech}/${plan.from}`;
  const index = Number.parseInt(plan.from) || plan.to.length;
  const sip = pbx.tech === "SIP";
  const phone = { ext: plan.from, address: phoneAddress(plan.from) };
  if (sip && !fromTrunk) challengeInvite(pbx, phone);
  const caller = pbx.newChannel({
    base: device,
    role: "endpoint",
    device,
    state: sip ? STATE.Down : STATE.Ring,
    context: fromTrunk ? "from-trunk" : "from-internal",
    exten: plan.to,
    callerId: {
      num: fromTrunk ? (plan.callerNum ?? "09120000000") : plan.from,
      name: fromTrunk ? "<unknown>" : plan.callerName ?? NAMES[index % NAMES.length],
    },
  });
  if (sip) {
    takeInvite(pbx, caller, phone);
    pbx.setState(caller, STATE.Ring);
    pbx.deviceState(caller, "INUSE");
  }
  caller.ringMs = plan.ringMs;
  pbx.countCall();
  pbx.runDialplan(caller);
  if (plan.durationMs !== undefined) {
    pbx.after(plan.durationMs, () => pbx.hangup(caller, 16));
  }
}

/** Options of {@linkcode startTraffic}. */
export interface TrafficOptions {
  /** Calls up when the PBX starts; they stay up unless churn is on. */
  calls: number;
  /** New calls per second (0: none); churned calls last 20 s to 3 min. */
  churn: number;
  /** Seed of the call pattern. */
  seed?: number;
}

/** Starts the initial calls and the churn; returns a function that stops the churn. */
export function startTraffic(pbx: Pbx, options: TrafficOptions): Cancel {
  const random = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const plan = (durationMs?: number): CallPlan | undefined => {
    const exts = pbx.extensions;
    if (exts.length === 0) return undefined;
    if (exts.length < 2 || random() < 0.5) {
      const callerNum = `0912${String(Math.floor(random() * 10_000_000)).padStart(7, "0")}`;
      return { from: "trunk", to: pick(exts), callerNum, durationMs };
    }
    const from = pick(exts);
    const to = pick(exts.filter((e) => e !== from));
    return { from, to, durationMs };
  };
  for (let i = 0; i < options.calls; i++) {
    // The calls up at start are already talking when the first client connects.
    const call = plan(options.churn > 0 ? 20_000 + random() * 160_000 : undefined);
    if (call) placeCall(pbx, { ...call, ringMs: 0 });
  }
  if (options.churn <= 0) return () => {};
  let stopped = false;
  let cancel: Cancel = () => {};
  const tick = () => {
    if (stopped) return;
    const call = plan(20_000 + random() * 160_000);
    if (call) placeCall(pbx, call);
    cancel = pbx.after(1000 / options.churn, tick);
  };
  cancel = pbx.after(1000 / options.churn, tick);
  return () => {
    stopped = true;
    cancel();
  };
}
