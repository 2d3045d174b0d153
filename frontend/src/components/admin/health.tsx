// The health page: the disk (use, write rate, the days of footage that fit against the
// longest retention), the alerts, and every camera's last 24 hours as small charts
// (status, frame rate, bitrate) with its availability. Refreshed every minute, as the
// samples are taken.
import { useEffect, useState } from "preact/hooks";

import { api } from "../../lib/api";
import { type Camera, loadCameras } from "../../lib/cameras";
import { messages } from "../../lib/i18n";
import { usePoll } from "../../lib/poll";
import { Loading } from "../data-table";
import { HealthAlerts } from "./health-alerts";
import { type CameraHealth, formatBitrate, formatBytes, formatNumber, type HealthSummary, refusal, type StorageReport } from "./model";
import { CameraCharts } from "./sparkline";
import { statusBadge, statusName, words } from "./words";

const t = messages({
  fr: {
    disk: "Disque des enregistrements",
    used: "{used} utilisés sur {total}",
    free: "{free} libres (seuil réservé : {floor})",
    forecast: "Prévision",
    forecast_days: "{days} jours d'images tiennent au rythme actuel",
    forecast_none: "Rien n'est écrit en ce moment : pas de prévision.",
    retention_ok: "couvre la plus longue conservation ({days} j)",
    retention_short: "ne couvre pas la plus longue conservation ({days} j)",
    rate: "Écriture",
    per_day: "{bytes} par jour, {total} en archive",
    availability: "Disponibilité sur 24 h",
    availability_mean: "{pct} % en moyenne, {n} caméra(s)",
    cameras: "Caméras, dernières 24 heures",
    status_runs: "État au fil des heures",
    fps: "Images/s",
    bitrate: "Débit",
    available: "{pct} % disponible",
    not_measured: "pas encore mesuré",
    samples: "{n} mesure(s)",
    storage_unavailable: "Rapport de stockage indisponible.",
    hours_ago: "il y a 24 h",
    now: "maintenant",
  },
  en: {
    disk: "Recording disk",
    used: "{used} used of {total}",
    free: "{free} free (reserved floor: {floor})",
    forecast: "Forecast",
    forecast_days: "{days} days of footage fit at the current rate",
    forecast_none: "Nothing is being written: no forecast.",
    retention_ok: "covers the longest retention ({days} d)",
    retention_short: "does not cover the longest retention ({days} d)",
    rate: "Writing",
    per_day: "{bytes} a day, {total} archived",
    availability: "Availability over 24 h",
    availability_mean: "{pct} % on average, {n} camera(s)",
    cameras: "Cameras, last 24 hours",
    status_runs: "Status over the hours",
    fps: "Frames/s",
    bitrate: "Bitrate",
    available: "{pct} % available",
    not_measured: "not measured yet",
    samples: "{n} sample(s)",
    storage_unavailable: "Storage report unavailable.",
    hours_ago: "24 h ago",
    now: "now",
  },
});

const HOURS = 24;
const PARALLEL = 4;

/** `work` over `items`, at most `limit` at a time. */
async function pooled<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const runners = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(runners);
}

/** The mean availability of the cameras that have one (null: none has). */
export function meanAvailability(summaries: HealthSummary[]): number | null {
  const known = summaries.map((s) => s.availability_percent).filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
}

