// The export register (arrêté du 3 août 2007, art. 3): every package made, the filmed
// period, who exported it, in the reader's scope.
import { api, apiUrl } from "../../lib/api";
import { formatDuration, formatTime, messages } from "../../lib/i18n";
import { useResource } from "../../lib/resource";
import { href } from "../../lib/router";
import { DataTable } from "../data-table";
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
  },
});

export function ExportRegister() {
  const register = useResource((signal) =>
    api<{ exports: RegisterEntry[] }>("/api/exports", { signal }).then((r) => [...r.exports].reverse()),
  );

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
      <DataTable
        rows={register.data}
        error={register.error}
        retry={register.reload}
        testId="export-register"
        empty={t("none")}
        rowKey={(r) => r.id}
        columns={[
          { head: t("id"), cell: (r) => r.id },
          { head: t("requisition"), cell: (r) => r.requisition },
          {
            head: t("period"),
            cell: (r) => (
              <>
                {formatTime(r.images_start)} → {formatTime(r.images_end)}
              </>
            ),
          },
          { head: t("duration"), cell: (r) => (r.duration_s === null ? "—" : formatDuration(r.duration_s)) },
          { head: t("cameras"), cell: (r) => r.cameras.join(", ") },
          { head: t("exported"), cell: (r) => formatTime(r.exported_at) },
          {
            head: t("by"),
            cell: (r) => (
              <>
                {r.exported_by} <span class="muted">({r.role})</span>
              </>
            ),
          },
          { head: t("status"), cell: (r) => <span class={`badge ${exportBadge(r.status)}`}>{label(r.status)}</span> },
        ]}
      />
    </section>
  );
}
