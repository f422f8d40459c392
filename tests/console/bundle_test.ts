/**
 * The committed console bundle (src/proxy/console/console.js and
 * console.css, built by console/build.ts): small enough gzipped, and nothing
 * the console's CSP refuses or that would leave the proxy's origin (no
 * `eval`, no CDN fonts or scripts).
 */

import { gzipSync } from "node:zlib";
import { assert, assertEquals } from "../_support/assert.ts";

const DIR = new URL("../../src/proxy/console/", import.meta.url);
const JS = Deno.readTextFileSync(new URL("console.js", DIR));
const CSS = Deno.readTextFileSync(new URL("console.css", DIR));

/** The limit on the console's JS and CSS, gzipped. */
const MAX_GZIPPED_BYTES = 150 * 1024;

/** URLs a page may name without fetching them: the DOM's namespaces (Preact creates SVG and MathML). */
const NAMESPACES = new Set([
  "http://www.w3.org/1999/xhtml",
  "http://www.w3.org/2000/svg",
  "http://www.w3.org/1998/Math/MathML",
]);

const urls = (text: string) => [...text.matchAll(/https?:\/\/[^\s"'`)<>]+/gi)].map((m) => m[0]);

Deno.test("console bundle is under 150 KB gzipped", () => {
  const bytes = gzipSync(JS).byteLength + gzipSync(CSS).byteLength;
  assert(
    bytes < MAX_GZIPPED_BYTES,
    `console.js + console.css gzipped: ${(bytes / 1024).toFixed(1)} KB (limit 150 KB)`,
  );
  assert(JS.length > 10_000 && CSS.length > 500, "the bundle looks empty");
});

Deno.test("console.js has no eval or new Function, which the CSP forbids", () => {
  assertEquals(JS.match(/\beval\s*\(|\bnew\s+Function\s*\(|\bFunction\s*\(\s*["'`]/g), null);
});

Deno.test("console bundle names no URL but the DOM's namespaces", () => {
  for (const [name, text] of [["console.js", JS], ["console.css", CSS]]) {
    const found = urls(text);
    assertEquals(found.filter((url) => !NAMESPACES.has(url)), [], `${name} names a URL`);
    assert(!/\/\/[\w.-]*(googleapis|gstatic|unpkg|jsdelivr|cdnjs)\b/i.test(text), `${name} CDN`);
  }
  assertEquals(CSS.match(/@import|url\(\s*["']?(https?:)?\/\//gi), null, "console.css fetches");
});
