/**
 * A headless Chromium for tests (Debian's `/usr/bin/chromium` driven by
 * playwright-core), held to loopback: every request of the browser context
 * goes through a route guard that lets only http(s) to 127.0.0.1, [::1] or
 * localhost (and data:, blob:, about: URLs) through and aborts and records
 * any other before it is sent. Chromium's own traffic (updates, metrics, ...)
 * is switched off, and whatever is left of it goes to a loopback proxy that
 * records the target and answers 403, so nothing leaves the machine. The
 * session records every request (URL, method, resource type, status), the
 * console errors and page errors, and saves screenshots. Service workers are
 * blocked (their requests would bypass the guard). A blocked request also
 * shows in `consoleErrors`, as Chromium's "Failed to load resource:
 * net::ERR_BLOCKED_BY_CLIENT.Inspector".
 *
 * Chromium missing: `openBrowser` throws {@linkcode BrowserMissingError},
 * which says to install Debian's `chromium` (`apt-get install -y chromium`);
 * the test fails, it is not skipped. With `ASTRIX_BROWSER_TESTS=off` the
 * tests declared with {@linkcode browserTest} are ignored instead.
 *
 * Screenshots go to `screenshotDir`, else to `$ASTRIX_SCREENSHOTS` (CI sets
 * `.ci/out/screenshots`), else to a temporary folder removed by `close()`.
 *
 * Under Deno: playwright-core's bundled `is-wsl` calls `fs.existsSync` on
 * `/proc/sys/fs/binfmt_misc/WSLInterop` when it is imported, and Deno
 * answers that with `NotCapable` (files under /proc/sys need --allow-all)
 * where Node answers `false`. The import below gives `existsSync` Node's
 * answer for its duration; after that the project's test permissions are
 * enough (Chromium is driven over a pipe, no port is opened).
 *
 * @example
 * ```ts
 * browserTest("the docs page renders", async () => {
 *   await using browser = await openBrowser();
 *   await browser.page.goto(`${url}/docs`);
 *   await browser.page.getByText("astrix API").waitFor();
 *   await browser.screenshot("docs");
 *   browser.assertLoopbackOnly();
 *   assertEquals(browser.consoleErrors, []);
 * });
 * ```
 */

import fs from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, BrowserType, Page, Request } from "playwright-core";

/** Debian's Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** True when `ASTRIX_BROWSER_TESTS=off`: {@linkcode browserTest} tests are ignored. */
export const BROWSER_TESTS_OFF = Deno.env.get("ASTRIX_BROWSER_TESTS") === "off";

/**
 * Chromium's switches, after Playwright's (which already turn most background networking off).
 * No `--disable-features`: Chromium keeps only the last one, which would drop Playwright's list.
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-sync",
  "--no-first-run",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--no-pings",
  // Chromium 156 still asks update.googleapis.com for its on-device model manifest (component
  // ceofaddefefcbblgcgnibnonglccbfja) and accounts.google.com for the signed-in accounts: a local
  // manifest that does not exist, and a GAIA on the discard port, where nothing listens.
  "--optimization-guide-manifest-override=/dev/null/none",
  "--gaia-url=http://127.0.0.1:9/",
  // A form field would ask content-autofill.googleapis.com about itself: the discard port too.
  "--autofill-server-url=http://127.0.0.1:9/",
  // Names resolve to nothing but loopback: a request that slips past the guard finds no host.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
];

/** A request the browser made, filled in as it goes. */
export interface RecordedRequest {
  url: string;
  method: string;
  /** Playwright's resource type (`document`, `script`, `fetch`, ...); `browser` for Chromium's own. */
  resourceType: string;
  /** The response's status, once there is one. */
  status?: number;
  /** Why it failed (`net::ERR_BLOCKED_BY_CLIENT...` when the guard aborted it). */
  failure?: string;
  /** Aborted by the loopback guard, never sent. */
  blocked: boolean;
}

/** Options of {@linkcode openBrowser}. */
export interface BrowserOptions {
  /** Where {@linkcode BrowserSession.screenshot} writes; default as in the module doc. */
  screenshotDir?: string;
  /** The Chromium to run; default {@linkcode CHROMIUM}. */
  executablePath?: string;
}

/** A running browser with one page, and what it did. */
export interface BrowserSession extends AsyncDisposable {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request, in the order made (blocked ones included). */
  readonly requests: readonly RecordedRequest[];
  /** The requests the guard aborted, and Chromium's own that reached the loopback proxy. */
  readonly blocked: readonly RecordedRequest[];
  /** The text of each console message of type error. */
  readonly consoleErrors: readonly string[];
  /** The message of each uncaught error in a page. */
  readonly pageErrors: readonly string[];
  readonly screenshotDir: string;
  /** Throws, listing them, if any request was for something other than loopback. */
  assertLoopbackOnly(): void;
  /** Saves a full-page screenshot as `<screenshotDir>/<name>.png`; resolves with its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Chromium is not where the tests look for it. */
export class BrowserMissingError extends Error {
  constructor(path: string, options?: ErrorOptions) {
    super(
      `Chromium not found at "${path}": install Debian's chromium package ` +
        `("sudo apt-get install -y chromium"), or set ASTRIX_BROWSER_TESTS=off to ignore browser tests`,
      options,
    );
    this.name = "BrowserMissingError";
  }
}

/** Declares a test that needs the browser: ignored when {@linkcode BROWSER_TESTS_OFF}. */
export function browserTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({ name, ignore: BROWSER_TESTS_OFF, fn });
}

