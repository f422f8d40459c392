/**
 * The admin's audit browser: audit-query's filters, pages by the API's
 * keyset cursor, the CSV export of the same filter (a download from `GET
 * /audit?format=csv`), and the chain's verification with its head.
 *
 * @module
 */

import { useState } from "preact/hooks";
import { api, type components, unwrap } from "./api.ts";
import { useConsole } from "./context.ts";
import { ErrorNote } from "./errors.tsx";
import { usePagedList } from "./paging.ts";
import type { MessageKey } from "./i18n.ts";

type AuditRow = components["schemas"]["AuditRow"];
type AuditPage = components["schemas"]["AuditPage"];
type Verification = components["schemas"]["AuditVerification"];

const OUTCOMES = ["attempt", "ok", "denied", "error"] as const;

interface Filters {
  user: string;
  action: string;
  outcome: "" | typeof OUTCOMES[number];
  since: string;
  until: string;
}

const NO_FILTERS: Filters = { user: "", action: "", outcome: "", since: "", until: "" };
const PAGE_SIZE = 50;

/** The filters as the API's query: empty ones left out, local times sent in UTC. */
function queryOf(filters: Filters) {
  return {
    ...(filters.user ? { user: filters.user } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
    ...(filters.since ? { since: new Date(filters.since).toISOString() } : {}),
    ...(filters.until ? { until: new Date(filters.until).toISOString() } : {}),
  };
}

/** The audit browser and the chain's state. */
export function AuditView() {
  const { speaker } = useConsole();
  const list = usePagedList(NO_FILTERS, "audit", async (filters, cursor) => {
    // JSON: the document's other answer, CSV, comes only with format=csv.
    return await unwrap(api.GET("/audit", {
      params: {
        query: { ...queryOf(filters), limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
      },
    })) as AuditPage;
  });
  const { filters, rows, cursor, loading, error, setError, field } = list;
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verifying, setVerifying] = useState(false);

  async function verify() {
    setVerifying(true);
    setError(null);
    try {
      setVerification(await unwrap(api.GET("/audit/verify")));
    } catch (failure) {
      setError(failure);
    } finally {
      setVerifying(false);
    }
  }

  const csvHref = `/audit?${new URLSearchParams({ ...queryOf(filters), format: "csv" })}`;

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{speaker.t("audit.title")}</h2>
      <div class="verify">
        <button type="button" disabled={verifying} onClick={() => void verify()}>
          {speaker.t("audit.verify")}
        </button>
        <div role="status" data-testid="verify-result">
          {verification && (
            <p class={verification.ok ? "ok" : "error"}>
              {verification.ok
                ? speaker.t("audit.verify.ok", { n: verification.rows })
                : speaker.t("audit.verify.broken", { problem: verification.problem ?? "" })}
              {verification.head && (
                <>
                  <br />
                  <bdi dir="ltr">
                    {speaker.t("audit.head", {
                      id: verification.head.id,
                      hash: verification.head.hash.slice(0, 16),
                    })}
                  </bdi>
                </>
              )}
            </p>
          )}
        </div>
      </div>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          list.apply();
        }}
      >
        <label for="audit-user">{speaker.t("audit.user")}</label>
        <input type="text" dir="ltr" size={12} {...field("user")} />
        <label for="audit-action">{speaker.t("audit.action")}</label>
        <input type="text" dir="ltr" size={10} {...field("action")} />
        <label for="audit-outcome">{speaker.t("audit.outcome")}</label>
        <select {...field("outcome")}>
          <option value="">{speaker.t("audit.outcome.any")}</option>
          {OUTCOMES.map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
        <label for="audit-since">{speaker.t("audit.since")}</label>
        <input type="datetime-local" {...field("since")} />
        <label for="audit-until">{speaker.t("audit.until")}</label>
        <input type="datetime-local" {...field("until")} />
        <button type="submit">{speaker.t("audit.apply")}</button>
        <a class="button" href={csvHref} download="astrix-audit.csv">{speaker.t("audit.csv")}</a>
      </form>
      <ErrorNote error={error} />
      {!loading && rows.length === 0
        ? <p>{speaker.t("audit.empty")}</p>
        : (
          <table class="audit" aria-busy={loading}>
            <thead>
              <tr>
                {(["time", "user", "role", "action", "target", "outcome", "status", "job"] as const)
                  .map((column) => (
                    <th scope="col" key={column}>{speaker.t(`audit.${column}` as MessageKey)}</th>
                  ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-audit-row={row.id}>
                  <td>
                    <time dateTime={row.time}>{speaker.dateTime(row.time)}</time>
                  </td>
                  <td>
                    <bdi dir="ltr">{row.user}</bdi>
                  </td>
                  <td>{row.role ?? ""}</td>
                  <td>
                    <bdi dir="ltr">{row.action}</bdi>
                  </td>
                  <td>
                    <bdi dir="ltr">{row.target ?? ""}</bdi>
                  </td>
                  <td>{row.outcome ?? ""}</td>
                  <td class="num">{row.status === null ? "" : speaker.number(row.status)}</td>
                  <td>
                    <bdi dir="ltr">{row.job ?? ""}</bdi>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      {cursor && (
        <button
          type="button"
          disabled={loading}
          onClick={list.more}
        >
          {speaker.t("audit.more")}
        </button>
      )}
    </section>
  );
}
