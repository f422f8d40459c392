/**
 * Follows the proxy's jobs through the PBX's events, by Uniqueid: a job's
 * call is the channel whose Uniqueid is the job id (the Originate asked for
 * it with `ChannelId`) or, where the PBX ignores ChannelId (Asterisk 11),
 * the channel whose `VarSet` of the Originate's tag variable names the job,
 * which comes before the call is answered, or at the latest the Uniqueid its
 * OriginateResponse names. Channel names are never enough on their own:
 * Asterisk numbers channels from zero again after a restart, so a stranger's
 * call may carry the name a job's call had.
 *
 * Events, read through keys every version sends: `Newchannel` and the tag's
 * `VarSet` (the call rings), `OriginateResponse` (answered or failed),
 * `ChanSpyStart` (a listen is live: 13+ name the spyer by Uniqueid, 11 by
 * name only), `ChanSpyStop` (13 names the spyer only, 11 the spyee only),
 * `Hangup` (over; the target of a
 * listen that had not started yet: failed, target gone). When the link
 * drops, jobs whose call was never seen go to `unknown`; after reconnecting,
 * {@linkcode AmiJobTracker.recheck} looks up every live job's call by
 * Uniqueid with `Status` and moves the job to what it finds.
 *
 * @module
 */

import { actions, AmiError, type AmiListResult, type AmiMessage } from "../../ami/mod.ts";

const TAG_VARIABLE = actions.TAG_VARIABLE.toLowerCase();
import { isFinal, type Job, type PbxJobs } from "../jobs.ts";

/** Why an Originate failed, by OriginateResponse `Reason` (Asterisk's AST_CONTROL codes). */
const ORIGINATE_REASONS: Record<string, string> = {
  "0": "the channel could not be created (unknown extension or technology?)",
  "1": "the call was hung up",
  "3": "nobody answered",
  "5": "the line was busy",
  "8": "the line was congested",
};

/** Spyers whose ChanSpyStart came before their job's call was known: kept this many. */
const MAX_EARLY_SPIES = 1_000;

/** What the tracker needs of the AMI client. */
export interface TrackerLink {
  collect(action: actions.AmiAction): Promise<AmiListResult>;
  send(action: actions.AmiAction): Promise<AmiMessage>;
}

/** The jobs' side of an AMI backend: the jobs of its own PBX only. */
export class AmiJobTracker {
  readonly #jobs: PbxJobs;
  /** Originates waiting for their OriginateResponse, by ActionID. */
  readonly #originating = new Map<string, Job>();
  /** Uniqueids (or, without one, channel names) of spyers whose ChanSpyStart came first. */
  readonly #earlySpies = new Set<string>();
  /** Listens not live yet, by the Uniqueid of the channel they are to spy on. */
  readonly #targets = new Map<string, Job>();
  readonly #targetOf = new WeakMap<Job, string>();
  /** Listens whose listener answered, and those that have had a ChanSpyStart. */
  readonly #answered = new WeakSet<Job>();
  readonly #spied = new WeakSet<Job>();
  /** Counts AMI links; a job's call is known by name only on the link that saw it. */
  #link = 0;
  readonly #seenOnLink = new WeakMap<Job, number>();

  readonly #hangUp: (job: Job) => void;

  /** `hangUp` ends a failed listen's call that still rings (its target went first). */
  constructor(jobs: PbxJobs, options: { hangUp: (job: Job) => void }) {
    this.#jobs = jobs;
    this.#hangUp = options.hangUp;
  }

  /** An Originate for `job` is about to go out with this ActionID. */
  originating(actionId: string, job: Job, targetUniqueId?: string | null): void {
    this.#originating.set(actionId, job);
    if (targetUniqueId) {
      this.#targets.set(targetUniqueId, job);
      this.#targetOf.set(job, targetUniqueId);
    }
  }

  /** The Originate was refused or never sent: its response will not come. */
  forget(actionId: string): void {
    const job = this.#originating.get(actionId);
    this.#originating.delete(actionId);
    if (job) this.#forgetTarget(job);
  }

  /** Moves jobs on `event`; returns the job it concerns. */
  handle(event: AmiMessage): Job | undefined {
    switch (event.name) {
      case "Newchannel":
        return this.#newChannel(event);
      case "OriginateResponse":
        return this.#originateResponse(event);
      case "ChanSpyStart":
        return this.#chanSpyStart(event);
      case "ChanSpyStop":
        return this.#chanSpyStop(event);
      case "VarSet":
        if (event.get("Variable")?.toLowerCase() === TAG_VARIABLE) return this.#tagged(event);
        return this.#jobOf(event.get("Uniqueid"), event.get("Channel"));
      case "Hangup":
        return this.#hangup(event);
      default:
        return this.#jobOf(event.get("Uniqueid"), event.get("Channel"));
    }
  }

