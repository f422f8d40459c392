/**
 * AMI permission classes, as in manager.conf's `read=`/`write=` and the
 * `Events:`/`EventMask:` headers: parsing them into sets and checking an
 * event's `Privilege:` against a session.
 *
 * @module
 */

/** The classes Asterisk knows (manager.c's `perms` table), without `all`. */
export const PERMISSION_CLASSES = [
  "system",
  "call",
  "log",
  "verbose",
  "command",
  "agent",
  "user",
  "config",
  "dtmf",
  "reporting",
  "cdr",
  "dialplan",
  "originate",
  "agi",
  "cc",
  "aoc",
  "test",
  "security",
  "message",
] as const;

/** One permission class. */
export type PermissionClass = typeof PERMISSION_CLASSES[number];

const KNOWN = new Set<string>(PERMISSION_CLASSES);
const TRUE_WORDS = new Set(["yes", "true", "y", "t", "1", "on"]);
const FALSE_WORDS = new Set(["no", "false", "n", "f", "0", "off"]);

/** Asterisk's `ast_true`: yes, true, y, t, 1 or on, in any case. */
export function isTrueWord(value: string | undefined): boolean {
  return TRUE_WORDS.has(value?.trim().toLowerCase() ?? "");
}

/** Parses a class list such as `call,originate` or `all`; unknown names are ignored, as Asterisk does. */
export function parseClasses(list: string): Set<PermissionClass> {
  const classes = new Set<PermissionClass>();
  for (const raw of list.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "all") return new Set(PERMISSION_CLASSES);
    if (KNOWN.has(name)) classes.add(name as PermissionClass);
  }
  return classes;
}

/**
 * Parses an `Events:` / `EventMask:` value the way Asterisk does: a true word
 * (`on`, `yes`, ...) means every class, a false word none, otherwise a class list.
 * Returns `undefined` for an empty or unusable mask ("Invalid event mask").
 */
export function parseEventMask(mask: string | undefined): Set<PermissionClass> | undefined {
  const value = mask?.trim().toLowerCase() ?? "";
  if (value === "") return undefined;
  if (TRUE_WORDS.has(value)) return new Set(PERMISSION_CLASSES);
  if (FALSE_WORDS.has(value)) return new Set();
  const classes = parseClasses(value);
  return classes.size > 0 ? classes : undefined;
}

/** The classes named in an event's `Privilege:` header (`call,all` gives `call`). */
export function eventClasses(privilege: string | undefined): PermissionClass[] {
  if (!privilege) return [];
  const classes: PermissionClass[] = [];
  for (const raw of privilege.split(",")) {
    const name = raw.trim().toLowerCase();
    if (KNOWN.has(name)) classes.push(name as PermissionClass);
  }
  return classes;
}

/** Whether every class of an event is in `allowed` (Asterisk requires all of them). */
export function allowsAll(
  allowed: ReadonlySet<PermissionClass>,
  classes: readonly PermissionClass[],
): boolean {
  for (const name of classes) if (!allowed.has(name)) return false;
  return true;
}

/** Whether any class in `required` is in `granted` (how action permissions are checked). */
export function allowsAny(
  granted: ReadonlySet<PermissionClass>,
  required: readonly PermissionClass[],
): boolean {
  return required.length === 0 || required.some((name) => granted.has(name));
}

/**
 * The write classes of which a user needs one to run an action, as Asterisk
 * registers them (main/manager.c; ControlPlayback in
 * apps/app_controlplayback.c, Asterisk 12+), for the actions astrix sends.
 * The same on Asterisk 11 to 22.
 */
export const ACTION_WRITE_CLASSES: Readonly<Record<string, readonly PermissionClass[]>> = {
  Command: ["command"],
  ControlPlayback: ["call"],
  CoreSettings: ["system", "reporting"],
  CoreShowChannels: ["system", "reporting"],
  CoreStatus: ["system", "reporting"],
  Getvar: ["call", "reporting"],
  Hangup: ["system", "call"],
  Originate: ["originate"],
  Setvar: ["call"],
  Status: ["system", "call", "reporting"],
  UserEvent: ["user"],
};

/** The least broad class to grant for an action: `system` only when nothing else does. */
export function leastClassFor(classes: readonly PermissionClass[]): PermissionClass | undefined {
  return classes.find((name) => name !== "system") ?? classes[0];
}

/**
 * The actions a ListCommands answer names, lower-cased. Asterisk lists only
 * the actions the session's `write=` classes allow (and those that need
 * none), so this is what the logged-in user may run.
 */
export function listedActions(response: Iterable<readonly [string, string]>): Set<string> {
  const names = new Set<string>();
  for (const [key] of response) {
    const lower = key.toLowerCase();
    if (lower !== "response" && lower !== "actionid" && lower !== "message") names.add(lower);
  }
  return names;
}
