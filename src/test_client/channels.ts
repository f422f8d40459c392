/**
 * The channels a test-client run started, and hanging up what is left of
 * them at the end. Each Originate gives its channel a uniqueid of our own
 * (ChannelId, Asterisk 12+), so the `Newchannel` event names it while it
 * still rings, and a tag variable whose `VarSet` names it on every version
 * (Asterisk 11 ignores ChannelId); `OriginateResponse` (by ActionID) names
 * it too, and `Hangup` says it is gone. A user with `read=call` gets them
 * (VarSet needs `dialplan`: without it the OriginateResponse still names it).
 *
 * @module
 */

import * as actions from "../ami/actions.ts";
import type { AmiClient } from "../ami/client.ts";
import { type EventSubscription, isEventGap } from "../ami/event_stream.ts";
import type { AmiMessage } from "../ami/message.ts";
import { expectSuccess, nextEvent, PermissionDenied } from "./expect.ts";

/** A channel the run started that it could not hang up: still up on the PBX. */
export interface LeftoverChannel {
  /** Its name, or `uniqueid <id>` if the PBX never said it. */
  channel: string;
  /** Why it could not be hung up, e.g. `Hangup answered Error: Permission denied`. */
  reason: string;
  /** `Hangup` if the PBX refused it with "Permission denied". */
  denied?: string;
}

interface Started {
  actionId: string;
  /** The Originate's tag (and ChannelId, where the PBX honours it). */
  tag: string;
  uniqueid: string;
  name?: string;
  /** OriginateResponse seen: the PBX is done placing the call. */
  placed: boolean;
  gone: boolean;
}

const TRACKED = new Set(["Newchannel", "VarSet", "OriginateResponse", "Hangup"]);

/** What this run originated, kept up to date from the event stream. */
export class ChannelLedger {
  readonly #events: EventSubscription;
  readonly #started: Started[] = [];

  constructor(ami: AmiClient) {
    this.#events = ami.events({ filter: (event) => TRACKED.has(event.name) });
  }

  /** Notes an Originate about to be sent with this ActionID and tag (its ChannelId too on 12+). */
  expect(actionId: string, tag: string): void {
    this.#started.push({ actionId, tag, uniqueid: tag, placed: false, gone: false });
  }

  /** Forgets an Originate the PBX refused: it started nothing. */
  forget(actionId: string): void {
    const index = this.#started.findIndex((s) => s.actionId === actionId);
    if (index >= 0) this.#started.splice(index, 1);
  }

  /**
   * Hangs up every channel started and not gone, by name (or by its uniqueid
   * if no event named it); returns those it could not hang up. A channel
   * still being placed is first given `timeoutMs` to get a name.
   */
  async hangUpAll(ami: AmiClient, timeoutMs: number): Promise<LeftoverChannel[]> {
    await this.#named(timeoutMs);
    const leftover: LeftoverChannel[] = [];
    for (const started of this.#live()) {
      const channel = started.name ?? `uniqueid ${started.uniqueid}`;
      try {
        const action = started.name
          ? actions.hangup({ channel: started.name })
          : [["Action", "Hangup"], ["Channel", started.uniqueid]] satisfies actions.AmiAction;
        const response = await ami.send(action, { timeoutMs });
        if (response.get("Message") === "No such channel") continue; // it ended meanwhile
        expectSuccess(response, "Hangup");
        started.gone = true;
      } catch (error) {
        leftover.push({
          channel,
          reason: error instanceof Error ? error.message : String(error),
          denied: error instanceof PermissionDenied ? error.action : undefined,
        });
      }
    }
    this.#events.close();
    return leftover;
  }

  /** Waits until every live channel has a name or its Originate is done, at most `timeoutMs`. */
  async #named(timeoutMs: number): Promise<void> {
    const waiting = () => this.#live().some((s) => s.name === undefined && !s.placed);
    if (!waiting()) return;
    await nextEvent(this.#events, (event) => {
      this.#see(event);
      return !waiting();
    }, { timeoutMs, what: "no name for the channel being originated" }).catch(() => {});
  }

  #live(): Started[] {
    for (const event of this.#events.takeBuffered()) this.#see(event);
    return this.#started.filter((s) => !s.gone);
  }

  #see(event: AmiMessage): void {
    // A gap says nothing of a channel; hangUpAll copes with an end or a name it missed.
    if (isEventGap(event)) return;
    const uniqueid = event.get("Uniqueid");
    const channel = event.get("Channel");
    if (event.name === "Newchannel") {
      const started = this.#started.find((s) => s.uniqueid === uniqueid);
      if (started) started.name ??= channel;
    } else if (event.name === "VarSet") {
      if (event.get("Variable") !== actions.TAG_VARIABLE) return;
      const started = this.#started.find((s) => s.tag === event.get("Value"));
      if (!started || started.name !== undefined || !uniqueid) return;
      started.name = channel;
      started.uniqueid = uniqueid;
    } else if (event.name === "OriginateResponse") {
      const started = this.#started.find((s) => s.actionId === event.actionId);
      if (!started) return;
      started.placed = true;
      if (event.get("Response") !== "Success") started.gone = true;
      else {
        started.name ??= channel;
        // A PBX that ignored ChannelId (before Asterisk 12) gave it a uniqueid of its own.
        if (uniqueid) started.uniqueid = uniqueid;
      }
    } else {
      for (const started of this.#started) {
        if (started.uniqueid === uniqueid || (channel && started.name === channel)) {
          started.gone = true;
        }
      }
    }
  }
}
