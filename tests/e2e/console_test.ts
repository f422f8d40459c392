/// <reference lib="dom" />
/**
 * The web console end to end, as its users meet it: the compiled binary's
 * `astrix dev` (calls churning), and Debian's Chromium held to loopback. Each
 * role logs in by the link the banner printed (a user by pasting a token);
 * the supervisor sees a new call appear without a reload, listens to it
 * (the job goes active on ChanSpyStart) and hangs up; the admin finds those
 * rows in the audit browser, verifies the chain and reads the health panel;
 * QA plays a recording in the page (206 answers) and plays one to the phone,
 * pausing, resuming and stopping it with buttons that follow the job's
 * state; a user sees only their own recordings and no board, and after
 * logout the old cookie is refused; a cookie request without the CSRF
 * header is refused; the page in Persian is right to left with Persian
 * digits and Persian-calendar dates. No request leaves loopback, no policy
 * violation, no console error but the refusals the test provokes.
 * Screenshots of each view go to `$ASTRIX_SCREENSHOTS`.
 *
 * Runs when ASTRIX_BINARY names the binary (see tests/_support/binary.ts).
 */

import type { Page } from "playwright-core";
import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { NO_BINARY, startDev } from "../_support/binary.ts";
import { BROWSER_TESTS_OFF, type BrowserSession, openBrowser } from "../_support/browser.ts";
import { contractFetch } from "../_support/contract.ts";
import { waitFor } from "../_support/wait.ts";
import { CONSOLE_CSP } from "../../src/proxy/console/ui.ts";

const fetch = contractFetch;

/** Chromium's words for an answer the page asked for and was refused. */
const refused = (status: number, text: string) =>
  `Failed to load resource: the server responded with a status of ${status} (${text})`;

/** A browser with the policy's violations collected in the page, before any of its scripts. */
async function consoleBrowser(): Promise<BrowserSession> {
  const browser = await openBrowser();
  await browser.page.addInitScript({
    content: `globalThis.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => cspViolations.push(
      event.effectiveDirective + " " + event.blockedURI));`,
  });
  return browser;
}

/** Opens `url` (a login link, or the console) and checks the page's policy header. */
async function open(browser: BrowserSession, url: string): Promise<void> {
  const response = await browser.page.goto(url);
  assertEquals(response?.status(), 200);
  assertEquals(response?.headers()["content-security-policy"], CONSOLE_CSP);
}

/** Nothing left loopback, the policy refused nothing, no error but those expected. */
async function assertClean(browser: BrowserSession, expectedErrors: string[] = []) {
  browser.assertLoopbackOnly();
  assertEquals(
    await browser.page.evaluate(() => (globalThis as { cspViolations?: string[] }).cspViolations),
    [],
  );
  assertEquals(browser.consoleErrors, expectedErrors);
  assertEquals(browser.pageErrors, []);
}

/** The job row of the panel, once it has `status`. */
async function jobInState(page: Page, status: string, id?: string): Promise<string> {
  const selector = id ? `li[data-job="${id}"][data-status="${status}"]` : `li[data-status]`;
  const row = page.locator(selector).first();
  await row.waitFor({ timeout: 15_000 });
  if (!id) await page.locator(`li[data-job][data-status="${status}"]`).first().waitFor();
  return (await page.locator(`li[data-job][data-status="${status}"]`).first().getAttribute(
    "data-job",
  ))!;
}

/** A recording, as far as the test reads it. */
type Long = { id: string; durationMs: number | null };

/** The names of the channels the board shows. */
function boardChannels(page: Page): Promise<string[]> {
  return page.locator("tr[data-channel]").evaluateAll((rows) =>
    rows.map((row) => (row as HTMLElement).dataset.channel!)
  );
}

