/**
 * The AMI actions of mock-ami, registered on an {@linkcode AmiServer} and
 * answered as the simulated Asterisk version answers them: the same
 * Response, Message texts, headers, validation order and events (see
 * tests/fixtures/ami and ami-versions). Each is guarded by the write classes
 * Asterisk gives it (ListCommands' `Priv:`). Asterisk 11 has no
 * ControlPlayback action.
 *
 * @module
 */

import type { AmiHeader, AmiMessage } from "../ami/message.ts";
import { ACTION_WRITE_CLASSES, isTrueWord } from "../ami/permissions.ts";
import type { AmiServer, AmiServerSession } from "../ami/server.ts";
import { formatDuration } from "./channel.ts";
import { noSuchCommand, runCliCommand } from "./cli.ts";
import { controlPlayback } from "./apps.ts";
import type { OriginateOutcome } from "./events.ts";
import { legacyCoreShowChannel, legacyStatus } from "./events_legacy.ts";
import type { Control } from "./playback.ts";
import {
  originate as placeOriginate,
  type OriginateRequest,
  type OriginateResult,
} from "./originate.ts";
import type { Pbx } from "./pbx.ts";

const CONTROLS = new Set<string>(["stop", "forward", "reverse", "pause", "restart"]);

/** Registers mock-ami's actions on `server`, acting on `pbx`. */
export function registerPbxActions(server: AmiServer, pbx: Pbx): void {
  const profile = pbx.profile;
  server.handle("Originate", { write: WRITE.Originate, handle: (r, s) => originate(pbx, r, s) });
  server.handle("Hangup", { write: WRITE.Hangup, handle: (r, s) => hangup(pbx, r, s) });
  if (profile.controlPlaybackAction) registerControlPlayback(server, pbx);
  server.handle("CoreShowChannels", {
    write: WRITE.CoreShowChannels,
    handle: (r, s) => coreShowChannels(pbx, r, s),
  });
  server.handle("Status", {
    write: WRITE.Status,
    handle: (r, s) => status(pbx, r, s),
  });
  server.handle("Command", {
    write: WRITE.Command,
    handle(request, session) {
      const command = request.get("Command");
      if (!command) return session.reply(request, "Error", { message: "No command provided" });
      const output = runCliCommand(pbx, command);
      if (profile.commandFraming === "follows") {
        return session.replyFollows(request, output ?? [noSuchCommand(command)]);
      }
      session.reply(request, output ? "Success" : "Error", {
        message: "Command output follows",
        fields: (output ?? [noSuchCommand(command)]).map((line): AmiHeader => ["Output", line]),
      });
    },
  });
  server.handle("Getvar", {
    write: WRITE.Getvar,
    handle(request, session) {
      const target = variableTarget(pbx, request, session);
      if (!target) return;
      session.reply(request, "Success", {
        fields: [["Variable", target.variable], [
          "Value",
          pbx.getVariable(target.channel, target.variable),
        ]],
      });
    },
  });
  server.handle("Setvar", {
    write: WRITE.Setvar,
    handle(request, session) {
      const target = variableTarget(pbx, request, session);
      if (!target) return;
      session.reply(request, "Success", { message: "Variable Set" });
      pbx.setVariable(target.channel, target.variable, request.get("Value") ?? "");
    },
  });
  server.handle("UserEvent", {
    write: WRITE.UserEvent,
    handle(request, session) {
      session.reply(request, "Success", { message: "Event Sent" });
      // `UserEvent:` first, then every other header but Action (11 keeps it too),
      // duplicates and empty ones kept.
      const skip = profile.userEventKeepsAction ? /^userevent$/i : /^(action|userevent)$/i;
      const fields = [...request].filter(([key]) => !skip.test(key));
      server.broadcast([
        ["Event", "UserEvent"],
        ["Privilege", "user,all"],
        ["UserEvent", request.get("UserEvent") ?? ""],
        ...fields,
      ]);
    },
  });
  server.handle("CoreStatus", {
    write: WRITE.CoreStatus,
    handle(request, session) {
      const [date, time] = new Date(pbx.startedAt).toISOString().split("T");
      const fields: AmiHeader[] = [
        ["CoreStartupDate", date],
        ["CoreStartupTime", time.slice(0, 8)],
        ["CoreReloadDate", date],
        ["CoreReloadTime", time.slice(0, 8)],
        ["CoreCurrentCalls", String(pbx.channels.filter((c) => c.inDialplan).length)],
      ];
      if (profile.coreProcessedCalls) {
        fields.push(["CoreProcessedCalls", String(pbx.processedCalls)]);
      }
      session.reply(request, "Success", { fields });
    },
  });
  server.handle("CoreSettings", {
    write: WRITE.CoreSettings,
    handle(request, session) {
      const fields: AmiHeader[] = [
        ["AMIversion", profile.amiVersion],
        ["AsteriskVersion", profile.version],
        ["SystemName", ""],
        ["CoreMaxCalls", "0"],
        ["CoreMaxLoadAvg", "0.000000"],
        ["CoreRunUser", ""],
        ["CoreRunGroup", ""],
        ["CoreMaxFilehandles", "0"],
        ["CoreRealTimeEnabled", "No"],
        ["CoreCDRenabled", "Yes"],
        ["CoreHTTPenabled", "No"],
      ];
      if (profile.soundsSearchCustomDir) fields.push(["SoundsSearchCustomDir", "No"]);
      session.reply(request, "Success", { fields });
    },
  });
  const listed = ACTION_LIST.filter(([name]) =>
    profile.controlPlaybackAction || name !== "ControlPlayback"
  );
  server.handle("ListCommands", {
    handle(request, session) {
      // As Asterisk: only the actions this user's write= classes allow, and those needing none.
      session.reply(request, "Success", {
        fields: listed.filter(([name]) => session.mayRun(WRITE[name])),
      });
    },
  });
}

