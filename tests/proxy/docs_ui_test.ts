/**
 * `/docs` over real HTTP on a test proxy, without a token: the page has a
 * strict Content-Security-Policy and no inline script, every file it links is
 * served by the proxy itself with its type and cache headers, a browser's
 * cached copy is answered 304, and an unknown asset is a JSON 404.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { startTestProxy } from "../_support/proxy.ts";
import { DOCS_CSP } from "../../src/proxy/api/docs_ui.ts";

const SECURITY_HEADERS = {
  "content-security-policy": DOCS_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** The URLs of the page's `<script src>` and `<link href>`, resolved against `base`. */
function linkedUrls(html: string, base: string): { url: URL; rel: string }[] {
  return [...html.matchAll(/<(script|link)\b([^>]*)>/g)].map(([, tag, attributes]) => {
    const value = attributes.match(/\b(?:src|href)="([^"]*)"/)?.[1] ?? "";
    const rel = tag === "script" ? "script" : attributes.match(/\brel="([^"]*)"/)?.[1] ?? "";
    return { url: new URL(value, base), rel };
  });
}

function headersOf(headers: Headers, names: string[]): Record<string, string | null> {
  return Object.fromEntries(names.map((name) => [name, headers.get(name)]));
}

Deno.test("docsRoutes serves Swagger UI and its assets from the proxy, without a token", async (t) => {
  await using px = await startTestProxy();
  const pageUrl = `${px.url}/docs`;
  const page = await px.request("GET", "/docs", { token: null });

  await t.step("the page is HTML with a strict policy and no inline script", () => {
    assertEquals(page.status, 200);
    assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
    assertEquals(headersOf(page.headers, Object.keys(SECURITY_HEADERS)), SECURITY_HEADERS);
    assertEquals(page.headers.get("cache-control"), "no-cache");
    assertMatch(DOCS_CSP, /^default-src 'none'; script-src 'self'; style-src 'self';/);
    assertMatch(page.body, /<title>astrix proxy API<\/title>/);
    assertMatch(page.body, /<link rel="icon" href="data:,">/);
    const scripts = [...(page.body as string).matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assertEquals(scripts.length, 2);
    for (const [, attributes, body] of scripts) {
      assertMatch(attributes, /\bsrc="/);
      assertEquals(body.trim(), "", "no inline script body");
    }
    assert(!/\bon[a-z]+=/i.test(page.body), "no inline event handler");
    assert(!/<style\b|\bstyle=/i.test(page.body), "no inline style");
  });

  const links = linkedUrls(page.body, pageUrl);
  await t.step("every file the page links is a proxy asset with its type", async () => {
    const where = ({ url, rel }: { url: URL; rel: string }) => [
      url.protocol === "data:" ? url.href : url.pathname,
      rel,
    ];
    assertEquals(links.map(where), [
      ["data:,", "icon"],
      ["/docs/assets/swagger-ui.css", "stylesheet"],
      ["/docs/assets/swagger-ui-bundle.js", "script"],
      ["/docs/assets/init.js", "script"],
    ]);
    for (const { url } of links.slice(1)) {
      assertEquals(url.origin, px.url, url.href);
      const asset = await px.request("GET", url.pathname, { token: null });
      const type = url.pathname.endsWith(".css") ? "text/css" : "text/javascript";
      assertEquals(asset.status, 200, url.pathname);
      assertEquals(asset.headers.get("content-type"), `${type}; charset=utf-8`, url.pathname);
      assertEquals(headersOf(asset.headers, Object.keys(SECURITY_HEADERS)), SECURITY_HEADERS);
      assertEquals(asset.headers.get("cache-control"), "public, max-age=86400", url.pathname);
      assertMatch(asset.headers.get("etag")!, /^"[A-Za-z0-9_-]{22}"$/, url.pathname);
      assert(asset.body.length > 0, url.pathname);
    }
  });

  await t.step(
    "the init script loads the contract next to /docs, without the validator",
    async () => {
      const init = await px.request("GET", "/docs/assets/init.js", { token: null });
      assertMatch(
        init.body,
        /new URL\("\.\.\/\.\.\/openapi\.json", document\.currentScript\.src\)/,
      );
      assertEquals(
        new URL("../../openapi.json", `${px.url}/docs/assets/init.js`).pathname,
        "/openapi.json",
      );
      assertMatch(init.body, /validatorUrl: null/);
      assertMatch(init.body, /tryItOutEnabled: true/);
      assertMatch(init.body, /persistAuthorization: false/);
      const document = await px.request("GET", "/openapi.json", { token: null });
      assertEquals(document.status, 200);
      assert("/docs" in document.body.paths);
    },
  );

  await t.step("a cached asset is answered 304 when If-None-Match names its ETag", async () => {
    const first = await px.request("GET", "/docs/assets/swagger-ui.css", { token: null });
    const etag = first.headers.get("etag")!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`, "*"]) {
      const again = await px.request("GET", "/docs/assets/swagger-ui.css", {
        token: null,
        headers: { "if-none-match": ifNoneMatch },
      });
      assertEquals(again.status, 304, ifNoneMatch);
      assertEquals(again.body, "");
      assertEquals(again.headers.get("etag"), etag);
      assertEquals(again.headers.get("cache-control"), "public, max-age=86400");
    }
    const stale = await px.request("GET", "/docs/assets/swagger-ui.css", {
      token: null,
      headers: { "if-none-match": `"stale"` },
    });
    assertEquals(stale.status, 200);
    const others = await Promise.all(
      ["/docs/assets/init.js", "/docs/assets/swagger-ui-bundle.js", "/docs"].map(async (path) =>
        (await px.request("GET", path, { token: null })).headers.get("etag")
      ),
    );
    assertEquals(new Set([etag, ...others]).size, 4, "each file has its own ETag");
  });

  await t.step("an unknown asset is a JSON 404 not_found", async () => {
    for (const path of ["/docs/assets/nope.js", "/docs/assets/swagger-ui.js.map"]) {
      const answer = await px.request("GET", path, { token: null });
      assertEquals(answer.status, 404, path);
      assertMatch(answer.headers.get("content-type")!, /^application\/json/);
      assertEquals(answer.body.error.code, "not_found", path);
      assertEquals(answer.body.error.message, "No such docs asset", path);
    }
  });
});
