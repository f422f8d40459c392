/**
 * The web console's board under load, against real processes over loopback:
 * `astrix mock-ami` and `astrix proxy --ami` in front of it (as ops run them,
 * bench/proxy_stack.ts), the console open in headless Chromium
 * (bench/console_page.ts) as a supervisor on the board.
 *
 * Traffic: mock-ami's own call-center traffic. A call makes 2 channels and,
 * as it starts, 11 events the board acts on (2 Newchannel, 4 Newstate,
 * 3 Newexten, NewCallerid, NewConnectedLine; among ~30 VarSet, Dial*,
 * Bridge*, ...), then 2 Hangup 20 s to 3 min later. So `--churn` is
 * `--rate / 11` new calls a second, and mock-ami starts with the `--calls`
 * that, together with the calls churned while the stack starts, bring the
 * board to `--channels - churn × --seconds` live channels; the console's
 * window starts there, and the churn carries it to `--channels +
 * churn × --seconds` by its end (the figures report the range). With the
 * defaults: 373 calls up at start, 9.1 new calls a second, 818 to 1,182
 * channels, ~100 board events a second among ~500 AMI events (VarSet most).
 *
 * Latency: each event the board shows (a row added or removed, a state cell
 * changed; bench/board_stamps.ts) is stamped three times on one clock: as
 * the benchmark's own AMI session of mock-ami receives it (mock-ami writes
 * each event to every session at once, so the proxy receives it then too),
 * as a bare SSE reader of the proxy's `GET /ami/events` (the same unfiltered
 * stream as the console's) receives it (the ceiling: the proxy's own relay),
 * and as the board's DOM changes for it (a MutationObserver in the page).
 * Both p50 and p99 over the events that entered during the window; the
 * console's share is the DOM time minus the bare reader's, event by event.
 *
 * CPU: the proxy process's CPU time (`/proc/<pid>/stat`, every thread)
 * during three windows of `--seconds`, one after the other: the console open
 * beside the bare reader, the bare reader alone (the ceiling: the SSE relay
 * alone), and two bare readers (what a second subscriber costs, for
 * reference). The stream grows a little from one window to the next, so the
 * ratio is of CPU per event relayed.
 *
 *   deno run -A bench/console_load.ts [--channels 1000] [--rate 100] [--seconds 20] [--runs 1]
 */

import { parseArgs } from "node:util";
import { isEventGap } from "../src/ami/event_stream.ts";
import type { AmiClient } from "../src/ami/client.ts";
import type { AmiMessage } from "../src/ami/message.ts";
import { signToken } from "../src/proxy/tokens.ts";
import {
  AmiFrames,
  BOARD_EVENTS,
  BoardStamps,
  latencies,
  percentile,
  streamHeader,
} from "./board_stamps.ts";
import { type BoardPage, type MainThreadTime, openBoard } from "./console_page.ts";
import { cpuTimeMs, listenerPid } from "./proc_status.ts";
import type { ServerProcess } from "./processes.ts";
import { mockAmiListener, startProxyStack } from "./proxy_stack.ts";
import { now, openSseStream } from "./sse_client.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    channels: { type: "string", default: "1000" },
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "20" },
    runs: { type: "string", default: "1" },
  },
});
const CHANNELS = Number(values.channels);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const RUNS = Number(values.runs);
/** Board events a call makes as it starts (the module doc). */
const BOARD_EVENTS_PER_NEW_CALL = 11;
const CHURN = RATE / BOARD_EVENTS_PER_NEW_CALL;
/** Channels when the console's window starts: the churn adds 2 × CHURN a second. */
const START_CHANNELS = Math.max(0, CHANNELS - CHURN * SECONDS);
/** About how long mock-ami runs before the board is open (its churn goes on meanwhile). */
const STARTUP_S = 4;
const CALLS = Math.max(0, Math.round(START_CHANNELS / 2 - CHURN * STARTUP_S));
/** After the console's window, how long its DOM has to show the window's last events. */
const SETTLE_MS = 3_000;
const count = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (n: number) => Number.isNaN(n) ? "—" : `${n.toFixed(1)} ms`;
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));

/** mock-ami's stream as the proxy receives it, followed on the benchmark's own AMI session. */
class PbxWatch {
  readonly entry = new BoardStamps();
  events = 0;
  boardEvents = 0;
  live: number;
  low: number;
  high: number;
  gaps = 0;

  constructor(initial: number) {
    this.live = this.low = this.high = initial;
  }

  async follow(events: AsyncIterable<AmiMessage>): Promise<void> {
    for await (const event of events) {
      const at = now();
      if (isEventGap(event)) {
        this.gaps++;
        continue;
      }
      this.events++;
      if (!BOARD_EVENTS.has(event.name)) continue;
      this.boardEvents++;
      if (event.name === "Newchannel") this.live++;
      if (event.name === "Hangup") this.live--;
      this.low = Math.min(this.low, this.live);
      this.high = Math.max(this.high, this.live);
      this.entry.record(event.name, (header) => event.get(header), at);
    }
  }

