/**
 * The console's board in Chromium for bench/console_load.ts: a headless
 * Chromium held to loopback (tests/_support/browser.ts) logs in through the
 * login form with a supervisor's token, opens the board, and a
 * MutationObserver in the page notes every visible change of its rows as the
 * keys of bench/board_stamps.ts (`add`, `remove`, `state`), stamped with
 * `performance.timeOrigin + performance.now()`: the same clock as the
 * benchmark's `now()`. The renderer's main-thread time comes from the
 * DevTools protocol's `Performance.getMetrics`.
 *
 * @example
 * ```ts
 * import { openBoard } from "./console_page.ts";
 *
 * const board = await openBoard("http://127.0.0.1:8080", token);
 * const changes = await board.takeChanges(); // [[1764950400123.4, "add SIP/201-0000002a"], ...]
 * await board.close();
 * ```
 */

import { type BrowserSession, openBrowser } from "../tests/_support/browser.ts";

/** How long the board may take to show its first rows after logging in. */
const LOAD_TIMEOUT_MS = 30_000;

/**
 * Runs in the page: observes the board's section and pushes `[time, key]` to
 * `window.__boardChanges` for each row added or removed and each change of a
 * row's state cell (the duration cells tick every second and are ignored).
 */
const OBSERVER = `(() => {
  const changes = [];
  const rows = new Map();
  const now = () => performance.timeOrigin + performance.now();
  const stateOf = (tr) => tr.cells[1]?.textContent ?? "";
  const section = document.querySelector("table.channels").closest("section");
  for (const tr of section.querySelectorAll("tr[data-channel]")) {
    rows.set(tr.dataset.channel, stateOf(tr));
  }
  new MutationObserver((records) => {
    const at = now();
    const touched = new Set();
    for (const record of records) {
      for (const node of [...record.addedNodes, ...record.removedNodes]) {
        if (node.nodeName === "TR" && node.dataset.channel) touched.add(node);
      }
      const element = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const tr = element?.closest("tr[data-channel]");
      if (tr) touched.add(tr);
    }
    for (const tr of touched) {
      const channel = tr.dataset.channel;
      if (!tr.isConnected) {
        if (rows.delete(channel)) changes.push([at, "remove " + channel]);
        continue;
      }
      const state = stateOf(tr);
      if (!rows.has(channel)) changes.push([at, "add " + channel]);
      if (rows.get(channel) !== state) changes.push([at, "state " + channel + " " + state]);
      rows.set(channel, state);
    }
  }).observe(section, { childList: true, subtree: true, characterData: true });
  window.__boardChanges = changes;
})()`;

/** Time the renderer's main thread spent so far, in ms (DevTools `Performance.getMetrics`). */
export interface MainThreadTime {
  /** All tasks. */
  taskMs: number;
  scriptMs: number;
  /** Style recalculation and layout. */
  layoutMs: number;
}

/** The board open in Chromium. */
export interface BoardPage {
  readonly session: BrowserSession;
  /** The rows the board shows now. */
  rows(): Promise<number>;
  /** The changes the page noted since the last call, oldest first. */
  takeChanges(): Promise<[number, string][]>;
  mainThread(): Promise<MainThreadTime>;
  /** Console errors and uncaught errors of the page since the board opened (not the login's 401). */
  errors(): string[];
  /** How many times the page asked for `GET /ami/channels` (once at load, then on each resync). */
  channelLoads(): number;
  close(): Promise<void>;
}

/** Opens the console at `url`, logs in with `token` (a supervisor's), waits for the board's rows. */
export async function openBoard(url: string, token: string): Promise<BoardPage> {
  const session = await openBrowser();
  try {
    const { page } = session;
    await page.goto(`${url}/#/board`);
    await page.fill("#token", token);
    const list = page.waitForResponse((r) => new URL(r.url()).pathname === "/ami/channels", {
      timeout: LOAD_TIMEOUT_MS,
    });
    await page.click("button[type=submit]");
    const { channels } = await (await list).json() as { channels: unknown[] };
    // The rows of the list, less those hung up since: drawn once the answer is applied.
    // A function, not a string: the console's policy forbids evaluating strings.
    await page.waitForFunction(
      (least) =>
        (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } })
          .document.querySelectorAll("tr[data-channel]").length >= least,
      channels.length / 2,
      { timeout: LOAD_TIMEOUT_MS },
    );
    await page.evaluate(OBSERVER);
    const [consoleErrors, pageErrors] = [session.consoleErrors.length, session.pageErrors.length];
    const cdp = await session.context.newCDPSession(page);
    await cdp.send("Performance.enable");
    return {
      session,
      rows: () => page.locator("tr[data-channel]").count(),
      takeChanges: () => page.evaluate("window.__boardChanges.splice(0)"),
      async mainThread() {
        const { metrics } = await cdp.send("Performance.getMetrics");
        const ms = (name: string) => 1000 * (metrics.find((m) => m.name === name)?.value ?? 0);
        return {
          taskMs: ms("TaskDuration"),
          scriptMs: ms("ScriptDuration"),
          layoutMs: ms("RecalcStyleDuration") + ms("LayoutDuration"),
        };
      },
      errors: () => [
        ...session.consoleErrors.slice(consoleErrors),
        ...session.pageErrors.slice(pageErrors),
      ],
      channelLoads: () =>
        session.requests.filter((r) => new URL(r.url).pathname === "/ami/channels").length,
      close: () => session.close(),
    };
  } catch (error) {
    await session.close();
    throw error;
  }
}
