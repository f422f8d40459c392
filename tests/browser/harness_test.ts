/**
 * The browser harness itself (tests/_support/browser.ts): a page served on
 * 127.0.0.1 renders with its script, its requests are recorded, a request
 * for TEST-NET-1 (192.0.2.1) is aborted by the route guard and reported, the
 * page's console and uncaught errors are collected, and a screenshot is
 * written.
 */

import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import { browserTest, openBrowser } from "../_support/browser.ts";
import { waitFor } from "../_support/wait.ts";

const OUTSIDE = "http://192.0.2.1/x";

const PAGES: Record<string, [type: string, body: string]> = {
  "/": ["text/html", `<!doctype html><title>harness</title><body><script src="/app.js"></script>`],
  "/app.js": [
    "text/javascript",
    [
      `document.body.insertAdjacentHTML("beforeend", "<p id=rendered>Rendered by app.js</p>");`,
      `fetch(${JSON.stringify(OUTSIDE)}).then(`,
      `  () => document.body.dataset.outside = "reached",`,
      `  () => document.body.dataset.outside = "failed",`,
      `);`,
    ].join("\n"),
  ],
  "/noisy": [
    "text/html",
    [
      `<!doctype html><title>noisy</title><p>noisy</p>`,
      `<script>console.error("deliberate console error");</script>`,
      `<script>throw new Error("deliberate page error");</script>`,
    ].join("\n"),
  ],
};

/** Serves {@linkcode PAGES} on 127.0.0.1 and records the paths asked for. */
function servePages() {
  const served: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    served.push(path);
    const page = PAGES[path];
    if (!page) return new Response("not found", { status: 404 });
    return new Response(page[1], { headers: { "content-type": page[0] } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    served,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

browserTest(
  "openBrowser renders a loopback page, records its requests and blocks the outside one",
  async () => {
    await using site = servePages();
    await using browser = await openBrowser();
    const { page } = browser;

    await page.goto(`${site.url}/`);
    assertEquals(await page.locator("#rendered").textContent(), "Rendered by app.js");
    await page.locator("body[data-outside=failed]").waitFor();

    const outside = browser.requests.find((r) => r.url === OUTSIDE);
    assert(outside, "the outside request is recorded");
    await waitFor(() => outside.failure !== undefined, "the outside request's failure");
    assertMatch(outside.failure!, /^net::ERR_BLOCKED_BY_CLIENT/);
    assertEquals({ ...outside, failure: undefined }, {
      url: OUTSIDE,
      method: "GET",
      resourceType: "fetch",
      failure: undefined,
      blocked: true,
    });
    assertEquals(browser.blocked, [
      { url: OUTSIDE, method: "GET", resourceType: "fetch", blocked: true },
    ]);
    assertThrows(() => browser.assertLoopbackOnly(), Error, `GET ${OUTSIDE} (fetch)`);

    const loopback = browser.requests.filter((r) => !r.blocked);
    for (const [path, resourceType] of [["/", "document"], ["/app.js", "script"]]) {
      const request = loopback.find((r) => r.url === `${site.url}${path}`);
      assertEquals(request?.resourceType, resourceType, path);
      assertEquals(request?.status, 200, path);
    }
    const served = site.served.filter((path) => path !== "/favicon.ico"); // the browser's own
    assertEquals(loopback.length, served.length, "each loopback request reached the server");
    assert(!site.served.includes("/x"));
    assertEquals(browser.pageErrors, []);
    // The only console error the page may have: Chromium's line for the blocked fetch.
    for (const error of browser.consoleErrors) assertMatch(error, /ERR_BLOCKED_BY_CLIENT/);

    const shot = await browser.screenshot("harness-loopback-page");
    const png = await Deno.readFile(shot);
    assertEquals([...png.subarray(1, 4)], [..."PNG"].map((c) => c.charCodeAt(0)));
  },
);

browserTest("openBrowser collects a page's console errors and uncaught errors", async () => {
  await using site = servePages();
  await using browser = await openBrowser();

  await browser.page.goto(`${site.url}/noisy`);
  await waitFor(
    () => browser.consoleErrors.length > 0 && browser.pageErrors.length > 0,
    "the console error and the page error",
  );
  assertEquals(browser.consoleErrors, ["deliberate console error"]);
  assertEquals(browser.pageErrors, ["deliberate page error"]);
  browser.assertLoopbackOnly();
});
