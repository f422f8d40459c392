/**
 * A realistic AMI event flood for the benchmarks: the five events a busy PBX
 * sends most (Newchannel, Newstate, VarSet, Newexten, Hangup) with the field
 * sets of the captures in tests/fixtures/ami, on SIP channels of a call
 * center whose Asterisk sets `systemname` (so each event carries `SystemName:`
 * as its third line and Uniqueids get its prefix, as the captures' README
 * describes), about 450 bytes each. Deterministic: the same count gives the
 * same bytes on every run.
 */

import { type AmiHeader, serializeMessage } from "../src/ami/message.ts";

/** The event that ends a flood; clients stop counting when they see it. */
export const FLOOD_END = "FloodDone";

const SYSTEM_NAME = "pbx-tehran-1";
const NAMES = ["Maryam Hosseini", "Reza Ahmadi", "Sara Karimi", "Ali Rezaei", "Neda Moradi"];
const STATES = [["0", "Down"], ["4", "Ring"], ["5", "Ringing"], ["6", "Up"]] as const;

/** The channel snapshot block every channel event starts with. */
function snapshot(i: number): AmiHeader[] {
  const ext = 200 + (i % 60);
  const peer = 200 + ((i * 7) % 60);
  const [state, desc] = STATES[i % STATES.length];
  const uniqueid = `${SYSTEM_NAME}-1795484${String(532 + (i >> 4)).padStart(3, "0")}.${i}`;
  // Every third leg is the outside trunk, with a full caller number.
  const trunk = i % 3 === 0;
  const seq = (i >> 2).toString(16).padStart(8, "0");
  return [
    ["Channel", trunk ? `SIP/trunk-tehran-mci-${seq}` : `SIP/${ext}-${seq}`],
    ["ChannelState", state],
    ["ChannelStateDesc", desc],
    ["CallerIDNum", trunk ? `+98912${String(4000000 + i * 37).slice(-7)}` : String(ext)],
    ["CallerIDName", `${NAMES[i % NAMES.length]} - Sales Team ${1 + (i % 9)}`],
    ["ConnectedLineNum", String(peer)],
    ["ConnectedLineName", `${NAMES[(i + 2) % NAMES.length]} - Support Queue`],
    ["Language", "en"],
    ["AccountCode", ""],
    ["Context", i % 2 === 0 ? "macro-dial-one" : "from-internal"],
    ["Exten", String(peer)],
    ["Priority", String(1 + (i % 3))],
    ["Uniqueid", uniqueid],
    ["Linkedid", uniqueid.replace(/\.\d+$/, `.${i - (i % 4)}`)],
  ];
}

/** Event number `i` of the flood, as header pairs. */
export function floodEvent(i: number): AmiHeader[] {
  const block: AmiHeader[] = [["SystemName", SYSTEM_NAME], ...snapshot(i)];
  switch (i % 5) {
    case 0:
      return [["Event", "Newchannel"], ["Privilege", "call,all"], ...block];
    case 1:
      return [["Event", "Newstate"], ["Privilege", "call,all"], ...block];
    case 2:
      return [
        ["Event", "VarSet"],
        ["Privilege", "dialplan,all"],
        ...block,
        ["Variable", "BRIDGEPEER"],
        ["Value", `SIP/${200 + ((i * 7) % 60)}-${(i >> 3).toString(16).padStart(8, "0")}`],
      ];
    case 3:
      return [
        ["Event", "Newexten"],
        ["Privilege", "dialplan,all"],
        ...block,
        ["Extension", String(200 + ((i * 7) % 60))],
        ["Application", "Dial"],
        ["AppData", `SIP/${200 + ((i * 7) % 60)},,HhTtrIb(func-apply-sipheaders^s^1)`],
      ];
    default:
      return [
        ["Event", "Hangup"],
        ["Privilege", "call,all"],
        ...block,
        ["Cause", "16"],
        ["Cause-txt", "Normal Clearing"],
      ];
  }
}

/** `count` flood events and the closing FloodDone, as wire text. */
export function floodText(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(serializeMessage(floodEvent(i)));
  parts.push(
    serializeMessage([["Event", FLOOD_END], ["Privilege", "call,all"], ["Count", String(count)]]),
  );
  return parts.join("");
}
