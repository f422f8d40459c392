/**
 * The `/docs` page in headless Chromium, held to loopback: Swagger UI renders
 * every operation of the proxy's OpenAPI document from files the proxy serves
 * itself (no request leaves the proxy's origin), under the page's strict
 * Content-Security-Policy with no violation, console error or page error; then
 * a supervisor's token pasted into Authorize lets "Try it out" call
 * `GET /ami/channels` and show the live channels it answered.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { browserTest, openBrowser } from "../_support/browser.ts";
import { startTestProxy } from "../_support/proxy.ts";
import { openApiDocument } from "../../src/proxy/api/openapi.ts";
import { DOCS_CSP } from "../../src/proxy/api/docs_ui.ts";

/** The methods of every operation of the document (HEAD too: Swagger UI shows it as a block). */
function operationMethods(): string[] {
  return Object.values(openApiDocument().paths).flatMap((methods) => Object.keys(methods));
}

browserTest(
  "docsRoutes renders every operation in Chromium offline and tries GET /ami/channels",
  async () => {
    await using px = await startTestProxy();
    await using browser = await openBrowser();
    const { page } = browser;
    // Collected in the page, before any of its scripts runs: what the policy refused.
    await page.addInitScript({
      content: `globalThis.cspViolations = [];
      document.addEventListener("securitypolicyviolation", (event) => cspViolations.push(
        event.effectiveDirective + " " + event.blockedURI + " " + event.sample));`,
    });

    const response = await page.goto(`${px.url}/docs`);
    assertEquals(response?.status(), 200);
    assertEquals(response?.headers()["content-security-policy"], DOCS_CSP);
    assertEquals(await page.title(), "astrix proxy API");

    const methods = operationMethods();
    await page.locator(".opblock").nth(methods.length - 1).waitFor();
    assertEquals(await page.locator(".opblock").count(), methods.length);
    for (const method of new Set(methods)) {
      const count = methods.filter((m) => m === method).length;
      assertEquals(await page.locator(`.opblock-${method}`).count(), count, method);
    }
    await page.locator(".info .title", { hasText: "astrix proxy" }).waitFor();
    await browser.screenshot("docs");

    // Authorize with the supervisor's token.
    await page.locator(".auth-wrapper button.authorize").click();
    const modal = page.locator(".modal-ux");
    // The bearer scheme's form (the console's session cookie is the other scheme).
    const bearer = modal.locator(".auth-container", { hasText: "bearer (http, Bearer)" });
    await bearer.locator("input").fill(px.tokens.supervisor);
    await bearer.locator("button.authorize").click();
    await bearer.locator("button.btn-done").click();
    await modal.waitFor({ state: "detached" });
    assertMatch(
      (await page.locator(".auth-wrapper button.authorize").getAttribute("class"))!,
      /\blocked\b/,
    );

    // GET /ami/channels: open it, (already) try it out, execute.
    const channels = page.locator(".opblock-get", {
      has: page.locator(".opblock-summary-path", { hasText: /^\/ami\/channels$/ }),
    });
    await channels.locator(".opblock-summary-control").click();
    const tryItOut = channels.locator("button.try-out__btn");
    assertEquals(
      await tryItOut.textContent(),
      "Cancel",
      "tryItOutEnabled opens it ready to execute",
    );
    await channels.locator("button.execute").click();
    const live = channels.locator(".live-responses-table");
    await live.locator(".response-col_status", { hasText: "200" }).waitFor();
    const shown = JSON.parse(
      await live.locator(".response-col_description pre").first().innerText(),
    );

    const expected = await px.request("GET", "/ami/channels", { role: "supervisor" });
    assertEquals(expected.status, 200);
    assert(expected.body.channels.length > 0, "mock-ami has live channels");
    // The live calls (their durations tick between the two asks), not the document's example.
    const names = (list: { channels: { channel: string; uniqueId: string }[] }) =>
      list.channels.map((c) => `${c.channel} ${c.uniqueId}`);
    assertEquals(
      names(shown),
      names(expected.body),
      "the live channel list, as the API answers it",
    );
    await browser.screenshot("docs-try-it");

    // More of Swagger UI under the policy: a schema, expanded. (Not a POST's try-it-out form:
    // Chromium asks content-autofill.googleapis.com about it, which the harness does not switch off.)
    const schema = page.locator("section.models article", {
      has: page.locator(".json-schema-2020-12__title", { hasText: /^ListenRequest$/ }),
    });
    await schema.locator(".json-schema-2020-12-expand-deep-button").click();
    await schema.locator(".json-schema-2020-12-property").first().waitFor();

    // Nothing but the proxy: the page, its three assets, the document and the tried call.
    browser.assertLoopbackOnly();
    const paths = browser.requests.map((r) => {
      assert(r.url.startsWith(`${px.url}/`), `${r.method} ${r.url} is not the proxy`);
      return `${r.method} ${new URL(r.url).pathname} ${r.status}`;
    });
    assertEquals(paths, [
      "GET /docs 200",
      "GET /docs/assets/swagger-ui.css 200",
      "GET /docs/assets/swagger-ui-bundle.js 200",
      "GET /docs/assets/init.js 200",
      "GET /openapi.json 200",
      "GET /ami/channels 200",
    ]);
    assertEquals(
      await page.evaluate(() => (globalThis as { cspViolations?: string[] }).cspViolations),
      [],
    );
    assertEquals(browser.consoleErrors, []);
    assertEquals(browser.pageErrors, []);
  },
);
