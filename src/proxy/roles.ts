/**
 * Who may do what: the one table of permissions (DESIGN.md, copied into
 * docs/proxy.md). A permission's scope for a role is `all`, `own` (the caller's own
 * jobs, or for recordings the calls of its own extension) or absent.
 *
 * @example
 * ```ts
 * import { scopeOf } from "./roles.ts";
 *
 * scopeOf("qa", "events"); // "own"
 * scopeOf("user", "listen"); // undefined: refused
 * ```
 *
 * @module
 */

/** The roles a token may carry (claim `role`). */
export const ROLES = ["user", "qa", "supervisor", "admin"] as const;
export type Role = typeof ROLES[number];

/** What a route needs. */
export type Permission =
  | "recordings"
  | "channels"
  | "listen"
  | "playback"
  | "jobs"
  | "events"
  | "audioToAnyExtension"
  | "audit"
  | "status";

/** How far a permission reaches. */
export type Scope = "all" | "own";

/** The permissions table: a missing entry is a refusal. */
export const PERMISSIONS: Readonly<Record<Permission, Readonly<Partial<Record<Role, Scope>>>>> = {
  /** Recordings: list, metadata, stream (`own`: calls of the caller's extension). */
  recordings: { user: "own", qa: "all", supervisor: "all", admin: "all" },
  /** Active channels, to pick whom to listen to. */
  channels: { supervisor: "all", admin: "all" },
  /** Listen, whisper and barge. */
  listen: { supervisor: "all", admin: "all" },
  /** Start a playback. */
  playback: { qa: "all", supervisor: "all", admin: "all" },
  /** Playback control, job read, hangup. */
  jobs: { user: "own", qa: "own", supervisor: "own", admin: "all" },
  /** The live event stream (SSE). */
  events: { qa: "own", supervisor: "all", admin: "all" },
  /** Send a listen's or playback's audio to an extension other than the caller's own. */
  audioToAnyExtension: { admin: "all" },
  /** Browse and export the audit, verify its chain (GET /audit, /audit/verify). */
  audit: { admin: "all" },
  /** The health panel (GET /status). */
  status: { admin: "all" },
};

/** The scope `role` has for `permission`, or undefined when it has none. */
export function scopeOf(role: Role, permission: Permission): Scope | undefined {
  return PERMISSIONS[permission][role];
}

/** Is `value` one of the roles? */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
