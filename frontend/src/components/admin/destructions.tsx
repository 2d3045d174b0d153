// The destruction register: what footage the retention (or disk pressure, before its
// time) destroyed, of which camera, and when. Read by the auditor, who sees no image:
// it proves that nothing is kept longer than authorised.
import { useState } from "preact/hooks";

import { formatTime, messages } from "../../lib/i18n";
import { formatBytes } from "./model";
import { usePaged } from "./paged";
import { words } from "./words";

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

interface Destruction {
  id: number;
  camera: string;
  camera_name: string | null;
  commune: string | null;
  start: string;
  end: string;
  segments: number;
  bytes: number;
  reason: "retention" | "disk_pressure" | "clock_step";
  destroyed_at: string;
}

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
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {entries === null ? (
        <p class="loading">{words("loading")}</p>
      ) : entries.length === 0 ? (
        <p class="empty" data-testid="destructions-empty">
          {t("none")}
        </p>
      ) : (
        <table class="list compact" data-testid="destructions">
          <thead>
            <tr>
              <th>{t("destroyed_at")}</th>
              <th>{t("camera")}</th>
              <th>{t("commune")}</th>
              <th>{t("footage")}</th>
              <th>{t("segments")}</th>
              <th>{t("volume")}</th>
              <th>{t("reason")}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((d) => (
              <tr key={d.id}>
                <td class="nowrap">{formatTime(d.destroyed_at)}</td>
                <td>
                  {d.camera_name ?? ""} <code>{d.camera}</code>
                </td>
                <td>{d.commune ?? "—"}</td>
                <td>
                  {formatTime(d.start, false)} → {formatTime(d.end, false)}
                </td>
                <td>{d.segments}</td>
                <td>{formatBytes(d.bytes)}</td>
                <td>
                  <span class={`badge ${d.reason === "disk_pressure" ? "warn" : ""}`}>{t(d.reason)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor !== null && (
        <button type="button" onClick={more}>
          {words("more")}
        </button>
      )}
    </div>
  );
}