export function HealthTab() {
  const [storage, setStorage] = useState<StorageReport | null>(null);
  const [storageError, setStorageError] = useState(false);
  const [summaries, setSummaries] = useState<HealthSummary[] | null>(null);
  const [series, setSeries] = useState<Record<string, CameraHealth>>({});
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    api<StorageReport>("/api/storage")
      .then((s) => {
        setStorage(s);
        setStorageError(false);
      })
      .catch(() => setStorageError(true));
    loadCameras()
      .then(setCameras)
      .catch(() => undefined);
    try {
      const list = await api<HealthSummary[]>("/api/camera-health", { query: { hours: HOURS } });
      setSummaries(list);
      setError(null);
      await pooled(list, PARALLEL, async (s) => {
        const one = await api<CameraHealth>(`/api/cameras/${encodeURIComponent(s.camera)}/health`, { query: { hours: HOURS } });
        setSeries((prev) => ({ ...prev, [s.camera]: one }));
      });
    } catch (e) {
      setError(refusal(e, () => null));
    }
  };
  useEffect(() => void load(), []);
  usePoll(load, 60_000);

  const mean = summaries ? meanAvailability(summaries) : null;
  return (
    <div class="health">
      <div class="health-top">
        <section class="card" data-testid="storage">
          <h2>{t("disk")}</h2>
          {storage ? (
            <>
              <DiskBar storage={storage} />
              <p>
                {t("used", {
                  used: formatBytes(storage.disk_total_bytes - storage.disk_free_bytes),
                  total: formatBytes(storage.disk_total_bytes),
                })}
              </p>
              <p class="muted-text">{t("free", { free: formatBytes(storage.disk_free_bytes), floor: formatBytes(storage.floor_bytes) })}</p>
            </>
          ) : (
            <p class="muted-text">{storageError ? t("storage_unavailable") : words("loading")}</p>
          )}
        </section>
        <section class="card" data-testid="forecast">
          <h2>{t("forecast")}</h2>
          {storage &&
            (storage.forecast_days === null ? (
              <p class="muted-text">{t("forecast_none")}</p>
            ) : (
              <>
                <p class="big">{t("forecast_days", { days: formatNumber(storage.forecast_days) })}</p>
                <span class={`badge ${storage.covers_retention ? "ok" : "bad"}`}>
                  {t(storage.covers_retention ? "retention_ok" : "retention_short", { days: formatNumber(storage.longest_retention_days) })}
                </span>
              </>
            ))}
        </section>
        <section class="card">
          <h2>{t("rate")}</h2>
          {storage && <p>{t("per_day", { bytes: formatBytes(storage.bytes_per_day), total: formatBytes(storage.total_bytes) })}</p>}
          <h2>{t("availability")}</h2>
          {summaries && (
            <p>{mean === null ? t("not_measured") : t("availability_mean", { pct: formatNumber(mean, 2), n: summaries.length })}</p>
          )}
        </section>
      </div>
      <HealthAlerts cameras={cameras} storage={storage} />
      <h2>{t("cameras")}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {summaries === null ? (
        <Loading />
      ) : (
        <div class="camera-grid">
          {summaries.map((s) => {
            const one = series[s.camera];
            return (
              <article key={s.camera} class="card camera-health" data-testid="camera-health" data-camera={s.camera}>
                <header>
                  <strong>{s.name}</strong>
                  <span class={`badge ${statusBadge(s.status)}`}>{statusName(s.status)}</span>
                </header>
                <p class="sub">
                  {s.availability_percent === null ? t("not_measured") : t("available", { pct: formatNumber(s.availability_percent, 2) })} ·{" "}
                  {t("samples", { n: s.samples })} · {formatNumber(s.fps_mean)} i/s · {formatBitrate(s.bitrate_mean_bps)}
                </p>
                {one ? (
                  <CameraCharts
                    camera={s.camera}
                    samples={one.samples}
                    start={Date.parse(one.start)}
                    end={Date.parse(one.end)}
                    intervalMs={one.interval_s * 1000}
                    statusLabel={t("status_runs")}
                    fpsLabel={t("fps")}
                    bitrateLabel={t("bitrate")}
                    bitrate={formatBitrate}
                  />
                ) : (
                  <Loading />
                )}
                <div class="axis-labels">
                  <span>{t("hours_ago")}</span>
                  <span>{t("now")}</span>
                </div>
              </article>
            );
          })}
        </div>
      )}
    </div>
  );
}

function DiskBar({ storage }: { storage: StorageReport }) {
  const total = storage.disk_total_bytes || 1;
  const used = (storage.disk_total_bytes - storage.disk_free_bytes) / total;
  const footage = Math.min(used, storage.total_bytes / total);
  const floor = storage.floor_bytes / total;
  return (
    <svg
      viewBox="0 0 300 14"
      width="100%"
      height="14"
      preserveAspectRatio="none"
      class="diskbar"
      role="img"
      aria-label={`${Math.round(used * 100)} %`}
    >
      <rect x="0" y="0" width="300" height="14" class="free" />
      <rect x="0" y="0" width={used * 300} height="14" class="used" />
      <rect x="0" y="0" width={footage * 300} height="14" class="footage" />
      <line x1={300 - floor * 300} x2={300 - floor * 300} y1="0" y2="14" class="floor" />
    </svg>
  );
}
