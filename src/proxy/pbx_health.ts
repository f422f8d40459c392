/**
 * How each PBX behind the proxy is doing, as `/readyz` and `GET /status`
 * say it: logged in or not (and why not), which Asterisk its banner names,
 * what its AMI user may not do (with the manager.conf fix), and, for the
 * panel, its reconnects and lost events. The proxy is ready while the audit
 * can be written and at least one PBX is ready: one PBX down leaves the
 * others served.
 *
 * @module
 */

import { grantsFor, type MissingFeature } from "./ami_features.ts";
import type { Backend } from "./backends/backend.ts";
import type { NamedPbx, Pbxs } from "./backends/pbxs.ts";
import type { ProxyMetrics } from "./metrics.ts";

/** The features the AMI user may not use, as `/readyz` and `/status` list them. */
export function cannotWork(missing: readonly MissingFeature[]) {
  return missing.map((m) => ({
    feature: m.feature,
    what: m.what,
    refusedActions: m.actions,
    grant: m.grant,
  }));
}

/** The Asterisk a PBX's banner names, once connected (unknown in forward mode). */
export function pbxIdentity(backend: Backend) {
  const pbx = backend.pbx;
  return pbx ? { asterisk: pbx.asterisk, amiVersion: pbx.amiVersion, exact: pbx.exact } : null;
}

/** A PBX's identity and what its AMI user cannot do, with the fix: only what is known. */
function pbxDetail(backend: Backend) {
  const identity = pbxIdentity(backend);
  const { missing } = backend.permissions;
  return {
    ...(identity ? { pbx: identity } : {}),
    ...(missing.length > 0
      ? {
        cannotWork: cannotWork(missing),
        fix: `add ${grantsFor(missing).join(", ")} ` +
          `to the AMI user's write= line in manager.conf, then run "manager reload"`,
      }
      : {}),
  };
}

/** What `/readyz` says of one PBX: ready once logged in and its AMI user's rights are enough. */
export function pbxReadiness(backend: Backend) {
  const { checked, missing } = backend.permissions;
  // The AMI user's rights are known once the backend has logged in and asked (ListCommands).
  const amiPermissions = checked && missing.length === 0;
  const problem = backend.problem;
  return {
    ready: backend.ready && amiPermissions,
    ami: backend.ready,
    amiPermissions,
    ...(problem !== null ? { problem } : {}),
    ...pbxDetail(backend),
  };
}

/**
 * `/readyz`'s checks over every PBX: `ami` and `amiPermissions` hold when they
 * hold for each PBX, `ready` when at least one is ready (the caller adds the
 * audit); each PBX's own state is in `pbxs`. With one PBX, its identity and
 * missing rights are at the top too, as before there could be several.
 */
export function pbxsReadiness(pbxs: Pbxs) {
  const each = pbxs.all().map(({ name, backend }) => ({ name, backend, ...pbxReadiness(backend) }));
  return {
    anyReady: each.some((pbx) => pbx.ready),
    ami: each.every((pbx) => pbx.ami),
    amiPermissions: each.every((pbx) => pbx.amiPermissions),
    ...(each.length === 1 ? pbxDetail(each[0].backend) : {}),
    pbxs: Object.fromEntries(
      each.map(({ name, backend: _, ...readiness }) => [name, readiness]),
    ),
  };
}

/** What the health panel (`GET /status`) shows of one PBX. */
export function pbxHealth({ name, backend }: NamedPbx, metrics: ProxyMetrics) {
  return {
    connected: backend.ready,
    problem: backend.problem,
    pbx: pbxIdentity(backend),
    permissionsChecked: backend.permissions.checked,
    cannotWork: cannotWork(backend.permissions.missing),
    reconnects: metrics.amiReconnects.value({ pbx: name }),
    eventsLost: metrics.amiEventsLost.value({ pbx: name }),
  };
}

/** The panel's summary of every PBX: connected when all are, totals of the counts. */
export function pbxsHealth(pbxs: Pbxs, metrics: ProxyMetrics) {
  const each = pbxs.all().map((pbx) => ({ name: pbx.name, ...pbxHealth(pbx, metrics) }));
  const features = new Map(each.flatMap((pbx) => pbx.cannotWork).map((m) => [m.feature, m]));
  return {
    ami: {
      connected: each.every((pbx) => pbx.connected),
      pbx: each.length === 1 ? each[0].pbx : null,
      permissionsChecked: each.every((pbx) => pbx.permissionsChecked),
      cannotWork: [...features.values()],
      reconnects: each.reduce((sum, pbx) => sum + pbx.reconnects, 0),
      eventsLost: each.reduce((sum, pbx) => sum + pbx.eventsLost, 0),
    },
    pbxs: Object.fromEntries(each.map(({ name, ...health }) => [name, health])),
  };
}