  /** Starts a new window of the live-channel range. */
  resetRange(): void {
    this.low = this.high = this.live;
  }
}

/** A bare subscriber of the proxy's event stream that stamps the board's keys as they arrive. */
class BareReader {
  readonly stamps = new BoardStamps();
  readonly #abort = new AbortController();
  #stream: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #reading: Promise<void> = Promise.resolve();

  static async open(url: string, token: string): Promise<BareReader> {
    const reader = new BareReader();
    const stream = reader.#stream = await openSseStream(url, token, reader.#abort.signal);
    const frames = new AmiFrames((data) => {
      reader.stamps.record(data.event as string, (header) => streamHeader(data, header), at);
    });
    let at = 0;
    reader.#reading = (async () => {
      try {
        for (let chunk = await stream.read(); !chunk.done; chunk = await stream.read()) {
          at = now();
          frames.push(chunk.value);
        }
      } catch (error) {
        if (!reader.#abort.signal.aborted) throw error;
      }
    })();
    return reader;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#stream?.cancel().catch(() => {});
    await this.#reading;
  }
}

/** One window's figures. */
interface Window {
  name: string;
  seconds: number;
  events: number;
  boardEvents: number;
  cpuMs: number;
  channels: [number, number];
  latency?: Latency;
  mainThread?: MainThreadTime;
}

interface Latency {
  ceiling: number[];
  dom: number[];
  share: number[];
  keys: number;
  unseenByDom: number;
  channelLoads: number;
}

/** Measures the proxy over one window of SECONDS. */
async function measureWindow(
  name: string,
  watch: PbxWatch,
  proxyPid: number,
  board?: BoardPage,
): Promise<Window & { from: number; to: number }> {
  watch.resetRange();
  const [events, boardEvents] = [watch.events, watch.boardEvents];
  const cpu = cpuTimeMs(proxyPid)!;
  const thread = await board?.mainThread();
  const from = now();
  await sleep(SECONDS * 1000);
  const to = now();
  const cpuMs = cpuTimeMs(proxyPid)! - cpu;
  const after = await board?.mainThread();
  return {
    name,
    from,
    to,
    seconds: (to - from) / 1000,
    events: watch.events - events,
    boardEvents: watch.boardEvents - boardEvents,
    cpuMs,
    channels: [watch.low, watch.high],
    mainThread: thread && after && {
      taskMs: after.taskMs - thread.taskMs,
      scriptMs: after.scriptMs - thread.scriptMs,
      layoutMs: after.layoutMs - thread.layoutMs,
    },
  };
}

/** The console's window: the board open beside `reader`, then its DOM's stamps matched. */
async function measureConsole(
  watch: PbxWatch,
  proxyPid: number,
  board: BoardPage,
  reader: BareReader,
): Promise<Window> {
  const loads = board.channelLoads();
  const window = await measureWindow("console + 1 bare reader", watch, proxyPid, board);
  await sleep(SETTLE_MS);
  const dom = new BoardStamps();
  for (const [at, key] of await board.takeChanges()) dom.stamp(key, at);
  const ceiling = latencies(watch.entry, reader.stamps, window.from, window.to);
  const shown = latencies(watch.entry, dom, window.from, window.to);
  const share: number[] = [];
  for (const [key] of watch.entry.between(window.from, window.to)) {
    const [bare, drawn] = [reader.stamps.get(key), dom.get(key)];
    if (bare !== undefined && drawn !== undefined) share.push(drawn - bare);
  }
  window.latency = {
    ceiling: ceiling.delays,
    dom: shown.delays,
    share,
    keys: shown.keys,
    unseenByDom: shown.unseen,
    channelLoads: board.channelLoads() - loads,
  };
  return window;
}

