/**
 * What to tell a user whose action was answered "Permission denied": the
 * manager.conf class that allows it (from the AMI module's table of the
 * classes Asterisk registers each action with).
 *
 * @example
 * ```ts
 * import { permissionFix } from "./permissions.ts";
 *
 * permissionFix("CoreShowChannels", "limited");
 * // 'add "reporting" (or "system") to write= of user limited in manager.conf'
 * ```
 *
 * @module
 */

import { ACTION_WRITE_CLASSES, leastClassFor } from "../ami/permissions.ts";

/** What to change in manager.conf so that `username` may run `action`; undefined if unknown. */
export function permissionFix(action: string, username: string): string | undefined {
  const classes = ACTION_WRITE_CLASSES[action] ?? [];
  const first = leastClassFor(classes);
  if (first === undefined) return undefined;
  // The broadest class, system, is offered last.
  const others = [
    ...classes.filter((c) => c !== first && c !== "system"),
    ...classes.filter((c) => c !== first && c === "system"),
  ];
  const alternatives = others.length > 0 ? ` (or ${others.map((c) => `"${c}"`).join(" or ")})` : "";
  return `add "${first}"${alternatives} to write= of user ${username} in manager.conf`;
}
