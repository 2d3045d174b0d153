// A requisition's sealed packages: start one, follow its progress, download it. The
// jobs of this requisition come from the export register (read once: each read is
// journaled); each unfinished job is then followed with GET /api/exports/{id}.
import { useEffect, useState } from "preact/hooks";

import { ApiError, api } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { errorText, usePoll } from "../../lib/poll";
import { can } from "../../lib/session";
import { type ExportJob, exportBadge, formatBytes, label, type RegisterEntry, type Requisition } from "./model";

const t = messages({
  fr: {
    title: "Extractions (paquets scellés)",
    start: "Lancer une extraction",
    starting: "Lancement…",
    none: "Aucune extraction pour cette réquisition.",
    download: "Télécharger le paquet (ZIP)",
    by: "par {who}",
    sha: "Empreinte du manifeste (SHA-256)",
    closed: "Réquisition close : plus d'extraction possible.",
    unavailable: "Le service d'extraction ne fonctionne pas ; réessayez plus tard.",
    progress: "Progression de l'extraction n° {id}",
  },
  en: {
    title: "Exports (sealed packages)",
    start: "Start an export",
    starting: "Starting…",
    none: "No export for this requisition.",
    download: "Download the package (ZIP)",
    by: "by {who}",
    sha: "Manifest fingerprint (SHA-256)",
    closed: "Requisition closed: no more exports.",
    unavailable: "The export service is not running; try again later.",
    progress: "Progress of export {id}",
  },
});

const FINAL = new Set(["done", "failed", "destroyed"]);

/** What the register says of a job the reader may not follow (no export.create). */
function fromRegister(e: RegisterEntry, req: Requisition): ExportJob {
  return {
    id: e.id,
    requisition: { id: req.id, number: req.number },
    status: e.status,
    progress: e.status === "done" ? 1 : 0,
    download: null,
    error: null,
    created_at: e.exported_at ?? "",
    finished_at: e.exported_at,
    exported_by: e.exported_by,
    bytes: null,
    manifest_sha256: null,
    attempts: 0, // the register does not say
  };
}

export function Exports({ req, onChanged }: { req: Requisition; onChanged: () => void }) {
  const [jobs, setJobs] = useState<ExportJob[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const follow = can("export.create");

  useEffect(() => {
    let live = true;
    (async () => {
      const register = await api<{ exports: RegisterEntry[] }>("/api/exports");
      const mine = register.exports.filter((e) => e.requisition === req.number).reverse();
      const full = follow
        ? await Promise.all(mine.map((e) => api<ExportJob>(`/api/exports/${e.id}`)))
        : mine.map((e) => fromRegister(e, req));
      if (live) setJobs(full);
    })().catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [req.id]);

  const running = follow && jobs.some((j) => !FINAL.has(j.status));
  usePoll(
    async () => {
      const next = await Promise.all(jobs.map((j) => (FINAL.has(j.status) ? j : api<ExportJob>(`/api/exports/${j.id}`))));
      setJobs(next);
      if (next.some((j, i) => FINAL.has(j.status) && !FINAL.has(jobs[i].status))) onChanged();
    },
    running ? 1000 : null,
    [jobs],
  );

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const { id } = await api<{ id: number }>(`/api/requisitions/${req.id}/exports`, { method: "POST" });
      const job = await api<ExportJob>(`/api/exports/${id}`);
      setJobs([job, ...jobs]);
      onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setError(t("closed"));
      else if (e instanceof ApiError && e.status === 503) setError(t("unavailable"));
      else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const closed = ["delivered", "no_footage", "refused"].includes(req.state);
  return (
    <section class="card exports" data-testid="exports">
      <div class="heading">
        <h2>{t("title")}</h2>
        {follow && !closed && (
          <button type="button" class="primary" disabled={busy} onClick={start} data-testid="start-export">
            {busy ? t("starting") : t("start")}
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {jobs.length === 0 && <p class="muted">{t("none")}</p>}
      <ul class="jobs">
        {jobs.map((j) => (
          <li key={j.id} data-testid="export-job" data-status={j.status}>
            <div class="job-head">
              <strong>n° {j.id}</strong>
              <span class={`badge ${exportBadge(j.status)}`} data-testid="export-status">
                {label(j.status)}
              </span>
              <span class="muted">
                {formatTime(j.created_at)} · {t("by", { who: j.exported_by })}
              </span>
              {j.bytes !== null && <span class="muted">{formatBytes(j.bytes)}</span>}
            </div>
            <div
              class={`progress ${j.status}`}
              role="progressbar"
              aria-label={t("progress", { id: j.id })}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={Math.round(j.progress * 100)}
              data-testid="export-progress"
            >
              <span style={{ width: `${Math.round(j.progress * 100)}%` }} />
            </div>
            {j.error && <p class="error">{j.error}</p>}
            {j.status === "done" && can("export.download") && (
              <a class="button" href={`/api/exports/${j.id}/download`} download data-testid="export-download">
                {t("download")}
              </a>
            )}
            {j.manifest_sha256 && (
              <div class="muted sha">
                {t("sha")} : <code>{j.manifest_sha256}</code>
              </div>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
