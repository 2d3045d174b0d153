// Recording a requisition: who requires it, on what legal basis, for which cameras and
// ranges (typed in Paris time, sent as UTC). `#/requisitions/new?camera=&start=&end=`
// (ISO instants) opens it pre-filled, e.g. from the timeline's "export this range".
import { useMemo, useState } from "preact/hooks";

import { ApiError, api } from "../../lib/api";
import { useCameras } from "../../lib/cameras";
import { messages } from "../../lib/i18n";
import { utcToParisInput } from "../../lib/paris";
import { errorText } from "../../lib/poll";
import { href, navigate, type Route } from "../../lib/router";
import { checkDraft, type Draft, type ItemDraft, LEGAL_BASES, label, type Problems, type Requisition, serverProblems } from "./model";

const t = messages({
  fr: {
    title: "Nouvelle réquisition",
    back: "← Registre",
    authority: "Autorité requérante",
    name: "Nom du magistrat ou de l'OPJ",
    rank: "Grade ou qualité",
    service: "Service",
    unit: "Unité",
    basis: "Base légale",
    basis_other: "Base légale (en toutes lettres)",
    procedure: "N° de procédure",
    received: "Reçue le (heure de Paris)",
    items: "Caméras et plages demandées (heure de Paris)",
    camera: "Caméra",
    choose: "— choisir —",
    start: "Début",
    end: "Fin",
    last: "Dernières :",
    add: "Ajouter une caméra",
    remove: "Retirer",
    notes: "Notes",
    assigned: "Enquêteurs habilités (identifiants, séparés par des virgules)",
    submit: "Enregistrer la réquisition",
    sending: "Enregistrement…",
    required: "Obligatoire.",
    bad_time: "Date et heure invalides.",
    future: "Dans le futur : indiquez la date de réception.",
    end_before_start: "La fin doit suivre le début.",
    too_long: "Plage trop longue : 31 jours au plus.",
    no_items: "Ajoutez au moins une caméra.",
    unknown_camera: "Caméra inconnue ou hors de vos communes.",
    fix: "Corrigez les champs signalés.",
  },
  en: {
    title: "New requisition",
    back: "← Register",
    authority: "Requiring authority",
    name: "Name of the magistrate or officer",
    rank: "Rank or title",
    service: "Service",
    unit: "Unit",
    basis: "Legal basis",
    basis_other: "Legal basis (in words)",
    procedure: "Procedure number",
    received: "Received (Paris time)",
    items: "Requested cameras and ranges (Paris time)",
    camera: "Camera",
    choose: "— choose —",
    start: "Start",
    end: "End",
    last: "Last:",
    add: "Add a camera",
    remove: "Remove",
    notes: "Notes",
    assigned: "Assigned investigators (user names, comma separated)",
    submit: "Record the requisition",
    sending: "Recording…",
    required: "Required.",
    bad_time: "Invalid date and time.",
    future: "In the future: give the date it was received.",
    end_before_start: "The end must follow the start.",
    too_long: "Range too long: 31 days at most.",
    no_items: "Add at least one camera.",
    unknown_camera: "Unknown camera, or outside your communes.",
    fix: "Correct the fields shown.",
  },
});

type Key = Parameters<typeof t>[0];

function lastMinutes(minutes: number, camera = ""): ItemDraft {
  const now = Date.now();
  return { camera, start: utcToParisInput(now - minutes * 60_000), end: utcToParisInput(now) };
}

function initialDraft(params: URLSearchParams): Draft {
  const start = Date.parse(params.get("start") ?? "");
  const end = Date.parse(params.get("end") ?? "");
  const camera = params.get("camera") ?? "";
  const item =
    Number.isFinite(start) && Number.isFinite(end)
      ? { camera, start: utcToParisInput(start), end: utcToParisInput(end) }
      : lastMinutes(2, camera);
  return {
    authorityName: "",
    authorityRank: "",
    authorityService: "",
    authorityUnit: "",
    legalBasis: "60-1",
    legalBasisOther: "",
    procedure: "",
    receivedAt: utcToParisInput(Date.now(), false),
    notes: "",
    assignedTo: "",
    items: [item],
  };
}

function Problem({ problems, name }: { problems: Problems; name: string }) {
  const p = problems[name];
  if (!p) return null;
  const known = ["required", "bad_time", "future", "end_before_start", "too_long", "no_items", "unknown_camera"];
  return <span class="field-error">{known.includes(p) ? t(p as Key) : p}</span>;
}

