/**
 * The console's words, in one catalog per language (English and Persian),
 * and the locale-aware formatting of numbers, times and durations: Persian
 * uses Persian digits and the Persian calendar (`fa-IR-u-ca-persian`) and is
 * laid out right to left. The language is the browser's unless the user
 * picked one (kept in localStorage).
 *
 * @module
 */

/** The English catalog; every other language has exactly its keys. */
const en = {
  "app.title": "astrix console",
  "app.skip": "Skip to content",
  "lang.label": "Language",
  "nav.board": "Live calls",
  "nav.recordings": "Recordings",
  "nav.audit": "Audit",
  "nav.health": "Health",
  "nav.label": "Views",
  "session.user": "{user} ({role}, phone {ext})",
  "session.logout": "Log out",
  "login.title": "Log in",
  "login.token": "Paste your token",
  "login.tokenHelp": "A JWT from your administrator, or one `astrix dev` printed.",
  "login.submit": "Log in",
  "login.expired":
    "That login link was already used or has expired: paste a token, or ask for a new link.",
  "login.failed": "Login refused: {message}",
  "role.user": "user",
  "role.qa": "QA",
  "role.supervisor": "supervisor",
  "role.admin": "admin",
  "board.title": "Live calls",
  "board.count": "{n} live channels",
  "board.empty": "No live calls right now.",
  "board.pbx": "PBX",
  "board.channel": "Channel",
  "board.state": "State",
  "board.caller": "Caller",
  "board.connected": "Talking to",
  "board.duration": "Duration",
  "board.actions": "Actions",
  "board.listen": "Listen",
  "board.whisper": "Whisper",
  "board.barge": "Barge",
  "board.actionLabel": "{action} to {channel}",
  "board.stream.live": "Live",
  "board.stream.connecting": "Connecting to the event stream…",
  "jobs.title": "My jobs",
  "jobs.empty": "No jobs yet: listen to a call or play a recording to your phone.",
  "jobs.kind.listen": "listen",
  "jobs.kind.playback": "playback",
  "jobs.target": "Target",
  "jobs.status": "State",
  "jobs.hangup": "Hang up",
  "jobs.hangupLabel": "Hang up job {id}",
  "jobs.timeline": "Timeline",
  "status.queued": "queued",
  "status.dialing": "dialing",
  "status.active": "active",
  "status.paused": "paused",
  "status.ended": "ended",
  "status.failed": "failed",
  "status.unknown": "unknown (the proxy lost sight of the call)",
  "rec.title": "Recordings",
  "rec.from": "From",
  "rec.to": "To",
  "rec.extension": "Extension",
  "rec.direction": "Direction",
  "rec.direction.any": "any",
  "rec.direction.inbound": "inbound",
  "rec.direction.outbound": "outbound",
  "rec.direction.internal": "internal",
  "rec.direction.unknown": "unknown",
  "rec.search": "Search",
  "rec.apply": "Apply",
  "rec.started": "Started",
  "rec.parties": "From → to",
  "rec.duration": "Length",
  "rec.actions": "Actions",
  "rec.play": "Play here",
  "rec.playLabel": "Play recording {id} here",
  "rec.toPhone": "Play to my phone",
  "rec.toPhoneLabel": "Play recording {id} to my phone",
  "rec.more": "More",
  "rec.empty": "No recordings match.",
  "rec.player": "Player",
  "rec.playing": "Playing {id}",
  "control.label": "Playback controls of job {id}",
  "control.pause": "Pause",
  "control.resume": "Resume",
  "control.forward": "Forward",
  "control.reverse": "Reverse",
  "control.restart": "Restart",
  "control.stop": "Stop",
  "audit.title": "Audit",
  "audit.user": "User",
  "audit.action": "Action",
  "audit.outcome": "Outcome",
  "audit.outcome.any": "any",
  "audit.since": "Since",
  "audit.until": "Until",
  "audit.apply": "Apply",
  "audit.csv": "Export CSV",
  "audit.time": "Time",
  "audit.role": "Role",
  "audit.target": "Target",
  "audit.status": "Status",
  "audit.job": "Job",
  "audit.more": "Older rows",
  "audit.empty": "No audit rows match.",
  "audit.verify": "Verify the chain",
  "audit.verify.ok": "The chain holds: {n} rows verified.",
  "audit.verify.broken": "The chain is broken: {problem}",
  "audit.head": "Head: row {id}, {hash}",
  "health.title": "Health",
  "health.ami": "PBX (AMI) connected",
  "health.pbx": "PBX",
  "health.pbxOf": "PBX {name}",
  "health.permissions": "PBX permissions",
  "health.permissions.ok": "all granted",
  "health.permissions.missing": "missing: {what}",
  "health.reconnects": "AMI reconnects",
  "health.subscribers": "Event stream subscribers",
  "health.audit": "Audit writable",
  "health.jobs": "Jobs",
  "health.uptime": "Up for",
  "health.refresh": "Refresh",
  "yes": "yes",
  "no": "no",
  "loading": "Loading…",
  "error.generic": "{message}",
  "error.channel_not_found": "That call does not exist or has already ended.",
  "error.network": "The proxy cannot be reached. Is it running?",
};

