/// <reference lib="dom" />
/**
 * The web console in headless Chromium against an in-process proxy and
 * mock-ami, for what the binary's end-to-end test cannot arrange: a listen
 * whose call has ended meanwhile (the page's event stream held back so the
 * board still shows it) says so in words and sends nothing to the PBX; and
 * every control of every view is labelled and reachable by keyboard.
 */

import type { Page } from "playwright-core";
import { assert, assertEquals } from "../_support/assert.ts";
import { browserTest, openBrowser } from "../_support/browser.ts";
import { startTestProxy } from "../_support/proxy.ts";
import { waitFor } from "../_support/wait.ts";

/** Logs the page in with `token` through the login form. */
async function logIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel("Paste your token").fill(token);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

/** The controls of the page that have no accessible name (by label, aria-label or text). */
function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>("button, a[href], input, select, textarea")]
      .filter((control) => {
        const labels = (control as HTMLInputElement).labels;
        const named = control.getAttribute("aria-label") || control.textContent?.trim() ||
          (labels && labels.length > 0);
        return !named;
      })
      .map((control) => control.outerHTML.slice(0, 80))
  );
}

browserTest(
  "console: a listen to a call that ended meanwhile says so, nothing dialed",
  async () => {
    await using px = await startTestProxy();
    await using browser = await openBrowser();
    const { page } = browser;
    // The page never hears of the hangup: its stream is held back.
    await page.route("**/ami/events", (route) => route.abort("connectionrefused"));
    await logIn(page, px.url, px.tokens.supervisor);
    const target = await px.liveChannel();
    const row = page.locator(`tr[data-channel="${target}"]`);
    await row.waitFor();

    const channel = px.mock.pbx.findChannel(target);
    assert(channel, `${target} is on the simulated PBX`);
    px.mock.pbx.hangup(channel, 16);
    await waitFor(() => px.mock.pbx.findChannel(target) === undefined, "the hangup");

    const from = px.actionsSince(0).length;
    await page.getByRole("button", { name: `Listen to ${target}` }).click();
    await page.getByRole("alert").filter({
      hasText: "That call does not exist or has already ended.",
    })
      .waitFor();
    const sent = px.actionsSince(from);
    assert(!sent.includes("Originate"), `nothing dialed: ${sent.join(", ")}`);
    await browser.screenshot("console-listen-gone");
    browser.assertLoopbackOnly();
    assertEquals(browser.pageErrors, []);
  },
);

browserTest("console: every control of every view is labelled and reachable by Tab", async () => {
  await using px = await startTestProxy({ recordings: "folder" });
  await using browser = await openBrowser();
  const { page } = browser;
  await page.goto(`${px.url}/`);
  assertEquals(await unlabelled(page), [], "the login view");
  await logIn(page, px.url, px.tokens.admin);

  for (
    const [view, heading] of [
      ["board", "Live calls"],
      ["recordings", "Recordings"],
      ["audit", "Audit"],
      ["health", "Health"],
    ]
  ) {
    await page.getByRole("link", { name: heading, exact: true }).click();
    await page.getByRole("heading", { name: heading, level: 2 }).waitFor();
    await page.waitForLoadState("networkidle").catch(() => {});
    assertEquals(await unlabelled(page), [], `the ${view} view`);
  }

  // Tab from the top reaches the skip link first, then the language switch, then every nav link.
  await page.goto(`${px.url}/#/health`);
  await page.reload();
  await page.getByRole("heading", { name: "Health", level: 2 }).waitFor();
  await page.keyboard.press("Tab");
  assertEquals(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  const reached: string[] = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""));
  }
  for (const name of ["Live calls", "Recordings", "Audit", "Health", "Log out", "Refresh"]) {
    assert(reached.includes(name), `${name} is reached by Tab: ${reached.join(" | ")}`);
  }
  // The focused control shows it: an outline under :focus-visible.
  const outline = await page.evaluate(() =>
    getComputedStyle(document.activeElement as Element).outlineStyle
  );
  assert(outline !== "none", `the focus is visible (outline ${outline})`);
  browser.assertLoopbackOnly();
  assertEquals(browser.pageErrors, []);
});
