/**
 * The dialplan applications the simulated PBX runs, with the side effects
 * Asterisk's have on events and channel variables: Answer, Wait, Playback,
 * ControlPlayback, ChanSpy, Dial, Hangup, UserEvent, Goto, NoOp.
 *
 * @module
 */

import type { AmiHeader } from "../ami/message.ts";
import type { Channel } from "./channel.ts";
import { type Control, Playback } from "./playback.ts";
import type { Pbx } from "./pbx.ts";
import { dial } from "./dial.ts";

/** Called when an application ends by itself; `next` is a priority to jump to (Goto). */
export type AppDone = (next?: number) => void;

/**
 * Runs `app(data)` on `channel`. `done` is called when it ends by itself, not
 * when the channel hangs up first (its `running.stop` then cleans up).
 */
export function runApplication(
  pbx: Pbx,
  channel: Channel,
  app: string,
  data: string,
  done: AppDone,
): void {
  let stopped = false;
  let cleanup = nothing;
  // Set before the application starts: one that ends at once starts the next step,
  // which replaces `channel.running` with its own.
  channel.running = {
    application: app,
    data,
    stop() {
      if (stopped) return;
      stopped = true;
      cleanup();
    },
  };
  const finish: AppDone = (next) => {
    if (stopped || channel.hungUp) return;
    stopped = true;
    done(next);
  };
  cleanup = start(pbx, channel, app, data, finish);
}

type Starter = (pbx: Pbx, channel: Channel, data: string, done: AppDone) => () => void;

const nothing = () => {};

const APPLICATIONS: Record<string, Starter> = {
  answer(pbx, channel, _data, done) {
    pbx.answer(channel);
    done();
    return nothing;
  },
  noop(_pbx, _channel, _data, done) {
    done();
    return nothing;
  },
  wait(pbx, _channel, data, done) {
    return pbx.after(Math.max(0, Number.parseFloat(data) || 0) * 1000, () => done());
  },
  hangup(pbx, channel, data) {
    pbx.hangup(channel, Number.parseInt(data) || 16, { fromDialplan: true });
    return nothing;
  },
  goto(_pbx, _channel, data, done) {
    // Goto(priority) or Goto(exten,priority) within the context: only the priority form moves.
    const parts = data.split(",");
    done(Number.parseInt(parts[parts.length - 1]) || 1);
    return nothing;
  },
  userevent(pbx, channel, data, done) {
    const [name, ...pairs] = data.split(",");
    const fields: AmiHeader[] = pairs.map((pair) => {
      const colon = pair.indexOf(":");
      return colon < 0 ? [pair, ""] : [pair.slice(0, colon), pair.slice(colon + 1).trimStart()];
    });
    pbx.announce("dialplanUserEvent", channel, name, fields);
    done();
    return nothing;
  },
  playback(pbx, channel, data, done) {
    return play(pbx, channel, data.split(",")[0], { controllable: false }, (end) => {
      const status = end.reason === "hangup" ? pbx.profile.playbackStatusOnHangup : "SUCCESS";
      pbx.setVariable(channel, "PLAYBACKSTATUS", status);
      if (end.reason !== "hangup") done();
    });
  },
  controlplayback(pbx, channel, data, done) {
    const [file, skip] = data.split(",");
    const skipMs = Number.parseInt(skip) || 3000;
    return play(pbx, channel, file, { controllable: true, skipMs }, (end) => {
      const status = end.reason === "eof"
        ? "SUCCESS"
        : end.reason === "stopped"
        ? "REMOTESTOPPED"
        : "ERROR";
      pbx.setVariable(channel, "CPLAYBACKSTATUS", status);
      pbx.setVariable(
        channel,
        "CPLAYBACKOFFSET",
        end.reason === "eof" ? "-1" : String(Math.round(end.offsetMs)),
      );
      if (end.reason !== "hangup") done();
    });
  },
  chanspy: chanSpy,
  dial,
};

function start(pbx: Pbx, channel: Channel, app: string, data: string, done: AppDone): () => void {
  const starter = APPLICATIONS[app.toLowerCase()];
  if (!starter) {
    // Asterisk: "No application 'X' for extension": the channel hangs up.
    pbx.after(0, () => pbx.hangup(channel, 0));
    return nothing;
  }
  return starter(pbx, channel, data, done);
}

function play(
  pbx: Pbx,
  channel: Channel,
  file: string,
  options: { controllable: boolean; skipMs?: number },
  onEnd: (end: { reason: "eof" | "stopped" | "hangup"; offsetMs: number }) => void,
): () => void {
  const playback = new Playback(
    pbx.clock,
    { file, durationMs: pbx.soundDuration(file), ...options },
    (end) => {
      pbx.playbacks.delete(channel);
      onEnd(end);
    },
  );
  pbx.playbacks.set(channel, playback);
  return () => playback.abort();
}

/** Sends a ControlPlayback control to whatever plays on the channel; nothing if nothing plays. */
export function controlPlayback(pbx: Pbx, channel: Channel, control: Control): void {
  pbx.playbacks.get(channel)?.control(control);
}

/**
 * ChanSpy(spec,options): spies on the first channel whose name starts with
 * `spec` (exactly `spec`, or the channel with that Uniqueid, with `u`). `E`
 * leaves when the spied-on channel hangs up; `S` leaves when there is nothing
 * to spy on; without them the spy waits for another channel.
 */
function chanSpy(pbx: Pbx, spyer: Channel, data: string, done: AppDone): () => void {
  const [spec = "", options = ""] = data.split(",");
  const exact = options.includes("u");
  const leaveOnHangup = options.includes("E");
  const stopWhenNone = options.includes("S") || exact;
  let spyee: Channel | undefined;
  let retry: (() => void) | undefined;

  const find = (): Channel | undefined => {
    if (exact) {
      const target = pbx.findChannel(spec);
      return target && target !== spyer && !pbx.spies.has(target) ? target : undefined;
    }
    const matches = pbx.channels.filter((c) =>
      c !== spyer && c.name.startsWith(spec) && !pbx.spies.has(c)
    );
    return pbx.profile.chanSpyPrefixPick === "newest" ? matches.at(-1) : matches[0];
  };
  const stopSpying = () => {
    if (!spyee) return;
    pbx.spies.delete(spyer);
    spyee.hangupListeners.delete(onSpyeeHangup);
    pbx.announce("chanSpyStop", spyer, spyee);
    pbx.audiohooksChanged(spyee, false);
    spyee = undefined;
  };
  const onSpyeeHangup = () => {
    stopSpying();
    if (leaveOnHangup || stopWhenNone) done();
    else look();
  };
  const look = () => {
    const target = find();
    if (target) {
      spyee = target;
      pbx.spies.set(spyer, target);
      target.hangupListeners.add(onSpyeeHangup);
      pbx.announce("chanSpyStart", spyer, target);
      pbx.audiohooksChanged(target, true);
    } else if (stopWhenNone) {
      done();
    } else {
      retry = pbx.after(1000, look);
    }
  };
  look();
  return () => {
    retry?.();
    stopSpying();
  };
}
