// The export register (arrêté du 3 août 2007, art. 3): every package made, the filmed
// period, who exported it, in the reader's scope.
import { useEffect, useState } from "preact/hooks";

import { api, apiUrl } from "../../lib/api";
import { formatDuration, formatTime, messages } from "../../lib/i18n";
import { errorText } from "../../lib/poll";
import { href } from "../../lib/router";
import { exportBadge, label, type RegisterEntry } from "./model";

const t = messages({
  fr: {
    title: "Registre des extractions",
    back: "← Registre des réquisitions",
    csv: "Registre des extractions (CSV)",
    id: "N°",
    requisition: "Réquisition",
    period: "Période filmée",
    duration: "Durée",
    cameras: "Caméras",
    exported: "Extraite le",
    by: "Par",
    status: "État",
    none: "Aucune extraction.",
    loading: "Chargement…",
  },
  en: {
    title: "Export register",
    back: "← Requisitions register",
    csv: "Export register (CSV)",
    id: "No.",
    requisition: "Requisition",
    period: "Filmed period",
    duration: "Duration",
    cameras: "Cameras",
    exported: "Exported",
    by: "By",
    status: "Status",
    none: "No export.",
    loading: "Loading…",
  },
});

export function ExportRegister() {
  const [rows, setRows] = useState<RegisterEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ exports: RegisterEntry[] }>("/api/exports")
      .then((r) => setRows([...r.exports].reverse()))
      .catch((e) => setError(errorText(e)));
  }, []);

  return (
    <section class="requisitions">
      <p>
        <a href={href("requisitions")}>{t("back")}</a>
      </p>
      <div class="heading">
        <h1>{t("title")}</h1>
        <a class="button" href={apiUrl("/api/exports", { format: "csv" })} download>
          {t("csv")}
        </a>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows === null && !error && <p class="loading">{t("loading")}</p>}
      {rows && rows.length === 0 && <p class="empty">{t("none")}</p>}
      {rows && rows.length > 0 && (
        <table class="list" data-testid="export-register">
          <thead>
            <tr>
              <th>{t("id")}</th>
              <th>{t("requisition")}</th>
              <th>{t("period")}</th>
              <th>{t("duration")}</th>
              <th>{t("cameras")}</th>
              <th>{t("exported")}</th>
              <th>{t("by")}</th>
              <th>{t("status")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{r.id}</td>
                <td>{r.requisition}</td>
                <td>
                  {formatTime(r.images_start)} → {formatTime(r.images_end)}
                </td>
                <td>{r.duration_s === null ? "—" : formatDuration(r.duration_s)}</td>
                <td>{r.cameras.join(", ")}</td>
                <td>{formatTime(r.exported_at)}</td>
                <td>
                  {r.exported_by} <span class="muted">({r.role})</span>
                </td>
                <td>
                  <span class={`badge ${exportBadge(r.status)}`}>{label(r.status)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