/** A message key. */
export type MessageKey = keyof typeof en;
type Catalog = Record<MessageKey, string>;

const fa: Catalog = {
  "app.title": "کنسول astrix",
  "app.skip": "رفتن به محتوا",
  "lang.label": "زبان",
  "nav.board": "تماس‌های زنده",
  "nav.recordings": "ضبط‌ها",
  "nav.audit": "ممیزی",
  "nav.health": "وضعیت سامانه",
  "nav.label": "نماها",
  "session.user": "{user} ({role}، تلفن {ext})",
  "session.logout": "خروج",
  "login.title": "ورود",
  "login.token": "توکن خود را بچسبانید",
  "login.tokenHelp": "یک JWT از مدیر سامانه، یا توکنی که `astrix dev` چاپ کرده است.",
  "login.submit": "ورود",
  "login.expired":
    "این پیوند ورود قبلاً استفاده شده یا منقضی شده است: یک توکن بچسبانید یا پیوند تازه بخواهید.",
  "login.failed": "ورود پذیرفته نشد: {message}",
  "role.user": "کاربر",
  "role.qa": "کنترل کیفیت",
  "role.supervisor": "سرپرست",
  "role.admin": "مدیر",
  "board.title": "تماس‌های زنده",
  "board.count": "{n} کانال زنده",
  "board.empty": "اکنون تماس زنده‌ای نیست.",
  "board.pbx": "مرکز تلفن",
  "board.channel": "کانال",
  "board.state": "وضعیت",
  "board.caller": "تماس‌گیرنده",
  "board.connected": "در گفتگو با",
  "board.duration": "مدت",
  "board.actions": "کارها",
  "board.listen": "شنود",
  "board.whisper": "نجوا",
  "board.barge": "ورود به مکالمه",
  "board.actionLabel": "{action}: {channel}",
  "board.stream.live": "زنده",
  "board.stream.connecting": "در حال اتصال به جریان رویدادها…",
  "jobs.title": "کارهای من",
  "jobs.empty": "هنوز کاری نیست: به تماسی گوش دهید یا ضبطی را روی تلفن خود پخش کنید.",
  "jobs.kind.listen": "شنود",
  "jobs.kind.playback": "پخش",
  "jobs.target": "هدف",
  "jobs.status": "وضعیت",
  "jobs.hangup": "قطع",
  "jobs.hangupLabel": "قطع کار {id}",
  "jobs.timeline": "رویدادها",
  "status.queued": "در صف",
  "status.dialing": "در حال شماره‌گیری",
  "status.active": "فعال",
  "status.paused": "مکث",
  "status.ended": "پایان یافته",
  "status.failed": "ناموفق",
  "status.unknown": "نامعلوم (پراکسی تماس را گم کرد)",
  "rec.title": "ضبط‌ها",
  "rec.from": "از",
  "rec.to": "تا",
  "rec.extension": "داخلی",
  "rec.direction": "جهت",
  "rec.direction.any": "همه",
  "rec.direction.inbound": "ورودی",
  "rec.direction.outbound": "خروجی",
  "rec.direction.internal": "داخلی",
  "rec.direction.unknown": "نامعلوم",
  "rec.search": "جستجو",
  "rec.apply": "اعمال",
  "rec.started": "آغاز",
  "rec.parties": "از ← به",
  "rec.duration": "طول",
  "rec.actions": "کارها",
  "rec.play": "پخش در اینجا",
  "rec.playLabel": "پخش ضبط {id} در اینجا",
  "rec.toPhone": "پخش روی تلفن من",
  "rec.toPhoneLabel": "پخش ضبط {id} روی تلفن من",
  "rec.more": "بیشتر",
  "rec.empty": "ضبطی با این شرایط نیست.",
  "rec.player": "پخش‌کننده",
  "rec.playing": "در حال پخش {id}",
  "control.label": "کنترل‌های پخش کار {id}",
  "control.pause": "مکث",
  "control.resume": "ادامه",
  "control.forward": "جلو",
  "control.reverse": "عقب",
  "control.restart": "از نو",
  "control.stop": "توقف",
  "audit.title": "ممیزی",
  "audit.user": "کاربر",
  "audit.action": "کار",
  "audit.outcome": "نتیجه",
  "audit.outcome.any": "همه",
  "audit.since": "از",
  "audit.until": "تا",
  "audit.apply": "اعمال",
  "audit.csv": "خروجی CSV",
  "audit.time": "زمان",
  "audit.role": "نقش",
  "audit.target": "هدف",
  "audit.status": "کد",
  "audit.job": "کار",
  "audit.more": "ردیف‌های قدیمی‌تر",
  "audit.empty": "ردیفی با این شرایط نیست.",
  "audit.verify": "وارسی زنجیره",
  "audit.verify.ok": "زنجیره سالم است: {n} ردیف وارسی شد.",
  "audit.verify.broken": "زنجیره شکسته است: {problem}",
  "audit.head": "سر زنجیره: ردیف {id}، {hash}",
  "health.title": "وضعیت سامانه",
  "health.ami": "اتصال به مرکز تلفن (AMI)",
  "health.pbx": "مرکز تلفن",
  "health.pbxOf": "مرکز تلفن {name}",
  "health.permissions": "مجوزهای مرکز تلفن",
  "health.permissions.ok": "همه داده شده",
  "health.permissions.missing": "کم است: {what}",
  "health.reconnects": "اتصال‌های دوباره AMI",
  "health.subscribers": "مشترکان جریان رویداد",
  "health.audit": "ممیزی قابل نوشتن",
  "health.jobs": "کارها",
  "health.uptime": "زمان کارکرد",
  "health.refresh": "تازه‌سازی",
  "yes": "بله",
  "no": "خیر",
  "loading": "در حال بارگذاری…",
  "error.generic": "{message}",
  "error.channel_not_found": "این تماس وجود ندارد یا پایان یافته است.",
  "error.network": "پراکسی در دسترس نیست. آیا در حال اجراست؟",
};

