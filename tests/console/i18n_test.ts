/**
 * The console's catalogs and formats: Persian says everything English says,
 * with the same placeholders, in Persian words, digits and calendar, right
 * to left; the language comes from localStorage, else the browser.
 *
 * The catalogs are not exported, so their keys are read from the source of
 * console/i18n.ts and checked against what `speaker().t()` answers for each.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import {
  initialLanguage,
  type Language,
  type MessageKey,
  speaker,
  storeLanguage,
} from "../../console/i18n.ts";

const SOURCE = Deno.readTextFileSync(new URL("../../console/i18n.ts", import.meta.url));

/** The catalog `const <name> ... = { ... };` of i18n.ts, read as JSON (its keys and values are double-quoted strings). */
function readCatalog(name: string): Record<MessageKey, string> {
  const start = SOURCE.search(new RegExp(`^const ${name}\\b[^=\\n]*= \\{$`, "m"));
  assert(start >= 0, `console/i18n.ts has no catalog "${name}"`);
  const open = SOURCE.indexOf("{", start);
  const close = SOURCE.indexOf("\n};", open);
  return JSON.parse(SOURCE.slice(open, close + 2).replace(/,\s*\}$/, "}"));
}

const CATALOGS: Record<Language, Record<MessageKey, string>> = {
  en: readCatalog("en"),
  fa: readCatalog("fa"),
};
const KEYS = Object.keys(CATALOGS.en) as MessageKey[];

const placeholders = (message: string) =>
  [...message.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

const PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
const persianDigits = (text: string) => text.replace(/\d/g, (d) => PERSIAN_DIGITS[Number(d)]);

Deno.test("catalogs read from the source are the ones speaker() uses", () => {
  assert(KEYS.length > 100, `read only ${KEYS.length} English messages`);
  for (const language of ["en", "fa"] as const) {
    const t = speaker(language).t;
    for (const key of KEYS) assertEquals(t(key), CATALOGS[language][key], `${language} ${key}`);
  }
});

Deno.test("catalogs: Persian has exactly the English keys", () => {
  assertEquals(Object.keys(CATALOGS.fa).sort(), [...KEYS].sort());
});

Deno.test("catalogs: each message has the same placeholders in both languages", () => {
  for (const key of KEYS) {
    assertEquals(placeholders(CATALOGS.fa[key]), placeholders(CATALOGS.en[key]), key);
  }
});

Deno.test("catalogs: no Persian message is empty or still English", () => {
  for (const key of KEYS) {
    const fa = CATALOGS.fa[key];
    assert(fa.trim() !== "", `${key} is empty in Persian`);
    // Placeholders and symbols alone ("{message}", "{action}: {channel}") need no words.
    if (!/\p{L}/u.test(fa.replace(/\{\w+\}/g, ""))) continue;
    assert(fa !== CATALOGS.en[key], `${key} is the English text: "${fa}"`);
    assert(/[\u0600-\u06FF]/.test(fa), `${key} has no Persian letter: "${fa}"`);
  }
});

Deno.test("speaker dir is rtl for Persian and ltr for English", () => {
  assertEquals([speaker("fa").language, speaker("fa").dir], ["fa", "rtl"]);
  assertEquals([speaker("en").language, speaker("en").dir], ["en", "ltr"]);
});

Deno.test("speaker number uses the language's digits", () => {
  assertEquals(speaker("en").number(1234567), "1,234,567");
  const fa = speaker("fa").number(1234567);
  assertEquals(fa, new Intl.NumberFormat("fa-IR").format(1234567));
  assert(/^[۰-۹]+(٬[۰-۹]{3})*$/.test(fa), `not Persian digits: "${fa}"`);
});

Deno.test("speaker t fills placeholders, numbers in the language's digits", () => {
  assertEquals(speaker("en").t("board.count", { n: 12 }), "12 live channels");
  assertEquals(speaker("fa").t("board.count", { n: 12 }), "۱۲ کانال زنده");
  assertEquals(
    speaker("en").t("session.user", { user: "alice", role: "admin", ext: "201" }),
    "alice (admin, phone 201)",
  );
  // A string stays as given (an extension is not a number to localise).
  assertEquals(speaker("fa").t("jobs.hangupLabel", { id: "job_42" }), "قطع کار job_42");
  assertEquals(speaker("en").t("login.failed"), "Login refused: {message}");
});

Deno.test("speaker dateTime uses the Persian calendar in Persian", () => {
  const instant = "2026-07-15T12:00:00.000Z";
  const style = { dateStyle: "medium", timeStyle: "medium" } as const;
  const fa = speaker("fa").dateTime(instant);
  assertEquals(fa, new Intl.DateTimeFormat("fa-IR-u-ca-persian", style).format(new Date(instant)));
  assertEquals(speaker("fa").dateTime(Date.parse(instant)), fa);
  assert(fa.includes("۱۴۰۵"), `no Persian year 1405 in "${fa}"`);
  assert(!fa.includes("۲۰۲۶") && !/\d/.test(fa), `Gregorian year or Latin digits in "${fa}"`);
  const en = speaker("en").dateTime(instant);
  assertEquals(en, new Intl.DateTimeFormat("en-GB", style).format(new Date(instant)));
  assert(en.includes("2026"), `no year 2026 in "${en}"`);
});

Deno.test("speaker duration gives m:ss, or h:mm:ss from an hour, in both languages", () => {
  const cases: [seconds: number, text: string][] = [
    [0, "0:00"],
    [5, "0:05"],
    [59.9, "0:59"],
    [65, "1:05"],
    [3599, "59:59"],
    [3600, "1:00:00"],
    [3661, "1:01:01"],
    [-3, "0:00"],
    [100 * 3600 + 62, "100:01:02"],
    // An uptime of six weeks: the hours are not grouped ("1,000:00:00").
    [1000 * 3600, "1000:00:00"],
  ];
  for (const [seconds, text] of cases) {
    assertEquals(speaker("en").duration(seconds), text, `en ${seconds}`);
    assertEquals(speaker("fa").duration(seconds), persianDigits(text), `fa ${seconds}`);
  }
});

/** What i18n.ts reads of the browser. */
interface Browser {
  languages?: readonly string[];
  language?: string;
  storage?: Map<string, string>;
}

/** Runs `fn` with `navigator` and `localStorage` standing for `browser` (no localStorage without `storage`). */
function inBrowser<T>(browser: Browser, fn: () => T): T {
  const saved = ["navigator", "localStorage"].map((name) =>
    [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const
  );
  const { storage } = browser;
  Object.defineProperty(globalThis, "navigator", {
    value: { languages: browser.languages, language: browser.language ?? "en-US" },
    configurable: true,
  });
  Object.defineProperty(globalThis, "localStorage", {
    value: storage && {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, value),
    },
    configurable: true,
  });
  try {
    return fn();
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete (globalThis as Record<string, unknown>)[name];
    }
  }
}

