// "Exporter cette plage": the marked range of one camera goes into a new requisition or
// an open one (its ranges are held at once), then the sealed package is built; the
// dialog follows the job and offers the ZIP when it is done.
import { useEffect, useState } from "preact/hooks";

import { ApiError, api } from "../lib/api";
import { formatDuration, messages } from "../lib/i18n";
import { iso, parisInputToUtc, utcToParisInput } from "../lib/paris";
import { emptyFields, NewRequisitionForm, type NewRequisitionFields, requisitionBody } from "./export-dialog-form";

const t = messages({
  fr: {
    title: "Exporter cette plage",
    camera: "Caméra",
    start: "Début (heure de Paris)",
    end: "Fin (heure de Paris)",
    length: "Durée",
    into: "Réquisition",
    new: "Nouvelle réquisition",
    existing: "Ajouter à une réquisition en cours",
    none_open: "Aucune réquisition en cours dans vos communes.",
    choose: "— choisir —",
    whole: "Le paquet contiendra toutes les plages de la réquisition, celle-ci comprise.",
    submit: "Enregistrer et exporter",
    sending: "Enregistrement…",
    close: "Fermer",
    cancel: "Annuler",
    bad_range: "Indiquez un début et une fin valides, la fin après le début.",
    bad_received: "Date de réception invalide.",
    recorded: "Réquisition {number} : plage enregistrée et gelée.",
    retry: "Relancer l'export",
    queued: "En attente…",
    running: "Extraction en cours…",
    done: "Paquet scellé prêt.",
    failed: "L'export a échoué : {error}",
    download: "Télécharger le paquet ({size})",
    open_requisition: "Ouvrir la réquisition",
  },
  en: {
    title: "Export this range",
    camera: "Camera",
    start: "Start (Paris time)",
    end: "End (Paris time)",
    length: "Length",
    into: "Requisition",
    new: "New requisition",
    existing: "Add to an open requisition",
    none_open: "No open requisition in your communes.",
    choose: "— choose —",
    whole: "The package will hold every range of the requisition, this one included.",
    submit: "Record and export",
    sending: "Recording…",
    close: "Close",
    cancel: "Cancel",
    bad_range: "Give a valid start and end, the end after the start.",
    bad_received: "Invalid date of receipt.",
    recorded: "Requisition {number}: range recorded and held.",
    retry: "Start the export again",
    queued: "Queued…",
    running: "Extracting…",
    done: "Sealed package ready.",
    failed: "The export failed: {error}",
    download: "Download the package ({size})",
    open_requisition: "Open the requisition",
  },
});

interface RequisitionRef {
  id: number;
  number: string;
  state: string;
  procedure: string;
  authority: { name: string; rank: string | null; service: string };
}

interface ExportJob {
  id: number;
  status: "queued" | "running" | "done" | "failed";
  progress: number;
  download: string | null;
  error: string | null;
  bytes: number | null;
}

/** The API's refusal in words: its detail, or each field's problem for a 422. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (typeof e.detail === "string") return e.detail;
    if (Array.isArray(e.detail)) {
      return e.detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).slice(1).join(".")} : ${d.msg ?? ""}`).join(" ; ");
    }
    return `HTTP ${e.status}`;
  }
  return String(e);
}

function who(r: RequisitionRef): string {
  const a = r.authority;
  return `${[a.rank, a.name].filter(Boolean).join(" ")} (${a.service})`;
}

function megabytes(bytes: number | null): string {
  return bytes === null ? "—" : `${(bytes / 1e6).toFixed(1)} Mo`;
}

export interface ExportDialogProps {
  camera: string;
  cameraName: string;
  start: number;
  end: number;
  /** A requisition was recorded or changed (its holds now show on the timeline). */
  onChanged: () => void;
  onClose: () => void;
}