/** The languages of the console. */
export const LANGUAGES = { en: "English", fa: "فارسی" } as const;
export type Language = keyof typeof LANGUAGES;

const CATALOGS: Record<Language, Catalog> = { en, fa };
const STORAGE_KEY = "astrix.language";

/** The language picked before, else the browser's first one the console speaks, else English. */
export function initialLanguage(): Language {
  const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
  if (stored === "en" || stored === "fa") return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "fa" || base === "en") return base;
  }
  return "en";
}

/** Remembers the user's choice. */
export function storeLanguage(language: Language): void {
  globalThis.localStorage?.setItem(STORAGE_KEY, language);
}

/** Words and formats of one language. */
export interface Speaker {
  language: Language;
  dir: "ltr" | "rtl";
  /** The message `key` with `{name}` placeholders filled in. */
  t(key: MessageKey, params?: Record<string, string | number>): string;
  number(n: number): string;
  /** A date and time, in the language's calendar. */
  dateTime(iso: string | number): string;
  /** Seconds as m:ss or h:mm:ss, in the language's digits. */
  duration(seconds: number): string;
}

/** The speaker of `language`. */
export function speaker(language: Language): Speaker {
  const catalog = CATALOGS[language];
  const locale = language === "fa" ? "fa-IR" : "en-US";
  const numbers = new Intl.NumberFormat(locale);
  const twoDigits = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2 });
  const hours = new Intl.NumberFormat(locale, { useGrouping: false });
  const dates = new Intl.DateTimeFormat(language === "fa" ? "fa-IR-u-ca-persian" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "medium",
  });
  const number = (n: number) => numbers.format(n);
  return {
    language,
    dir: language === "fa" ? "rtl" : "ltr",
    t(key, params) {
      return catalog[key].replace(
        /\{(\w+)\}/g,
        (whole, name: string) => {
          const value = params?.[name];
          if (value === undefined) return whole;
          return typeof value === "number" ? number(value) : value;
        },
      );
    },
    number,
    dateTime: (iso) => dates.format(new Date(iso)),
    duration(seconds) {
      const s = Math.max(0, Math.floor(seconds));
      const h = Math.floor(s / 3600);
      const m = Math.floor((s % 3600) / 60);
      const rest = twoDigits.format(s % 60);
      return h > 0 ? `${hours.format(h)}:${twoDigits.format(m)}:${rest}` : `${number(m)}:${rest}`;
    },
  };
}
