/**
 * The admin's health panel, from `GET /status`: the PBX connection and what
 * its AMI user may not do (and, with several PBXs, each one's), reconnects, event-stream subscribers, whether the
 * audit can be written (and what to do if not), jobs by state.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { api, type components, unwrap } from "./api.ts";
import { useConsole } from "./context.ts";
import { ErrorNote } from "./errors.tsx";
import type { MessageKey } from "./i18n.ts";

type Status = components["schemas"]["ProxyStatus"];

/** The health panel. */
export function HealthView() {
  const { speaker } = useConsole();
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function load() {
    setError(null);
    try {
      setStatus(await unwrap(api.GET("/status")));
    } catch (failure) {
      setError(failure);
    }
  }
  useEffect(() => void load(), []);

  const yesNo = (value: boolean) => speaker.t(value ? "yes" : "no");
  const identity = (pbx: Status["ami"]["pbx"]) =>
    pbx ? `Asterisk ${pbx.asterisk} (AMI ${pbx.amiVersion})` : "—";
  const several = status ? Object.entries(status.pbxs) : [];
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">{speaker.t("health.title")}</h2>
      <button type="button" onClick={() => void load()}>{speaker.t("health.refresh")}</button>
      <ErrorNote error={error} />
      {status && (
        <dl class="health" data-testid="health">
          <dt>{speaker.t("health.ami")}</dt>
          <dd data-health="ami">{yesNo(status.ami.connected)}</dd>
          <dt>{speaker.t("health.pbx")}</dt>
          <dd>
            <bdi dir="ltr">{identity(status.ami.pbx)}</bdi>
          </dd>
          {several.length > 1 && several.map(([name, pbx]) => [
            <dt key={`${name}-dt`}>{speaker.t("health.pbxOf", { name })}</dt>,
            <dd key={`${name}-dd`} data-health={`pbx-${name}`}>
              {yesNo(pbx.connected)}
              {" · "}
              <bdi dir="ltr">{pbx.problem ?? identity(pbx.pbx)}</bdi>
            </dd>,
          ])}
          <dt>{speaker.t("health.permissions")}</dt>
          <dd data-health="permissions">
            {status.ami.cannotWork.length === 0
              ? speaker.t("health.permissions.ok")
              : speaker.t("health.permissions.missing", {
                what: status.ami.cannotWork.map((m) => m.what).join("; "),
              })}
          </dd>
          <dt>{speaker.t("health.reconnects")}</dt>
          <dd>{speaker.number(status.ami.reconnects)}</dd>
          <dt>{speaker.t("health.subscribers")}</dt>
          <dd>{speaker.number(status.sse.subscribers)}</dd>
          <dt>{speaker.t("health.audit")}</dt>
          <dd data-health="audit">
            {yesNo(status.audit.writable)}
            {status.audit.problem &&
              ` — ${status.audit.problem.reason}: ${status.audit.problem.fix}`}
          </dd>
          <dt>{speaker.t("health.jobs")}</dt>
          <dd>
            {Object.entries(status.jobs).map(([state, n]) =>
              `${speaker.t(`status.${state}` as MessageKey)} ${speaker.number(n)}`
            ).join(" · ")}
          </dd>
          <dt>{speaker.t("health.uptime")}</dt>
          <dd>{speaker.duration(status.uptimeSeconds)}</dd>
        </dl>
      )}
    </section>
  );
}