Deno.test("initialLanguage takes the browser's first language the console speaks", () => {
  const cases: [Browser, Language][] = [
    [{ languages: ["fa-IR", "en-US"] }, "fa"],
    [{ languages: ["de-DE", "FA"] }, "fa"],
    [{ languages: ["de-DE", "en-GB", "fa"] }, "en"],
    [{ languages: ["de-DE", "fr"] }, "en"],
    [{ languages: [] }, "en"],
    [{ language: "fa-IR" }, "fa"],
    [{ language: "fa-IR", storage: new Map() }, "fa"],
  ];
  for (const [browser, language] of cases) {
    assertEquals(inBrowser(browser, initialLanguage), language, JSON.stringify(browser));
  }
});

Deno.test("initialLanguage prefers the language stored before, if it is one", () => {
  const storage = new Map([["astrix.language", "fa"]]);
  assertEquals(inBrowser({ languages: ["en-US"], storage }, initialLanguage), "fa");
  storage.set("astrix.language", "de");
  assertEquals(inBrowser({ languages: ["fa-IR"], storage }, initialLanguage), "fa");
  assertEquals(inBrowser({ languages: ["en-US"], storage }, initialLanguage), "en");
});

Deno.test("storeLanguage keeps the choice for initialLanguage, and needs no localStorage", () => {
  const storage = new Map<string, string>();
  inBrowser({ languages: ["en-US"], storage }, () => {
    storeLanguage("fa");
    assertEquals(initialLanguage(), "fa");
    storeLanguage("en");
    assertEquals(initialLanguage(), "en");
  });
  assertEquals([...storage], [["astrix.language", "en"]]);
  inBrowser({ languages: ["fa"] }, () => {
    storeLanguage("en");
    assertEquals(initialLanguage(), "fa");
  });
});