function printResults(windows: Window[], watch: PbxWatch, consoleErrors: string[]): void {
  console.log(
    `\nConsole board: ${count(CHANNELS)} channels, ${RATE} board events/s ` +
      `(mock-ami --calls ${CALLS} --churn ${CHURN.toFixed(2)}), ${SECONDS} s windows, ` +
      `${RUNS} run${RUNS === 1 ? "" : "s"}\n`,
  );
  const consoles = windows.filter((w) => w.latency);
  const all = (pick: (l: Latency) => number[]) => consoles.flatMap((w) => pick(w.latency!));
  const ceiling = all((l) => l.ceiling);
  const dom = all((l) => l.dom);
  const share = all((l) => l.share);
  console.log(
    "| AMI event entering the proxy → | events timed | p50 | p99 | max | p50 vs ceiling | p99 vs ceiling |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const row = (name: string, values: number[], ratio: boolean) => {
    const [p50, p99] = [percentile(values, 50), percentile(values, 99)];
    const vs = (p: number, c: number) => ratio ? `${(p / c).toFixed(1)}×` : "";
    const cells = [
      name,
      count(values.length),
      ms(p50),
      ms(p99),
      ms(Math.max(...values)),
      ratio ? vs(p50, percentile(ceiling, 50)) : "1.0×",
      ratio ? vs(p99, percentile(ceiling, 99)) : "1.0×",
    ];
    console.log(`| ${cells.join(" | ")} |`);
  };
  row("bare SSE reader of `/ami/events` (ceiling)", ceiling, false);
  row("the board's DOM in Chromium", dom, true);
  const [shareP50, shareP99] = [percentile(share, 50), percentile(share, 99)];
  console.log(
    `\nthe console's own share (DOM − bare reader, event by event): p50 ${ms(shareP50)}, ` +
      `p99 ${ms(shareP99)}`,
  );
  for (const w of consoles) {
    const { keys, unseenByDom, channelLoads } = w.latency!;
    const busy = w.mainThread ? (w.mainThread.taskMs / (w.seconds * 1000)) * 100 : NaN;
    console.log(
      `console window: ${count(w.channels[0])}–${count(w.channels[1])} channels, ` +
        `${count(keys)} visible changes (${(keys / w.seconds).toFixed(0)}/s), ` +
        `${count(unseenByDom)} not in the DOM ${SETTLE_MS / 1000} s after the window, ` +
        `${channelLoads} reloads of /ami/channels; renderer main thread busy ${busy.toFixed(0)}% ` +
        `(script ${count(w.mainThread?.scriptMs ?? 0)} ms, style + layout ` +
        `${count(w.mainThread?.layoutMs ?? 0)} ms)`,
    );
  }

  console.log(
    "\n| proxy serving | channels | AMI events/s | board events/s | proxy CPU | CPU per 1,000 events | vs relay alone |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  const perEvent = (w: Window) => (w.cpuMs / w.events) * 1000;
  const ceilings = windows.filter((w) => w.name === RELAY_ALONE);
  const relay = ceilings.reduce((sum, w) => sum + perEvent(w), 0) / ceilings.length;
  for (const w of windows) {
    const cells = [
      w.name,
      `${count(w.channels[0])}–${count(w.channels[1])}`,
      count(w.events / w.seconds),
      count(w.boardEvents / w.seconds),
      `${((w.cpuMs / (w.seconds * 1000)) * 100).toFixed(1)}%`,
      ms(perEvent(w)),
      `${(perEvent(w) / relay).toFixed(2)}×`,
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log(`\nAMI event gaps on the benchmark's session: ${watch.gaps}`);
  for (const error of consoleErrors) console.log(`error in the page: ${error}`);
}

const RELAY_ALONE = "SSE relay alone: 1 bare reader";

const dir = Deno.makeTempDirSync({ prefix: "astrix-console-bench-" });
const jwtSecret = crypto.randomUUID() + crypto.randomUUID();
const servers: ServerProcess[] = [];
const readers: BareReader[] = [];
let ami: AmiClient | undefined;
let board: BoardPage | undefined;
let following: Promise<void> | undefined;
try {
  const { mockAmi, proxy } = await startProxyStack(servers, {
    jwtSecret,
    auditDb: `${dir}/audit.db`,
    proxyArgs: ["--log-format", "json"],
    mockAmiArgs: ["--calls", String(CALLS), "--churn", String(CHURN)],
  });
  const proxyPid = listenerPid(proxy.port);
  if (proxyPid === undefined || cpuTimeMs(proxyPid) === undefined) {
    throw new Error("The proxy's CPU time cannot be read: this benchmark needs Linux's /proc");
  }
  ami = mockAmiListener(mockAmi.port);
  await ami.connect();
  const events = ami.events({ bufferSize: 100_000 });
  const { events: channels } = await ami.collect({ Action: "CoreShowChannels" });
  const watch = new PbxWatch(channels.length);
  following = watch.follow(events);

  const url = `http://127.0.0.1:${proxy.port}`;
  const secret = new TextEncoder().encode(jwtSecret);
  const token = await signToken(secret, { sub: "console-bench", role: "supervisor" });
  const readerToken = await signToken(secret, { sub: "sse-reader", role: "admin" });
  readers.push(await BareReader.open(`${url}/ami/events`, readerToken));
  const consoleErrors: string[] = [];
  const windows: Window[] = [];
  for (let run = 0; run < RUNS; run++) {
    board = await openBoard(url, token);
    while (watch.live < START_CHANNELS) await sleep(100);
    windows.push(await measureConsole(watch, proxyPid, board, readers[0]));
    consoleErrors.push(...board.errors());
    board.session.assertLoopbackOnly();
    await board.close();
    board = undefined;
    windows.push(await measureWindow(RELAY_ALONE, watch, proxyPid));
    readers.push(await BareReader.open(`${url}/ami/events`, readerToken));
    windows.push(await measureWindow("2 bare readers", watch, proxyPid));
    await readers.pop()!.close();
  }
  printResults(windows, watch, consoleErrors);
} finally {
  await board?.close();
  for (const reader of readers) await reader.close();
  await ami?.close();
  await following?.catch(() => {});
  for (const server of servers.reverse()) await server.stop();
  Deno.removeSync(dir, { recursive: true });
}
