/**
 * What the proxy does over AMI, the actions each feature sends, and which of
 * them the AMI user may not run. Asterisk's ListCommands names only the
 * actions the session's `write=` classes allow, so one harmless action at
 * login tells what will be refused with "Permission denied" later; the
 * manager.conf classes that fix it come from {@linkcode ACTION_WRITE_CLASSES}.
 *
 * @example
 * ```ts
 * import { missingFeatures } from "./ami_features.ts";
 *
 * const listed = new Set(["originate", "ping"]); // a write=originate user
 * const missing = missingFeatures(listed);
 * missing.map((m) => m.feature); // ["channels", "listen", "control", "hangup", "recheck"]
 * ```
 *
 * @module
 */

import { ACTION_WRITE_CLASSES, leastClassFor, type PermissionClass } from "../ami/mod.ts";

/** The proxy's features that reach the PBX. */
export type AmiFeature = "channels" | "listen" | "playback" | "control" | "hangup" | "recheck";

/** Each feature: what it is, in words, and the AMI actions it sends. */
export const AMI_FEATURES: Readonly<
  Record<AmiFeature, { what: string; actions: readonly string[] }>
> = {
  channels: { what: "list live calls (GET /ami/channels)", actions: ["CoreShowChannels"] },
  listen: {
    what: "listen to a call (POST /ami/originate/listen: check the target, call the listener)",
    actions: ["Status", "Originate"],
  },
  playback: { what: "play a recording (POST /ami/originate/playback)", actions: ["Originate"] },
  control: {
    what: "control a playback (POST /ami/control/playback)",
    actions: ["ControlPlayback"],
  },
  hangup: { what: "hang up a job's call (POST /ami/jobs/:id/hangup)", actions: ["Hangup"] },
  recheck: { what: "find jobs' calls again after a reconnect", actions: ["Status"] },
};

/** A feature that cannot work with this AMI user. */
export interface MissingFeature {
  feature: AmiFeature;
  what: string;
  /** The actions Asterisk will refuse. */
  actions: string[];
  /** A `write=` class that would allow each of them. */
  grant: PermissionClass[];
}

/**
 * The features some of whose actions are not in `listed` (lower-case names from
 * ListCommands); actions in `absent` (the PBX's version has not got them, e.g.
 * ControlPlayback on Asterisk 11) are no permission to grant and not counted.
 */
export function missingFeatures(
  listed: ReadonlySet<string>,
  absent: readonly string[] = [],
): MissingFeature[] {
  const missing: MissingFeature[] = [];
  for (const [feature, { what, actions }] of Object.entries(AMI_FEATURES)) {
    const refused = actions.filter((action) =>
      !listed.has(action.toLowerCase()) && !absent.includes(action)
    );
    if (refused.length === 0) continue;
    const grant = new Set<PermissionClass>();
    for (const action of refused) {
      const least = leastClassFor(ACTION_WRITE_CLASSES[action] ?? []);
      if (least) grant.add(least);
    }
    missing.push({ feature: feature as AmiFeature, what, actions: refused, grant: [...grant] });
  }
  return missing;
}

/** The `write=` classes to add so that every feature in `missing` works, each once. */
export function grantsFor(missing: readonly MissingFeature[]): PermissionClass[] {
  return [...new Set(missing.flatMap((m) => m.grant))];
}

/** One sentence for ops: what cannot work and the manager.conf change that fixes it. */
export function describeMissing(missing: readonly MissingFeature[], username: string): string {
  const grant = grantsFor(missing);
  const features = missing.map((m) => `${m.feature} (${m.actions.join(", ")})`).join("; ");
  return `The AMI user "${username}" may not run what these need: ${features}. ` +
    `Add ${grant.join(", ")} to its write= line in manager.conf, then run "manager reload"`;
}
