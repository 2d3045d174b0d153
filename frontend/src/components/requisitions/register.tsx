// The requisitions register: filters (state, year, procedure) kept in the address, the
// list, and links to the CSV, the printable register and the export register.
import { useEffect, useState } from "preact/hooks";

import { api, apiUrl } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { errorText } from "../../lib/poll";
import { href, navigate, type Route } from "../../lib/router";
import { can } from "../../lib/session";
import { label, type Requisition, STATES, stateBadge } from "./model";

const t = messages({
  fr: {
    title: "Registre des réquisitions",
    new: "Nouvelle réquisition",
    state: "État",
    all: "Tous",
    year: "Année",
    procedure: "N° de procédure",
    filter: "Filtrer",
    csv: "Registre (CSV)",
    print: "Registre imprimable",
    exports: "Registre des extractions",
    number: "Numéro",
    received: "Reçue le",
    authority: "Autorité",
    cameras: "Caméras et plages",
    delivery: "Remise",
    none: "Aucune réquisition ne correspond.",
    loading: "Chargement…",
    count: "{n} réquisition(s)",
  },
  en: {
    title: "Requisitions register",
    new: "New requisition",
    state: "State",
    all: "All",
    year: "Year",
    procedure: "Procedure number",
    filter: "Filter",
    csv: "Register (CSV)",
    print: "Printable register",
    exports: "Export register",
    number: "Number",
    received: "Received",
    authority: "Authority",
    cameras: "Cameras and ranges",
    delivery: "Delivery",
    none: "No requisition matches.",
    loading: "Loading…",
    count: "{n} requisition(s)",
  },
});

export function filtersOf(params: URLSearchParams): { state?: string; year?: string; procedure?: string } {
  const state = params.get("state") ?? "";
  const year = params.get("year") ?? "";
  const procedure = params.get("procedure") ?? "";
  return {
    state: (STATES as readonly string[]).includes(state) ? state : undefined,
    year: /^\d{4}$/.test(year) ? year : undefined,
    procedure: procedure.trim() || undefined,
  };
}

function Range({ start, end }: { start: string; end: string }) {
  return (
    <span class="range">
      {formatTime(start)} → {formatTime(end)}
    </span>
  );
}

export function Register({ route }: { route: Route }) {
  const filters = filtersOf(route.params);
  const key = JSON.stringify(filters);
  const [rows, setRows] = useState<Requisition[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [procedure, setProcedure] = useState(filters.procedure ?? "");

  useEffect(() => {
    let live = true;
    setRows(null);
    setError(null);
    api<Requisition[]>("/api/requisitions", { query: filters })
      .then((r) => live && setRows(r))
      .catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [key]);

  const apply = (change: Record<string, string | undefined>) =>
    navigate("requisitions", { ...filters, ...change });
  const thisYear = new Date().getFullYear();
  const years = [thisYear, thisYear - 1, thisYear - 2, thisYear - 3];

  return (
    <section class="requisitions">
      <div class="heading">
        <h1>{t("title")}</h1>
        {can("requisition.manage") && (
          <a class="button primary" href={href("requisitions/new")} data-testid="new-requisition">
            {t("new")}
          </a>
        )}
      </div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          apply({ procedure: procedure.trim() || undefined });
        }}
      >
        <label>
          {t("state")}
          <select
            value={filters.state ?? ""}
            data-testid="filter-state"
            onChange={(e) => apply({ state: (e.target as HTMLSelectElement).value || undefined })}
          >
            <option value="">{t("all")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("year")}
          <select
            value={filters.year ?? ""}
            onChange={(e) => apply({ year: (e.target as HTMLSelectElement).value || undefined })}
          >
            <option value="">{t("all")}</option>
            {years.map((y) => (
              <option key={y} value={String(y)}>
                {y}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("procedure")}
          <input
            value={procedure}
            maxLength={100}
            data-testid="filter-procedure"
            onInput={(e) => setProcedure((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">{t("filter")}</button>
        <span class="spacer" />
        <a class="button" href={apiUrl("/api/requisitions", { ...filters, format: "csv" })} download>
          {t("csv")}
        </a>
        <a class="button" href={apiUrl("/api/requisitions", { ...filters, format: "html" })} target="_blank" rel="noopener">
          {t("print")}
        </a>
        <a class="button" href={href("requisitions/exports")}>
          {t("exports")}
        </a>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows === null && !error && <p class="loading">{t("loading")}</p>}
      {rows && rows.length === 0 && <p class="empty">{t("none")}</p>}
      {rows && rows.length > 0 && (
        <>
          <p class="muted">{t("count", { n: rows.length })}</p>
          <table class="list" data-testid="requisition-register">
            <thead>
              <tr>
                <th>{t("number")}</th>
                <th>{t("received")}</th>
                <th>{t("authority")}</th>
                <th>{t("procedure")}</th>
                <th>{t("cameras")}</th>
                <th>{t("state")}</th>
                <th>{t("delivery")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="requisition-row" data-number={r.number}>
                  <td>
                    <a href={href(`requisitions/${r.id}`)}>{r.number}</a>
                  </td>
                  <td>{formatTime(r.received_at, false)}</td>
                  <td>
                    {r.authority.rank ? `${r.authority.rank} ` : ""}
                    {r.authority.name}
                    <div class="muted">{r.authority.service}</div>
                  </td>
                  <td>{r.procedure}</td>
                  <td class="items">
                    {r.items.map((i, n) => (
                      <div key={n}>
                        <code>{i.camera}</code> <Range start={i.start} end={i.end} />
                      </div>
                    ))}
                  </td>
                  <td>
                    <span class={`badge ${stateBadge(r.state)}`} data-testid="requisition-state">
                      {label(r.state)}
                    </span>
                  </td>
                  <td>
                    {r.delivery ? (
                      <>
                        {r.delivery.to}
                        <div class="muted">
                          {formatTime(r.delivery.at, false)} · {r.delivery.medium}
                        </div>
                      </>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