export function NewRequisition({ route }: { route: Route }) {
  const [draft, setDraft] = useState<Draft>(() => initialDraft(route.params));
  const listed = useCameras(null);
  const cameras = useMemo(
    () => [...(listed.cameras ?? [])].sort((a, b) => a.commune_name.localeCompare(b.commune_name) || a.id.localeCompare(b.id)),
    [listed.cameras],
  );
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (field: keyof Draft) => (e: Event) => setDraft({ ...draft, [field]: (e.target as HTMLInputElement).value });
  const setItem = (i: number, change: Partial<ItemDraft>) =>
    setDraft({ ...draft, items: draft.items.map((it, n) => (n === i ? { ...it, ...change } : it)) });

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const { problems: found, body } = checkDraft(draft, Date.now());
    setProblems(found);
    if (!body) {
      setError(t(found.items ? "no_items" : "fix"));
      return;
    }
    setBusy(true);
    try {
      const created = await api<Requisition>("/api/requisitions", { method: "POST", body });
      navigate(`requisitions/${created.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) {
        setProblems(serverProblems(err.detail));
        setError(t("fix"));
      } else if (err instanceof ApiError && err.status === 422 && /^(assigned_to|received_at):/.test(err.code ?? "")) {
        const field = err.code!.startsWith("assigned_to") ? "assignedTo" : "receivedAt";
        setProblems({ [field]: err.code!.replace(/^\w+:\s*/, "") });
        setError(t("fix"));
      } else if (err instanceof ApiError && err.status === 404) {
        setError(t("unknown_camera"));
      } else {
        setError(errorText(err));
      }
    } finally {
      setBusy(false);
    }
  };

  const communes = [...new Set(cameras.map((c) => c.commune_name))];
  const input = (field: keyof Draft, text: Key, props: Record<string, unknown> = {}) => (
    <label>
      {t(text)}
      <input value={draft[field] as string} onInput={set(field)} name={field} {...props} />
      <Problem problems={problems} name={field} />
    </label>
  );

  return (
    <section class="requisitions">
      <p>
        <a href={href("requisitions")}>{t("back")}</a>
      </p>
      <h1>{t("title")}</h1>
      <form class="card requisition-form" onSubmit={submit} noValidate data-testid="requisition-form">
        <fieldset>
          <legend>{t("authority")}</legend>
          <div class="grid">
            {input("authorityName", "name", { maxLength: 200 })}
            {input("authorityRank", "rank", { maxLength: 100 })}
            {input("authorityService", "service", { maxLength: 200 })}
            {input("authorityUnit", "unit", { maxLength: 200 })}
          </div>
        </fieldset>
        <div class="grid">
          <label>
            {t("basis")}
            <select value={draft.legalBasis} onChange={set("legalBasis")} name="legalBasis">
              {LEGAL_BASES.map((b) => (
                <option key={b} value={b}>
                  {label(b)}
                </option>
              ))}
            </select>
          </label>
          {draft.legalBasis === "other" && input("legalBasisOther", "basis_other", { maxLength: 4000 })}
          {input("procedure", "procedure", { maxLength: 100 })}
          {input("receivedAt", "received", { type: "datetime-local" })}
        </div>
        <fieldset>
          <legend>{t("items")}</legend>
          {draft.items.map((item, i) => (
            <div class="item-row" key={i} data-testid="requisition-item">
              <label>
                {t("camera")}
                <select value={item.camera} onChange={(e) => setItem(i, { camera: (e.target as HTMLSelectElement).value })}>
                  <option value="">{t("choose")}</option>
                  {communes.map((commune) => (
                    <optgroup key={commune} label={commune}>
                      {cameras
                        .filter((c) => c.commune_name === commune)
                        .map((c) => (
                          <option key={c.id} value={c.id}>
                            {c.id} · {c.name}
                          </option>
                        ))}
                    </optgroup>
                  ))}
                </select>
                <Problem problems={problems} name={`items.${i}.camera`} />
              </label>
              <label>
                {t("start")}
                <input
                  type="datetime-local"
                  step={1}
                  value={item.start}
                  onInput={(e) => setItem(i, { start: (e.target as HTMLInputElement).value })}
                />
                <Problem problems={problems} name={`items.${i}.start`} />
              </label>
              <label>
                {t("end")}
                <input
                  type="datetime-local"
                  step={1}
                  value={item.end}
                  onInput={(e) => setItem(i, { end: (e.target as HTMLInputElement).value })}
                />
                <Problem problems={problems} name={`items.${i}.end`} />
              </label>
              <div class="quick">
                <span class="muted">{t("last")}</span>
                {[2, 10, 60].map((m) => (
                  <button type="button" class="link" key={m} onClick={() => setItem(i, { ...lastMinutes(m, item.camera) })}>
                    {m < 60 ? `${m} min` : "1 h"}
                  </button>
                ))}
              </div>
              {draft.items.length > 1 && (
                <button type="button" class="danger" onClick={() => setDraft({ ...draft, items: draft.items.filter((_, n) => n !== i) })}>
                  {t("remove")}
                </button>
              )}
            </div>
          ))}
          <button type="button" onClick={() => setDraft({ ...draft, items: [...draft.items, lastMinutes(2)] })}>
            {t("add")}
          </button>
        </fieldset>
        {input("assignedTo", "assigned")}
        <label>
          {t("notes")}
          <textarea value={draft.notes} onInput={set("notes")} maxLength={4000} rows={3} name="notes" />
        </label>
        {(error ?? listed.error) && (
          <p class="error" role="alert">
            {error ?? listed.error}
          </p>
        )}
        {problems.form && <p class="error">{problems.form}</p>}
        <div>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t("sending") : t("submit")}
          </button>
        </div>
      </form>
    </section>
  );
}
