// The requisitions register: filters (state, year, procedure) kept in the address, the
// list, and links to the CSV, the printable register and the export register.
import { useState } from "preact/hooks";

import { api, apiUrl } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { useResource } from "../../lib/resource";
import { href, navigate, type Route } from "../../lib/router";
import { can } from "../../lib/session";
import { DataTable } from "../data-table";
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
  const [procedure, setProcedure] = useState(filters.procedure ?? "");

  const requisitions = useResource((signal) => api<Requisition[]>("/api/requisitions", { query: filters, signal }), [key]);

  const apply = (change: Record<string, string | undefined>) => navigate("requisitions", { ...filters, ...change });
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
          <select value={filters.year ?? ""} onChange={(e) => apply({ year: (e.target as HTMLSelectElement).value || undefined })}>
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
      <DataTable
        rows={requisitions.data}
        error={requisitions.error}
        retry={requisitions.reload}
        testId="requisition-register"
        empty={t("none")}
        caption={<p class="muted">{t("count", { n: requisitions.data?.length ?? 0 })}</p>}
        rowKey={(r) => r.id}
        rowProps={(r) => ({ "data-testid": "requisition-row", "data-number": r.number })}
        columns={[
          { head: t("number"), cell: (r) => <a href={href(`requisitions/${r.id}`)}>{r.number}</a> },
          { head: t("received"), cell: (r) => formatTime(r.received_at, false) },
          {
            head: t("authority"),
            cell: (r) => (
              <>
                {r.authority.rank ? `${r.authority.rank} ` : ""}
                {r.authority.name}
                <div class="muted">{r.authority.service}</div>
              </>
            ),
          },
          { head: t("procedure"), cell: (r) => r.procedure },
          {
            head: t("cameras"),
            class: "items",
            cell: (r) =>
              r.items.map((i, n) => (
                <div key={n}>
                  <code>{i.camera}</code> <Range start={i.start} end={i.end} />
                </div>
              )),
          },
          {
            head: t("state"),
            cell: (r) => (
              <span class={`badge ${stateBadge(r.state)}`} data-testid="requisition-state">
                {label(r.state)}
              </span>
            ),
          },
          {
            head: t("delivery"),
            cell: (r) =>
              r.delivery ? (
                <>
                  {r.delivery.to}
                  <div class="muted">
                    {formatTime(r.delivery.at, false)} · {r.delivery.medium}
                  </div>
                </>
              ) : (
                "—"
              ),
          },
        ]}
      />
    </section>
  );
}
