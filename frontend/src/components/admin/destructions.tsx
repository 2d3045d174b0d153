// The destruction register: what footage the retention (or disk pressure, before its
// time) destroyed, of which camera, and when. Read by the auditor, who sees no image:
// it proves that nothing is kept longer than authorised.
import { useState } from "preact/hooks";

import type { Schema } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { type Column, DataTable } from "../data-table";
import { formatBytes } from "./model";
import { usePaged } from "./paged";

const t = messages({
  fr: {
    camera: "Caméra",
    reason: "Motif",
    all: "Tous",
    retention: "Durée de conservation échue",
    disk_pressure: "Disque plein (avant l'échéance)",
    clock_step: "Durée échue (horodatage faussé par un saut d'horloge)",
    search: "Rechercher",
    destroyed_at: "Détruit le",
    footage: "Images détruites",
    commune: "Commune",
    segments: "Segments",
    volume: "Volume",
    none: "Aucune destruction enregistrée.",
  },
  en: {
    camera: "Camera",
    reason: "Reason",
    all: "All",
    retention: "Retention period over",
    disk_pressure: "Disk full (before its time)",
    clock_step: "Retention over (times skewed by a clock step)",
    search: "Search",
    destroyed_at: "Destroyed at",
    footage: "Footage destroyed",
    commune: "Commune",
    segments: "Segments",
    volume: "Volume",
    none: "No destruction recorded.",
  },
});

type Destruction = Schema<"DestructionOut">;
type Reason = "retention" | "disk_pressure" | "clock_step";

const columns = (): Column<Destruction>[] => [
  { head: t("destroyed_at"), cell: (d) => formatTime(d.destroyed_at), class: "nowrap" },
  {
    head: t("camera"),
    cell: (d) => (
      <>
        {d.camera_name ?? ""} <code>{d.camera}</code>
      </>
    ),
  },
  { head: t("commune"), cell: (d) => d.commune ?? "—" },
  {
    head: t("footage"),
    cell: (d) => (
      <>
        {formatTime(d.start, false)} → {formatTime(d.end, false)}
      </>
    ),
  },
  { head: t("segments"), cell: (d) => d.segments },
  { head: t("volume"), cell: (d) => formatBytes(d.bytes) },
  { head: t("reason"), cell: (d) => <span class={`badge ${d.reason === "disk_pressure" ? "warn" : ""}`}>{t(d.reason as Reason)}</span> },
];

export function DestructionsTab() {
  const [camera, setCamera] = useState("");
  const [reason, setReason] = useState("");
  const { entries, cursor, error, search: find, more } = usePaged<Destruction>("/api/destructions");

  const search = (e: Event) => {
    e.preventDefault();
    find({ camera: camera.trim(), reason });
  };

  return (
    <div class="destructions">
      <form class="toolbar" onSubmit={search}>
        <label>
          {t("camera")}
          <input name="camera" value={camera} onInput={(e) => setCamera((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          {t("reason")}
          <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
            <option value="">{t("all")}</option>
            <option value="retention">{t("retention")}</option>
            <option value="disk_pressure">{t("disk_pressure")}</option>
            <option value="clock_step">{t("clock_step")}</option>
          </select>
        </label>
        <button type="submit" class="primary">
          {t("search")}
        </button>
      </form>
      <DataTable
        rows={entries}
        more={cursor !== null ? more : null}
        error={error}
        testId="destructions"
        class="compact"
        empty={t("none")}
        emptyTestId="destructions-empty"
        rowKey={(d) => d.id}
        columns={columns()}
      />
    </div>
  );
}