/** Whether the browser may load `url`: loopback over http(s), or data:, blob:, about:. */
export function isLoopbackUrl(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (["data:", "blob:", "about:"].includes(protocol)) return true;
  const web = ["http:", "https:", "ws:", "wss:"].includes(protocol);
  return web && ["127.0.0.1", "[::1]", "localhost"].includes(hostname);
}

let playwright: Promise<BrowserType> | undefined;

/** playwright-core's chromium, imported once with Node's `existsSync` (see the module doc). */
function loadChromium(): Promise<BrowserType> {
  return playwright ??= (async () => {
    const existsSync = fs.existsSync;
    fs.existsSync = (path) => {
      try {
        return existsSync(path);
      } catch {
        return false;
      }
    };
    try {
      return (await import("playwright-core")).chromium;
    } finally {
      fs.existsSync = existsSync;
    }
  })();
}

/** Launches Chromium with a fresh context and page, held to loopback. */
export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const executablePath = options.executablePath ?? CHROMIUM;
  try {
    await Deno.stat(executablePath);
  } catch (error) {
    throw new BrowserMissingError(executablePath, { cause: error });
  }
  const named = options.screenshotDir ?? Deno.env.get("ASTRIX_SCREENSHOTS");
  const screenshotDir = named ?? await Deno.makeTempDir({ prefix: "astrix-screenshots-" });
  await Deno.mkdir(screenshotDir, { recursive: true });

  const requests: RecordedRequest[] = [];
  const blocked: RecordedRequest[] = [];
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  const sink = startSinkProxy((method, url) => {
    const request = { url, method, resourceType: "browser", blocked: true };
    requests.push(request);
    blocked.push(request);
  });
  let browser: Browser | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await browser?.close();
      await sink.close();
      if (named === undefined) await Deno.remove(screenshotDir, { recursive: true });
    })();
  try {
    browser = await (await loadChromium()).launch({
      executablePath,
      headless: true,
      // Not Playwright's `proxy` option: that sends loopback through the proxy too.
      args: [...CHROMIUM_ARGS, `--proxy-server=http://127.0.0.1:${sink.port}`],
    });
    const context = await browser.newContext({ serviceWorkers: "block" });
    const records = new Map<Request, RecordedRequest>();
    context.on("request", (request) => {
      const record = {
        url: request.url(),
        method: request.method(),
        resourceType: request.resourceType(),
        blocked: !isLoopbackUrl(request.url()),
      };
      records.set(request, record);
      requests.push(record);
    });
    context.on("response", (response) => {
      const record = records.get(response.request());
      if (record) record.status = response.status();
    });
    context.on("requestfailed", (request) => {
      const record = records.get(request);
      if (record) record.failure = request.failure()?.errorText;
    });
    await context.route("**/*", async (route) => {
      const request = route.request();
      if (isLoopbackUrl(request.url())) return await route.fallback();
      blocked.push({
        url: request.url(),
        method: request.method(),
        resourceType: request.resourceType(),
        blocked: true,
      });
      await route.abort("blockedbyclient");
    });
    await context.routeWebSocket(/.*/, (socket) => {
      if (isLoopbackUrl(socket.url())) return socket.connectToServer();
      blocked.push({ url: socket.url(), method: "GET", resourceType: "websocket", blocked: true });
      socket.close({ code: 1008, reason: "Not loopback" });
    });
    context.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    context.on("weberror", (error) => pageErrors.push(error.error().message));
    const page = await context.newPage();
    return {
      browser,
      context,
      page,
      requests,
      blocked,
      consoleErrors,
      pageErrors,
      screenshotDir,
      assertLoopbackOnly() {
        if (blocked.length === 0) return;
        const list = blocked.map((r) => `${r.method} ${r.url} (${r.resourceType})`).join(", ");
        throw new Error(`The browser tried to leave loopback: ${list}`);
      },
      async screenshot(name) {
        const path = join(screenshotDir, `${name.replace(/[^A-Za-z0-9_.-]+/g, "_")}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The proxy Chromium is given: loopback stays direct (Chromium never proxies it), anything else
 * arrives here, is reported by its target and answered 403 without being forwarded.
 */
function startSinkProxy(onAttempt: (method: string, url: string) => void) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const answering = new Set<Promise<void>>();
  const refuse = async (conn: Deno.Conn) => {
    open.add(conn);
    try {
      const head = new Uint8Array(8 * 1024);
      const n = await conn.read(head);
      const [method, target = ""] = new TextDecoder().decode(head.subarray(0, n ?? 0)).split(" ");
      if (method) onAttempt(method, method === "CONNECT" ? `https://${target}` : target);
      const answer = "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
      await conn.write(new TextEncoder().encode(answer));
    } catch {
      // the browser went away first
    }
    if (open.delete(conn)) conn.close();
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const answer = refuse(conn);
        answering.add(answer);
        answer.then(() => answering.delete(answer));
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of open) conn.close();
      open.clear();
      await Promise.all(answering);
    },
  };
}