/** ControlPlayback (Asterisk 12+): a control for what plays on a channel. */
function registerControlPlayback(server: AmiServer, pbx: Pbx): void {
  server.handle("ControlPlayback", {
    write: WRITE.ControlPlayback,
    handle(request, session) {
      const name = request.get("Channel");
      const control = request.get("Control");
      if (!name) return session.reply(request, "Error", { message: "Channel not specified" });
      if (!control) return session.reply(request, "Error", { message: "Control not specified" });
      const channel = pbx.findChannel(name);
      if (!channel) return session.reply(request, "Error", { message: "No such channel" });
      const lower = control.toLowerCase();
      if (!CONTROLS.has(lower)) {
        return session.reply(request, "Error", { message: "Unknown control type" });
      }
      controlPlayback(pbx, channel, lower as Control);
      session.reply(request, "Success");
    },
  });
}

const WRITE = ACTION_WRITE_CLASSES;

/** ListCommands: the actions mock-ami answers, with Asterisk's privileges for them, by name. */
const ACTION_LIST: AmiHeader[] = [
  ...["Challenge", "Events", "ListCommands", "Login", "Logoff", "Ping"],
  ...Object.keys(WRITE),
].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())).map((name) => {
  const classes = WRITE[name];
  return [name, ` (Priv: ${classes ? `${classes.join(",")},all` : "<none>"})`];
});

/** Applications a user without the `system` write class may not originate (manager.c's list). */
const BLACKLISTED_APP = /system|exec|agi|mixmonitor|externalivr|originate/i;