  /**
   * The AMI link is gone: what the PBX does meanwhile is unseen. Jobs whose
   * call was never seen may or may not have one: `unknown` until the recheck.
   */
  linkLost(): void {
    this.#link++;
    this.#originating.clear();
    for (const job of this.#jobs.live()) {
      if (job.uniqueId === null) {
        this.#jobs.transition(
          job,
          "unknown",
          "the AMI connection was lost before the PBX said whether the call was placed: " +
            "it may exist; looking for it by Uniqueid once reconnected",
        );
      } else if (!job.timeline.at(-1)?.note.startsWith("AMI connection lost")) {
        this.#jobs.note(job, "AMI connection lost: following the call again once reconnected");
      }
    }
  }

  /**
   * After a reconnect: finds each live job's call by Uniqueid and moves the
   * job to what it is. A call never seen was asked for the job id as Uniqueid;
   * where the PBX ignores that (`channelIds` false: Asterisk 11) it is looked
   * for by its tag variable instead.
   */
  async recheck(link: TrackerLink, channelIds = true): Promise<void> {
    for (const job of this.#jobs.live()) {
      const byTag = job.uniqueId === null && !channelIds;
      const uniqueId = job.uniqueId ?? job.id;
      const found = byTag
        ? await this.#taggedCall(link, job)
        : await this.#statusOf(link, job, uniqueId, "after the reconnect");
      if (found === "lost") return; // lost again: the next reconnect checks again
      const key = byTag ? `${actions.TAG_VARIABLE}=${job.id}` : `Uniqueid ${uniqueId}`;
      if (found) this.#found(job, found, found.get("Uniqueid") ?? uniqueId, key);
      else if (found === null) this.#notFound(job, key);
    }
  }

  /** The Status of the channel whose tag variable names `job`; as {@linkcode #statusOf}. */
  async #taggedCall(link: TrackerLink, job: Job): Promise<AmiMessage | null | undefined | "lost"> {
    try {
      const { response, events } = await link.collect(
        actions.status({ variables: [actions.TAG_VARIABLE] }),
      );
      if (response.get("Response") === "Success") {
        const tag = `${actions.TAG_VARIABLE}=${job.id}`.toLowerCase();
        return events.find((e) => e.getAll("Variable").some((v) => v.toLowerCase() === tag)) ??
          null;
      }
      this.#jobs.note(
        job,
        `cannot look for the call after the reconnect: Status answered "${
          response.get("Message")
        }"`,
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof AmiError)) throw error;
      return "lost";
    }
  }

  /**
   * Events were lost (the proxy fell behind the PBX), a job's Hangup or
   * ChanSpyStart perhaps among them: each live job whose call is known is
   * looked up by Uniqueid; one whose call is gone ends, one still dialing
   * whose call is up and spying (or playing) is active. A job whose call was not seen yet waits
   * for its own events (its Originate's answer is not an event that can be
   * lost), and one that is `unknown` for the reconnect's recheck.
   */
  async eventsLost(link: TrackerLink, lost: number): Promise<void> {
    for (const job of this.#jobs.live()) {
      const uniqueId = job.uniqueId;
      if (uniqueId === null || job.status === "unknown") continue;
      const found = await this.#statusOf(link, job, uniqueId, `after ${lost} events were lost`);
      if (found === "lost") return; // the link went: the reconnect's recheck follows
      if (found === undefined || isFinal(job.status)) continue; // no answer, or its events ended it
      if (found === null) {
        this.#forgetTarget(job);
        this.#jobs.transition(
          job,
          "ended",
          `the call (Uniqueid ${uniqueId}) ended among ${lost} AMI events the proxy lost`,
        );
      } else if (job.status === "dialing" && this.#underway(job, found)) {
        // Its ChanSpyStart (or the answer of its playback) was among them.
        this.#answered.add(job);
        this.#spied.add(job);
        this.#jobs.transition(
          job,
          "active",
          `${found.get("Channel") ?? job.channel} found up (${found.get("Application")}) by ` +
            `Uniqueid ${uniqueId} after ${lost} AMI events the proxy lost`,
        );
      }
    }
  }

  /**
   * The call's Status event; null when the PBX has no such call; undefined
   * when it could not say (noted in the job's timeline); "lost" when the link
   * went meanwhile.
   */
  async #statusOf(
    link: TrackerLink,
    job: Job,
    uniqueId: string,
    when: string,
  ): Promise<AmiMessage | null | undefined | "lost"> {
    try {
      const { response, events } = await link.collect(actions.status({ channel: uniqueId }));
      if (response.get("Response") === "Success") {
        return events.find((e) => e.get("Uniqueid") === uniqueId) ?? null;
      }
      if (/no such channel/i.test(response.get("Message") ?? "")) return null;
      this.#jobs.note(
        job,
        `cannot look for the call ${when}: Status answered "${response.get("Message")}"`,
      );
      return undefined;
    } catch (error) {
      if (!(error instanceof AmiError)) throw error;
      return "lost";
    }
  }

  /** The job's call exists (found by `key`): a job that was unknown moves to what the call does. */
  #found(job: Job, status: AmiMessage, uniqueId: string, key: string): void {
    const channel = status.get("Channel") ?? job.channel ?? "";
    this.#setCall(job, channel, uniqueId);
    if (job.status !== "unknown") {
      this.#jobs.note(job, `AMI reconnected: the call (${key}) is still up`);
      return;
    }
    if (status.get("ChannelStateDesc") === "Up") this.#answered.add(job);
    if (this.#underway(job, status)) {
      this.#spied.add(job);
      this.#jobs.transition(
        job,
        "active",
        `found after the reconnect by ${key}: ${channel} is up ` +
          `(${status.get("Application") ?? ""})`,
      );
    } else {
      this.#jobs.transition(
        job,
        "dialing",
        `found after the reconnect by ${key}: ${channel} ` +
          `(${status.get("ChannelStateDesc") ?? "state unknown"})`,
      );
    }
  }

  /** Whether a call's Status shows the job's work under way: answered, and spying or playing. */
  #underway(job: Job, status: AmiMessage): boolean {
    return status.get("ChannelStateDesc") === "Up" &&
      (job.kind === "playback" || /^chanspy$/i.test(status.get("Application") ?? ""));
  }

  /** No call has `key` (`Uniqueid X`, or the tag) after the reconnect. */
  #notFound(job: Job, key: string): void {
    this.#forgetTarget(job);
    if (job.status === "unknown") {
      this.#jobs.transition(
        job,
        "failed",
        `no call with ${key} after the reconnect: the PBX did not place it, ` +
          "or it has already ended",
      );
    } else {
      this.#jobs.transition(
        job,
        "ended",
        `the call (${key}) ended while the AMI connection was down`,
      );
    }
  }

  #newChannel(event: AmiMessage): Job | undefined {
    // The Originate named the channel's Uniqueid after the job (Asterisk 12+): the job knows
    // its call while it still rings, so it can be hung up before it answers.
    const uniqueId = event.get("Uniqueid") ?? "";
    return this.#ringing(this.#jobs.get(uniqueId), event.get("Channel") ?? "", uniqueId);
  }

  /** The tag variable set on a new channel names its job (every version; 11's only way early). */
  #tagged(event: AmiMessage): Job | undefined {
    const job = this.#jobs.get(event.get("Value") ?? "");
    const uniqueId = event.get("Uniqueid");
    if (!uniqueId) return job;
    return this.#ringing(job, event.get("Channel") ?? "", uniqueId);
  }

  /** A job's call is known while it rings: it can be hung up before it answers. */
  #ringing(job: Job | undefined, channel: string, uniqueId: string): Job | undefined {
    if (!job || job.uniqueId !== null || isFinal(job.status)) return job;
    this.#setCall(job, channel, uniqueId);
    if (job.status === "unknown") this.#jobs.transition(job, "dialing", `${job.channel} ringing`);
    else this.#jobs.note(job, `${job.channel} ringing`);
    return job;
  }

  #originateResponse(event: AmiMessage): Job | undefined {
    const job = this.#originating.get(event.actionId ?? "");
    if (!job) return undefined;
    this.#originating.delete(event.actionId!);
    const channel = event.get("Channel") ?? "";
    if (event.get("Response") !== "Success") {
      const reason = ORIGINATE_REASONS[event.get("Reason") ?? ""] ??
        `reason ${event.get("Reason")}`;
      this.#forgetTarget(job);
      this.#jobs.transition(job, "failed", `${channel}: ${reason}`);
      return job;
    }
    if (isFinal(job.status)) return job; // hung up while it rang, or the target went
    const uniqueId = event.get("Uniqueid");
    if (job.uniqueId === null && uniqueId && uniqueId !== "<unknown>") {
      this.#setCall(job, channel, uniqueId);
    }
    this.#answered.add(job);
    if (job.kind === "playback") {
      this.#jobs.transition(job, "active", `${channel} answered: playing`);
    } else if (this.#takeEarlySpy(job)) {
      this.#startedSpying(job, `${channel} answered: listening`);
    } else {
      if (job.status === "unknown") this.#jobs.transition(job, "dialing", `${channel} answered`);
      else this.#jobs.note(job, `${channel} answered`);
    }
    return job;
  }

  #chanSpyStart(event: AmiMessage): Job | undefined {
    const job = this.#spyer(event);
    if (!job) {
      // The spyer's call is not known yet (its OriginateResponse comes later, on Asterisk 11).
      const key = event.get("SpyerUniqueid") ?? event.get("SpyerChannel") ?? "";
      this.#earlySpies.add(key);
      if (this.#earlySpies.size > MAX_EARLY_SPIES) {
        this.#earlySpies.delete(this.#earlySpies.values().next().value!);
      }
      return undefined;
    }
    this.#startedSpying(job, `listening to ${event.get("SpyeeChannel")}`);
    return job;
  }

  /**
   * 13+ name the spyer (13 without the spyee: the job's target is named instead);
   * 11 names the spyee only: the one live listen on it, if there is exactly one.
   */
  #chanSpyStop(event: AmiMessage): Job | undefined {
    const spyee = event.get("SpyeeChannel");
    const job = event.get("SpyerChannel") !== undefined
      ? this.#spyer(event)
      : this.#onlyListenTo(spyee);
    if (job) this.#jobs.note(job, `stopped listening to ${spyee ?? job.target}`);
    return job;
  }

  /** The single live listen, seen on this link, that spies on `channel`; none if not one. */
  #onlyListenTo(channel: string | undefined): Job | undefined {
    if (channel === undefined) return undefined;
    const listens = this.#jobs.live().filter((job) =>
      job.kind === "listen" && this.#spied.has(job) &&
      job.target.toLowerCase() === channel.toLowerCase() &&
      this.#seenOnLink.get(job) === this.#link
    );
    return listens.length === 1 ? listens[0] : undefined;
  }

  #hangup(event: AmiMessage): Job | undefined {
    const uniqueId = event.get("Uniqueid");
    const channel = event.get("Channel") ?? "";
    if (uniqueId) this.#earlySpies.delete(uniqueId);
    const listen = uniqueId ? this.#targets.get(uniqueId) : undefined;
    if (listen) {
      // The call to listen to hung up before the listen started.
      this.#targets.delete(uniqueId!);
      if (!isFinal(listen.status) && !this.#spied.has(listen)) {
        this.#jobs.transition(
          listen,
          "failed",
          `target channel gone: ${channel} hung up before the listen started`,
        );
        if (listen.uniqueId !== null) this.#hangUp(listen);
      }
    }
    const job = this.#jobOf(uniqueId, channel);
    if (!job) return listen;
    this.#forgetTarget(job);
    if (job.kind === "listen" && this.#answered.has(job) && !this.#spied.has(job)) {
      // ChanSpy (with S and u) leaves at once when its one target is not there.
      this.#jobs.transition(
        job,
        "failed",
        `target channel gone: ${job.target} was not there when ChanSpy started`,
      );
      return job;
    }
    const cause = event.get("Cause-txt") ?? event.get("Cause") ?? "";
    this.#jobs.transition(job, "ended", `${channel} hung up${cause ? ` (${cause})` : ""}`);
    return job;
  }

  #startedSpying(job: Job, note: string): void {
    this.#spied.add(job);
    this.#forgetTarget(job);
    this.#jobs.transition(job, "active", note);
  }

  /** The job of the spyer of a ChanSpyStart/Stop: by Uniqueid (12+), else by name. */
  #spyer(event: AmiMessage): Job | undefined {
    return this.#jobOf(event.get("SpyerUniqueid"), event.get("SpyerChannel"));
  }

  /**
   * The live job of an event: by Uniqueid when the event has one. By name
   * only for events without (Asterisk 11's ChanSpyStart), and only for a job
   * whose call this link saw: after a link loss names may belong to strangers.
   */
  #jobOf(uniqueId: string | undefined, channel: string | undefined): Job | undefined {
    if (uniqueId) return this.#jobs.byUniqueId(uniqueId);
    if (channel === undefined) return undefined;
    const job = this.#jobs.byChannel(channel);
    return job && this.#seenOnLink.get(job) === this.#link ? job : undefined;
  }

  #setCall(job: Job, channel: string, uniqueId: string): void {
    this.#jobs.setCall(job, { channel, uniqueId });
    this.#seenOnLink.set(job, this.#link);
  }

  #takeEarlySpy(job: Job): boolean {
    return (job.uniqueId !== null && this.#earlySpies.delete(job.uniqueId)) ||
      (job.channel !== null && this.#earlySpies.delete(job.channel));
  }

  #forgetTarget(job: Job): void {
    const uniqueId = this.#targetOf.get(job);
    if (uniqueId !== undefined && this.#targets.get(uniqueId) === job) {
      this.#targets.delete(uniqueId);
    }
  }
}