export function ExportDialog(props: ExportDialogProps) {
  const [startText, setStartText] = useState(utcToParisInput(props.start));
  const [endText, setEndText] = useState(utcToParisInput(props.end));
  const [mode, setMode] = useState<"new" | "existing">("new");
  const [fields, setFields] = useState<NewRequisitionFields>(() => emptyFields(utcToParisInput(Date.now())));
  const [open, setOpen] = useState<RequisitionRef[] | null>(null);
  const [chosen, setChosen] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [req, setReq] = useState<RequisitionRef | null>(null);
  const [job, setJob] = useState<ExportJob | null>(null);

  useEffect(() => {
    api<RequisitionRef[]>("/api/requisitions")
      .then((list) => setOpen(list.filter((r) => r.state === "received" || r.state === "extracting")))
      .catch(() => setOpen([]));
  }, []);

  useEffect(() => {
    if (!job || job.status === "done" || job.status === "failed") return;
    const timer = window.setTimeout(() => {
      api<ExportJob>(`/api/exports/${job.id}`)
        .then(setJob)
        .catch((e: unknown) => setError(errorText(e)));
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [job]);

  const start = parisInputToUtc(startText);
  const end = parisInputToUtc(endText);
  const rangeOk = start !== null && end !== null && end > start;

  const startExport = async (target: RequisitionRef) => {
    const created = await api<{ id: number }>(`/api/requisitions/${target.id}/exports`, { method: "POST" });
    setJob({ id: created.id, status: "queued", progress: 0, download: null, error: null, bytes: null });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!rangeOk) {
      setError(t("bad_range"));
      return;
    }
    const items = [{ camera: props.camera, start: iso(start), end: iso(end) }];
    setBusy(true);
    try {
      let target = req;
      if (!target) {
        if (mode === "new") {
          const received = parisInputToUtc(fields.received);
          if (received === null) throw new Error(t("bad_received"));
          target = await api<RequisitionRef>("/api/requisitions", {
            method: "POST",
            body: { ...requisitionBody(fields), received_at: iso(received), items },
          });
        } else {
          target = await api<RequisitionRef>(`/api/requisitions/${chosen}/items`, { method: "POST", body: { items } });
        }
        setReq(target);
        props.onChanged();
      }
      await startExport(target);
    } catch (err) {
      setError(err instanceof Error && !(err instanceof ApiError) ? err.message : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const existingOk = mode === "new" || chosen !== "";
  return (
    <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && !busy && props.onClose()}>
      <div class="dialog card export-dialog" role="dialog" aria-modal="true" aria-labelledby="export-title" data-testid="export-dialog">
        <form class="dialog-form" onSubmit={submit}>
          <h2 id="export-title">{t("title")}</h2>
          <p>
            {t("camera")} : <strong>{props.cameraName}</strong> ({props.camera})
          </p>
          <div class="export-grid">
            <label>
              {t("start")}
              <input
                type="datetime-local"
                step={1}
                name="range_start"
                value={startText}
                disabled={!!req}
                onInput={(e) => setStartText(e.currentTarget.value)}
              />
            </label>
            <label>
              {t("end")}
              <input
                type="datetime-local"
                step={1}
                name="range_end"
                value={endText}
                disabled={!!req}
                onInput={(e) => setEndText(e.currentTarget.value)}
              />
            </label>
            <p class="export-length">
              {t("length")} : {rangeOk ? formatDuration((end - start) / 1000) : "—"}
            </p>
          </div>
          {!req && (
            <>
              <fieldset class="export-mode">
                <legend>{t("into")}</legend>
                <label class="inline">
                  <input type="radio" name="mode" checked={mode === "new"} onChange={() => setMode("new")} /> {t("new")}
                </label>
                <label class="inline">
                  <input type="radio" name="mode" checked={mode === "existing"} onChange={() => setMode("existing")} /> {t("existing")}
                </label>
              </fieldset>
              {mode === "new" ? (
                <NewRequisitionForm fields={fields} onChange={setFields} />
              ) : open && open.length === 0 ? (
                <p class="empty">{t("none_open")}</p>
              ) : (
                <label>
                  {t("into")}
                  <select name="requisition" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)} required>
                    <option value="">{t("choose")}</option>
                    {(open ?? []).map((r) => (
                      <option key={r.id} value={r.id}>
                        {r.number} · {r.procedure} · {who(r)}
                      </option>
                    ))}
                  </select>
                  <small>{t("whole")}</small>
                </label>
              )}
            </>
          )}
          {req && (
            <p class="export-recorded" data-testid="export-requisition">
              {t("recorded", { number: req.number })} <a href={`#/requisitions/${req.id}`}>{t("open_requisition")}</a>
            </p>
          )}
          {job && (
            <div class="export-job" data-testid="export-job" data-status={job.status}>
              <progress max={1} value={job.progress} data-testid="export-progress" />
              <span>
                {job.status === "failed" ? t("failed", { error: job.error ?? "" }) : t(job.status)} {Math.round(job.progress * 100)} %
              </span>
              {job.status === "done" && job.download && (
                <a class="button primary" href={job.download} download data-testid="export-download">
                  {t("download", { size: megabytes(job.bytes) })}
                </a>
              )}
            </div>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="toolbar dialog-actions">
            {(!job || job.status === "failed") && (
              <button type="submit" class="primary" disabled={busy || !rangeOk || !existingOk} data-testid="export-submit">
                {busy ? t("sending") : req ? t("retry") : t("submit")}
              </button>
            )}
            <button type="button" onClick={props.onClose} disabled={busy}>
              {job ? t("close") : t("cancel")}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