async function originate(pbx: Pbx, request: AmiMessage, session: AmiServerSession): Promise<void> {
  const channel = request.get("Channel");
  const context = request.get("Context");
  const exten = request.get("Exten");
  const priority = request.get("Priority");
  const application = request.get("Application");
  const data = request.get("Data") ?? "";
  const timeout = request.get("Timeout");
  const error = (message: string) => session.reply(request, "Error", { message });
  if (!channel) return error("Channel not specified");
  if (priority && !/^\s*-?\d+/.test(priority)) return error("Invalid priority");
  if (timeout && !/^\s*-?\d+/.test(timeout)) return error("Invalid timeout");
  if (!channel.includes("/")) return error("Invalid channel");
  if (application) {
    const mayRunSystem = session.user?.write.some((c) =>
      ["system", "all"].includes(c.toLowerCase())
    );
    if (!mayRunSystem && (BLACKLISTED_APP.test(application) || /SHELL|EVAL/.test(data))) {
      return error(pbx.profile.originateForbidden);
    }
  } else if (!exten || !context) {
    return error("Originate with 'Exten' requires 'Context' and 'Priority'");
  }
  const target: OriginateRequest["target"] = application
    ? { application, data }
    : { context: context!, exten: exten!, priority: Number.parseInt(priority ?? "1") || 1 };
  const originateRequest: OriginateRequest = {
    channel,
    target,
    callerId: parseCallerId(request.get("CallerID")),
    variables: request.getAll("Variable").flatMap(parseVariables),
    timeoutMs: Number.parseInt(timeout ?? "30000") || 30000,
    // Asterisk 11 ignores ChannelId and OtherChannelId without a word.
    channelId: pbx.profile.originateChannelId ? request.get("ChannelId") || undefined : undefined,
    otherChannelId: pbx.profile.originateChannelId
      ? request.get("OtherChannelId") || undefined
      : undefined,
  };
  const outcome = (result: OriginateResult): OriginateOutcome => ({
    actionId: request.actionId,
    success: result.ok,
    channel: result.ok ? result.channel.name : channel,
    target: "application" in target ? target : { context: target.context, exten: target.exten },
    uniqueid: result.ok ? result.channel.uniqueid : pbx.profile.failedOriginateUniqueid,
    callerIdNum: result.ok ? result.channel.callerIdNum : "<unknown>",
    callerIdName: result.ok ? result.channel.callerIdName : "<unknown>",
  });
  if (isTrueWord(request.get("Async"))) {
    session.reply(request, "Success", { message: "Originate successfully queued" });
    // As Asterisk's originate thread: the session goes on with its next action meanwhile.
    placeOriginate(pbx, originateRequest).then((result) =>
      pbx.announce("originateResponse", outcome(result))
    );
    return;
  }
  // Synchronous: the session waits for the answer; no OriginateResponse is sent.
  const result = await placeOriginate(pbx, originateRequest);
  if (result.ok) session.reply(request, "Success", { message: "Originate successfully queued" });
  else error("Originate failed");
}

function hangup(pbx: Pbx, request: AmiMessage, session: AmiServerSession): void {
  const name = request.get("Channel");
  if (!name) return session.reply(request, "Error", { message: "No channel specified" });
  const cause = Number.parseInt(request.get("Cause") ?? "0") || 0;
  const regex = name.match(/^\/(.*)\/$/);
  if (regex) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(regex[1]);
    } catch {
      return session.reply(request, "Error", { message: "Invalid regex" });
    }
    const matched = pbx.channels.filter((c) => pattern.test(c.name));
    session.reply(request, "Success", { eventList: true, message: "Channels hung up will follow" });
    for (const c of matched) {
      const item: AmiHeader[] = [["Event", "ChannelHungup"], ["Channel", c.name]];
      if (request.actionId !== undefined) item.push(["ActionID", request.actionId]);
      session.send(item);
    }
    session.listComplete(request, "ChannelsHungupListComplete", matched.length, [], {
      actionIdLast: pbx.profile.listCompleteActionIdLast,
    });
    pbx.hangupAll(matched, cause);
    return;
  }
  const channel = pbx.findChannel(name);
  if (!channel) return session.reply(request, "Error", { message: "No such channel" });
  session.reply(request, "Success", { message: "Channel Hungup" });
  pbx.hangup(channel, cause);
}

function coreShowChannels(pbx: Pbx, request: AmiMessage, session: AmiServerSession): void {
  session.reply(request, "Success", { eventList: true, message: "Channels will follow" });
  const now = pbx.clock.now();
  const channels = listOrder(pbx);
  const legacy = pbx.profile.events === "legacy";
  for (const c of channels) {
    session.listItem(
      request,
      "CoreShowChannel",
      legacy ? legacyCoreShowChannel(c, now) : [
        ...c.snapshot(),
        ["Application", c.running.application],
        ["ApplicationData", c.running.data],
        ["Duration", formatDuration(now - c.createdAt)],
        ["BridgeId", c.bridge?.id ?? ""],
      ],
    );
  }
  session.listComplete(request, "CoreShowChannelsComplete", channels.length, [], {
    actionIdLast: pbx.profile.listCompleteActionIdLast,
  });
}

