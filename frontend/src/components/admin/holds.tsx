// Retention and holds: the holds in force (footage the retention may not destroy) and
// those released, each release with its reason; and per camera the retention in force
// and the oldest footage still kept. Holds are placed from a requisition or the camera
// page; here they are reviewed and released.
import { useEffect, useState } from "preact/hooks";

import { api } from "../../lib/api";
import { useCameras } from "../../lib/cameras";
import type { Hold } from "../../lib/holds";
import { formatTime, messages } from "../../lib/i18n";
import { useResource } from "../../lib/resource";
import { can } from "../../lib/session";
import { DataTable, Notice } from "../data-table";
import { formatBytes, formatNumber, refusal, type StorageReport } from "./model";
import { words } from "./words";

const t = messages({
  fr: {
    in_force: "En vigueur",
    released: "Levés",
    number: "N°",
    camera: "Caméra",
    range: "Images conservées",
    reason: "Motif",
    requisition: "Réquisition",
    placed: "Posé par",
    release: "Lever le scellé",
    release_reason: "Motif de la levée (décision du parquet…)",
    release_confirm: "Lever",
    released_by: "Levé par",
    released_ok: "Scellé n° {id} levé : ses images suivront la durée de conservation.",
    reason_needed: "Indiquez le motif de la levée.",
    none: "Aucun scellé.",
    retention_title: "Durée de conservation par caméra",
    retention: "Durée autorisée",
    oldest: "Images les plus anciennes",
    stored: "Volume",
    days: "{n} j",
    lapses: "Échéance {date}",
    renew: "Renouveler 30 jours",
    renew_reason: "La réquisition est attendue",
    renewed_ok: "Scellé n° {id} renouvelé jusqu'au {date}.",
  },
  en: {
    in_force: "In force",
    released: "Released",
    number: "No.",
    camera: "Camera",
    range: "Footage held",
    reason: "Reason",
    requisition: "Requisition",
    placed: "Placed by",
    release: "Release the hold",
    release_reason: "Why it is released (prosecutor's decision…)",
    release_confirm: "Release",
    released_by: "Released by",
    released_ok: "Hold no. {id} released: its footage follows the retention again.",
    reason_needed: "Give the reason for the release.",
    none: "No hold.",
    retention_title: "Retention per camera",
    retention: "Authorised retention",
    oldest: "Oldest footage",
    stored: "Volume",
    days: "{n} d",
    lapses: "Lapses {date}",
    renew: "Renew for 30 days",
    renew_reason: "The requisition is expected",
    renewed_ok: "Hold no. {id} renewed until {date}.",
  },
});

const refused = (e: unknown) => refusal(e, () => null);

export function HoldsTab() {
  const [active, setActive] = useState(true);
  const holds = useResource((signal) => api<Hold[]>("/api/holds", { query: { active }, signal }), [active], { describe: refused });
  const [releasing, setReleasing] = useState<number | null>(null);
  const [reason, setReason] = useState("");
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);

  const load = holds.reload;

  const renew = async (id: number) => {
    try {
      const h = await api<Hold>(`/api/holds/${id}/renew`, {
        method: "POST",
        body: { days: 30, reason: t("renew_reason") },
      });
      setNotice({ ok: true, text: t("renewed_ok", { id, date: formatTime(h.expires_at ?? "", false) }) });
    } catch (e) {
      setNotice({ ok: false, text: refusal(e, () => null) });
    }
    await load();
  };

  const release = async (id: number) => {
    if (!reason.trim()) return setNotice({ ok: false, text: t("reason_needed") });
    try {
      await api(`/api/holds/${id}/release`, { method: "POST", body: { reason: reason.trim() } });
      setNotice({ ok: true, text: t("released_ok", { id }) });
      setReleasing(null);
      setReason("");
    } catch (e) {
      setNotice({ ok: false, text: refusal(e, () => null) });
    }
    await load();
  };

  const releaseCell = (h: Hold) =>
    h.active ? (
      releasing === h.id ? (
        <div class="release">
          <input
            aria-label={t("release_reason")}
            placeholder={t("release_reason")}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          <button type="button" class="danger" onClick={() => void release(h.id)}>
            {t("release_confirm")}
          </button>
          <button type="button" class="link" onClick={() => setReleasing(null)}>
            {words("cancel")}
          </button>
        </div>
      ) : (
        <button type="button" onClick={() => setReleasing(h.id)}>
          {t("release")}
        </button>
      )
    ) : (
      <>
        {h.released_by}
        <div class="sub">{formatTime(h.released_at, false)}</div>
        <div class="sub">{h.release_reason}</div>
      </>
    );

  return (
    <div class="holds">
      <div class="toolbar segmented">
        <button type="button" class={active ? "primary" : ""} onClick={() => setActive(true)}>
          {t("in_force")}
        </button>
        <button type="button" class={active ? "" : "primary"} onClick={() => setActive(false)}>
          {t("released")}
        </button>
      </div>
      <Notice notice={notice} />
      <DataTable
        rows={holds.data}
        error={holds.error}
        retry={load}
        testId="holds"
        empty={t("none")}
        rowKey={(h) => h.id}
        rowProps={(h) => ({ "data-hold": h.id })}
        columns={[
          { head: t("number"), cell: (h) => h.id },
          { head: t("camera"), cell: (h) => <code>{h.camera}</code> },
          {
            head: t("range"),
            cell: (h) => (
              <>
                {formatTime(h.start)} → {formatTime(h.end)}
                {h.active && h.expires_at && (
                  <div class="sub" data-testid="hold-lapses">
                    {t("lapses", { date: formatTime(h.expires_at, false) })}{" "}
                    <button type="button" class="link" onClick={() => void renew(h.id)}>
                      {t("renew")}
                    </button>
                  </div>
                )}
              </>
            ),
          },
          { head: t("reason"), cell: (h) => h.reason },
          {
            head: t("requisition"),
            cell: (h) => (h.requisition_id ? <a href={`#/requisitions/${h.requisition_id}`}>{h.requisition_id}</a> : "—"),
          },
          {
            head: t("placed"),
            cell: (h) => (
              <>
                {h.created_by}
                <div class="sub">{formatTime(h.created_at, false)}</div>
              </>
            ),
          },
          { head: active ? "" : t("released_by"), cell: releaseCell },
        ]}
      />
      <RetentionTable />
    </div>
  );
}

function RetentionTable() {
  const cameras = useCameras(null).cameras ?? [];
  const [storage, setStorage] = useState<StorageReport | null>(null);
  useEffect(() => {
    if (can("storage.read"))
      void api<StorageReport>("/api/storage")
        .then(setStorage)
        .catch(() => undefined);
  }, []);
  if (cameras.length === 0) return null;
  const stored = new Map((storage?.cameras ?? []).map((c) => [c.camera_id, c]));
  return (
    <>
      <h2>{t("retention_title")}</h2>
      <DataTable
        rows={cameras}
        testId="retention"
        class="compact"
        rowKey={(c) => c.id}
        columns={[
          {
            head: t("camera"),
            cell: (c) => (
              <>
                {c.name} <code>{c.id}</code>
              </>
            ),
          },
          { head: t("retention"), cell: (c) => t("days", { n: formatNumber(c.retention_days, 1) }) },
          { head: t("oldest"), cell: (c) => formatTime(stored.get(c.id)?.oldest ?? null, false) },
          { head: t("stored"), cell: (c) => (storage ? formatBytes(stored.get(c.id)?.bytes ?? 0) : "—") },
        ]}
      />
    </>
  );
}