Deno.test({
  name: "console (binary): each role by its dev link; listen to a new call, hang up, audit it; " +
    "QA plays and steers a playback; a user sees their own; logout, CSRF, Persian",
  ignore: NO_BINARY || BROWSER_TESTS_OFF,
  async fn(t) {
    const cwd = await Deno.makeTempDir({ prefix: "astrix-console-e2e-" });
    const dev = await startDev(cwd, { args: ["--churn", "0.5"] });
    const api = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${dev.proxy}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, ...init.headers },
      });
    let listened: { job: string; channel: string } | undefined;
    try {
      assertEquals(
        Object.keys(dev.loginLinks).sort(),
        ["admin", "qa", "supervisor", "user"],
        dev.banner,
      );
      assertMatch(dev.banner, new RegExp(`console +${dev.proxy}/ `));

      await t.step(
        "supervisor: a new call appears without reload; Listen, active, Hang up",
        async () => {
          await using browser = await consoleBrowser();
          const { page } = browser;
          await open(browser, dev.loginLinks.supervisor);
          assertEquals(page.url(), `${dev.proxy}/`);
          await page.getByRole("heading", { name: "Live calls" }).waitFor();
          await page.locator("tr[data-channel]").first().waitFor();
          // Loaded when the board opened, and again when its stream did.
          const channelLoads = () =>
            browser.requests.filter((r) => new URL(r.url).pathname === "/ami/channels").length;
          await page.locator(".dot.live").waitFor();
          await waitFor(() => channelLoads() === 2, "the board's two loads", 15_000);
          const loadsAtStart = channelLoads();
          const before = await boardChannels(page);

          // Churn adds a call; the stream brings it to the board, answered.
          const fresh = await page.waitForFunction(
            (known: string[]) => {
              const rows = [...document.querySelectorAll<HTMLElement>("tr[data-channel]")];
              const row = rows.find((r) =>
                !known.includes(r.dataset.channel!) && r.children[1].textContent === "Up"
              );
              return row?.dataset.channel;
            },
            before,
            { timeout: 30_000 },
          );
          const channel = (await fresh.jsonValue()) as string;
          await browser.screenshot("console-board");

          await page.getByRole("button", { name: `Listen to ${channel}` }).click();
          const job = await jobInState(page, "active");
          const read = await api(dev.tokens.supervisor, `/ami/jobs/${job}`);
          const { job: live } = await read.json();
          assertEquals([live.status, live.target, live.kind], ["active", channel, "listen"]);
          assert(
            live.timeline.some((e: { note: string }) => /listening to/.test(e.note)),
            JSON.stringify(live.timeline),
          );
          await browser.screenshot("console-listening");
          // The board loaded the channels when it opened (and when its stream did) and then
          // followed the stream: no polling while the new call came and the listen ran.
          assertEquals(channelLoads(), loadsAtStart, "GET /ami/channels while the board was open");

          // A reload keeps the job in the panel (GET /ami/jobs), live.
          await page.reload();
          await jobInState(page, "active", job);

          await page.getByRole("button", { name: `Hang up job ${job}` }).click();
          await jobInState(page, "ended", job);
          const ended = await (await api(dev.tokens.supervisor, `/ami/jobs/${job}`)).json();
          assertEquals(ended.job.status, "ended");
          listened = { job, channel };

          // A state-changing request by the cookie without X-Astrix-CSRF is refused, nothing done.
          const forged = await page.evaluate(async (target) => {
            const answer = await fetch("/ami/originate/listen", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ targetChannel: target }),
            });
            return { status: answer.status, body: await answer.json() };
          }, channel);
          assertEquals([forged.status, forged.body.error.code], [403, "csrf_required"]);

          await assertClean(browser, [refused(403, "Forbidden")]);
        },
      );

      await t.step(
        "admin: the audit browser shows the listen and the hangup; verify; health",
        async () => {
          assert(listened, "the supervisor's step ran");
          await using browser = await consoleBrowser();
          const { page } = browser;
          await open(browser, dev.loginLinks.admin);
          await page.getByRole("link", { name: "Audit" }).click();
          await page.getByRole("heading", { name: "Audit" }).waitFor();
          const rowOf = (action: string) =>
            page.locator("tr[data-audit-row]", { hasText: listened!.job }).filter({
              has: page.locator("td:nth-child(4)", { hasText: new RegExp(`^${action}$`) }),
            });
          for (const action of ["listen", "hangup"]) {
            await rowOf(action).first().waitFor();
            assertMatch(await rowOf(action).first().innerText(), /dev-supervisor\s+supervisor/);
          }
          await browser.screenshot("console-audit");

          await page.getByRole("button", { name: "Verify the chain" }).click();
          const verdict = page.getByTestId("verify-result");
          await verdict.locator("p.ok").waitFor();
          const [, headId, headHash] = (await verdict.innerText()).match(
            /row (\d+), ([0-9a-f]{16})/,
          )!;
          const recent = await (await api(dev.tokens.admin, "/audit?limit=20")).json();
          const head = recent.rows.find((row: { id: number }) => row.id === Number(headId));
          assertEquals(head.hash.slice(0, 16), headHash, "the head shown is the row's own hash");

          // The CSV export, by the cookie: a download of the same rows.
          const csv = await page.evaluate(async () => {
            const link = document.querySelector<HTMLAnchorElement>("a[download]")!;
            const answer = await fetch(link.href);
            return {
              status: answer.status,
              type: answer.headers.get("content-type"),
              text: await answer.text(),
            };
          });
          assertEquals([csv.status, csv.type], [200, "text/csv; charset=utf-8"]);
          assertMatch(
            csv.text,
            new RegExp(`,listen,${listened.channel.replace(/[-/]/g, "\\$&")},`),
          );

          await page.getByRole("link", { name: "Health" }).click();
          await page.locator('[data-health="ami"]', { hasText: "yes" }).waitFor();
          assertEquals(await page.locator('[data-health="audit"]').innerText(), "yes");
          await browser.screenshot("console-health");
          await assertClean(browser);
        },
      );

      await t.step("qa: the player streams (206); play to phone, pause, resume, stop", async () => {
        await using browser = await consoleBrowser();
        const { page } = browser;
        await open(browser, dev.loginLinks.qa);
        await page.getByRole("heading", { name: "Recordings" }).waitFor();
        assertEquals(await page.getByRole("link", { name: "Live calls" }).count(), 0);
        const first = page.locator("tr[data-recording]").first();
        await first.waitFor();
        const id = (await first.getAttribute("data-recording"))!;

        await page.getByRole("button", { name: `Play recording ${id} here` }).click();
        await waitFor(
          () =>
            browser.requests.some((r) =>
              r.url === `${dev.proxy}/recordings/${encodeURIComponent(id)}/stream` &&
              r.status === 206
            ),
          "the player's ranged answer",
          15_000,
        );
        await browser.screenshot("console-recordings");

        // The longest recording: its playback outlasts the clicks.
        const page1 = await (await api(dev.tokens.qa, "/recordings?limit=100")).json();
        const longest = page1.recordings.reduce((a: Long, b: Long) =>
          (b.durationMs ?? 0) > (a.durationMs ?? 0) ? b : a
        );
        assert(longest.durationMs >= 30_000, `${longest.durationMs} ms is too short to steer`);
        await page.getByRole("button", { name: `Play recording ${longest.id} to my phone` })
          .click();
        const job = await jobInState(page, "active");
        const controls = page.locator(`li[data-job="${job}"]`);
        const enabled = async () => {
          const buttons = controls.locator("button[data-control]");
          const names = [];
          for (const button of await buttons.all()) {
            if (await button.isEnabled()) names.push(await button.getAttribute("data-control"));
          }
          return names;
        };
        assertEquals(await enabled(), ["pause", "forward", "reverse", "restart", "stop"]);
        await controls.locator('button[data-control="pause"]').click();
        await jobInState(page, "paused", job);
        assertEquals(await enabled(), ["resume", "stop"]);
        await browser.screenshot("console-playback-paused");
        await controls.locator('button[data-control="resume"]').click();
        await jobInState(page, "active", job);
        await controls.locator('button[data-control="stop"]').click();
        await jobInState(page, "ended", job);
        assertEquals(await enabled(), []);
        const steered = await (await api(dev.tokens.qa, `/ami/jobs/${job}`)).json();
        assertEquals(steered.job.status, "ended");
        await assertClean(browser);
      });

      await t.step(
        "user: pastes a token, sees only their own recordings; logout ends the session",
        async () => {
          await using browser = await consoleBrowser();
          const { page } = browser;
          await open(browser, `${dev.proxy}/`);
          await page.getByLabel("Paste your token").fill(dev.tokens.user);
          await page.getByRole("button", { name: "Log in" }).click();
          await page.getByRole("heading", { name: "Recordings" }).waitFor();
          assertEquals(await page.getByRole("link", { name: "Live calls" }).count(), 0);
          await page.locator("tr[data-recording]").first().waitFor();
          const parties = await page.locator("tr[data-recording] td:nth-child(2)").allInnerTexts();
          assert(parties.length > 0);
          for (const pair of parties) assertMatch(pair, /(^205 →)|(→ 205$)/);
          const own = await (await api(dev.tokens.user, "/recordings?limit=100")).json();
          assertEquals(parties.length, Math.min(own.recordings.length, 25));
          await browser.screenshot("console-user");

          const [cookie] = await browser.context.cookies();
          assertEquals(cookie.name, "astrix_session");
          assertEquals([cookie.httpOnly, cookie.sameSite], [true, "Strict"]);
          await page.getByRole("button", { name: "Log out" }).click();
          await page.getByRole("heading", { name: "Log in" }).waitFor();
          assertEquals(await browser.context.cookies(), []);
          const after = await fetch(`${dev.proxy}/recordings`, {
            headers: { cookie: `astrix_session=${cookie.value}` },
          });
          assertEquals(after.status, 401);
          assertEquals((await after.json()).error.code, "session_expired");
          // Loaded logged out: the console asked for a session it did not have.
          await assertClean(browser, [refused(401, "Unauthorized")]);
        },
      );

      await t.step("Persian: right to left, Persian digits, Persian-calendar dates", async () => {
        await using browser = await consoleBrowser();
        const { page } = browser;
        await open(browser, `${dev.proxy}/`);
        await page.getByLabel("Language").selectOption("fa");
        await page.locator('html[dir="rtl"][lang="fa"]').waitFor({ state: "attached" });
        assertEquals(await page.title(), "کنسول astrix");
        await page.locator("#token").fill(dev.tokens.qa);
        await page.locator("form button[type=submit]").click();
        const time = page.locator("tr[data-recording] time").first();
        await time.waitFor();
        const startedAt = (await time.getAttribute("datetime"))!;
        const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
        const year = new Intl.DateTimeFormat("fa-IR-u-ca-persian", {
          year: "numeric",
          timeZone: zone,
        })
          .format(new Date(startedAt));
        const shown = await time.innerText();
        assert(shown.includes(year), `${shown} has not the Persian year ${year}`);
        assertMatch(shown, /^[^0-9]*$/, "Persian digits only");
        assertMatch(shown, /[۰-۹]/);
        await browser.screenshot("console-recordings-fa");
        await assertClean(browser, [refused(401, "Unauthorized")]);
      });
    } finally {
      const { code } = await dev.stop();
      assertEquals(code, 0);
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