/** Channels in the order the version lists them (13 and 16: the newest first). */
function listOrder(pbx: Pbx) {
  return pbx.profile.channelsNewestFirst ? pbx.channels.reverse() : pbx.channels;
}

function status(pbx: Pbx, request: AmiMessage, session: AmiServerSession): void {
  const name = request.get("Channel");
  // As Asterisk's ast_channel_get_by_name: the channel of that name, else of that Uniqueid.
  const named = name ? pbx.findChannel(name) : undefined;
  const channels = name ? (named ? [named] : []) : listOrder(pbx);
  if (name && channels.length === 0) {
    return session.reply(request, "Error", { message: "No such channel" });
  }
  const profile = pbx.profile;
  session.reply(request, "Success", {
    eventList: profile.statusEventList,
    message: "Channel status will follow",
  });
  const now = pbx.clock.now();
  for (const c of channels) {
    const item: AmiHeader[] = profile.events === "legacy" ? legacyStatus(c, now) : [
      ["Event", "Status"],
      ["Privilege", "Call"],
      ...c.snapshot(),
      ["Type", c.name.slice(0, c.name.indexOf("/"))],
      ["DNID", ""],
      ["EffectiveConnectedLineNum", c.connectedNum],
      ["EffectiveConnectedLineName", c.connectedName],
      ["TimeToHangup", "0"],
      ["BridgeID", c.bridge?.id ?? ""],
      ["Application", c.running.application],
      ["Data", c.running.data],
      ["Nativeformats", "(ulaw)"],
      ["Readformat", "ulaw"],
      ["Readtrans", ""],
      ["Writeformat", "ulaw"],
      ["Writetrans", ""],
      ["Callgroup", "0"],
      ["Pickupgroup", "0"],
      ["Seconds", String(Math.floor((now - c.createdAt) / 1000))],
    ];
    // `Variables: A,B` adds `Variable: A=value` per name, as manager.c's action_status.
    for (const name of (request.get("Variables") ?? "").split(",").filter((v) => v !== "")) {
      item.push(["Variable", `${name}=${pbx.getVariable(c, name)}`]);
    }
    if (request.actionId !== undefined) item.push(["ActionID", request.actionId]);
    session.send(item);
  }
  if (!profile.statusEventList) {
    // Asterisk 11: `Event: StatusComplete`, ActionID, `Items: N`, no EventList.
    const complete: AmiHeader[] = [["Event", "StatusComplete"]];
    if (request.actionId !== undefined) complete.push(["ActionID", request.actionId]);
    complete.push(["Items", String(channels.length)]);
    return session.send(complete);
  }
  session.listComplete(request, "StatusComplete", channels.length, [[
    "Items",
    String(channels.length),
  ]]);
}

/**
 * The Variable and optional Channel of a Getvar/Setvar, checked in Asterisk's
 * order; on an error it has answered, and returns undefined.
 */
function variableTarget(pbx: Pbx, request: AmiMessage, session: AmiServerSession) {
  const variable = request.get("Variable");
  if (!variable) return void session.reply(request, "Error", { message: "No variable specified" });
  const name = request.get("Channel");
  const channel = name ? pbx.findChannel(name) : undefined;
  if (name && !channel) return void session.reply(request, "Error", { message: "No such channel" });
  return { variable, channel };
}

/** `"Supervisor <201>"` → name and number, as ast_callerid_parse reads it. */
function parseCallerId(value: string | undefined): { num: string; name: string } | undefined {
  if (!value) return undefined;
  const match = value.match(/^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$/);
  if (match) return { name: match[1] || "<unknown>", num: match[2] || "<unknown>" };
  return /^[\d+*#]+$/.test(value.trim())
    ? { num: value.trim(), name: "<unknown>" }
    : { num: "<unknown>", name: value.trim() };
}

/** `Variable: A=1,B=2` → pairs. */
function parseVariables(value: string): [string, string][] {
  return value.split(",").filter((part) => part.includes("=")).map((part) => {
    const eq = part.indexOf("=");
    return [part.slice(0, eq), part.slice(eq + 1)];
  });
}
