// Taking an incident in charge, then closing it with a disposition: false alarm,
// technical fault, confirmed intrusion (the police called at HH:MM, Paris time) or other,
// with the agent's notes.
import { useState } from "preact/hooks";

import { ApiError, api } from "../../lib/api";
import { messages } from "../../lib/i18n";
import { utcToParisInput } from "../../lib/paris";
import { errorText } from "../../lib/poll";
import { checkClose, type CloseDraft, type CloseProblem, DISPOSITIONS, type IncidentDetail, word } from "./model";

const t = messages({
  fr: {
    acknowledge: "Prendre en charge",
    close_title: "Clore l'incident",
    disposition: "Qualification",
    police: "Police appelée à (heure de Paris)",
    notes: "Notes",
    close: "Clore l'incident",
    sending: "Envoi…",
    disposition_problem: "Choisissez une qualification.",
    police_time: "Indiquez l'heure de l'appel à la police (HH:MM).",
    notes_needed: "Précisez en note ce qui s'est passé.",
    notes_too_long: "Notes trop longues : 4 000 caractères au plus.",
    conflict: "L'incident a changé entre-temps ({detail}) : la page est actualisée.",
    ack_first: "Prenez l'incident en charge avant de le clore.",
  },
  en: {
    acknowledge: "Acknowledge",
    close_title: "Close the incident",
    disposition: "Disposition",
    police: "Police called at (Paris time)",
    notes: "Notes",
    close: "Close the incident",
    sending: "Sending…",
    disposition_problem: "Choose a disposition.",
    police_time: "Give the time the police were called (HH:MM).",
    notes_needed: "Say in a note what happened.",
    notes_too_long: "Notes too long: 4,000 characters at most.",
    conflict: "The incident changed meanwhile ({detail}): the page is refreshed.",
    ack_first: "Acknowledge the incident before closing it.",
  },
});

const PROBLEMS: Record<Exclude<CloseProblem, null>, Parameters<typeof t>[0]> = {
  disposition: "disposition_problem",
  police_time: "police_time",
  notes_needed: "notes_needed",
  notes_too_long: "notes_too_long",
};

export function IncidentActions({ inc, onChanged }: { inc: IncidentDetail; onChanged: (next?: IncidentDetail) => void }) {
  const [draft, setDraft] = useState<CloseDraft>({ disposition: "", policeAt: "", notes: "" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const call = async (path: string, body?: unknown) => {
    setBusy(true);
    setError(null);
    try {
      const next = await api<IncidentDetail>(`/api/incidents/${inc.id}/${path}`, { method: "POST", body });
      onChanged(next);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setError(t("conflict", { detail: e.code ?? "409" }));
        onChanged();
      } else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const close = (e: Event) => {
    e.preventDefault();
    const { problem, body } = checkClose(draft, Date.now());
    if (problem) return setError(t(PROBLEMS[problem]));
    void call("close", body);
  };

  if (inc.state === "new" || inc.state === "notified") {
    return (
      <section class="incident-actions card">
        <button type="button" class="primary big" disabled={busy} onClick={() => void call("acknowledge")} data-testid="acknowledge">
          {t("acknowledge")}
        </button>
        <p class="muted">{t("ack_first")}</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
    );
  }
  if (inc.state !== "acknowledged") return null;
  return (
    <form class="incident-actions card" onSubmit={close} noValidate data-testid="close-incident">
      <h2>{t("close_title")}</h2>
      <fieldset class="dispositions">
        <legend>{t("disposition")}</legend>
        {DISPOSITIONS.map((d) => (
          <label key={d} class="choice">
            <input
              type="radio"
              name="disposition"
              value={d}
              checked={draft.disposition === d}
              onChange={() =>
                setDraft({
                  ...draft,
                  disposition: d,
                  policeAt: d === "confirmed_intrusion" && !draft.policeAt ? utcToParisInput(Date.now(), false).slice(11) : draft.policeAt,
                })
              }
            />
            {word(d)}
          </label>
        ))}
      </fieldset>
      {draft.disposition === "confirmed_intrusion" && (
        <label>
          {t("police")}
          <input
            type="time"
            value={draft.policeAt}
            onInput={(e) => setDraft({ ...draft, policeAt: (e.target as HTMLInputElement).value })}
            data-testid="police-time"
          />
        </label>
      )}
      <label>
        {t("notes")}
        <textarea
          rows={3}
          maxLength={4000}
          value={draft.notes}
          onInput={(e) => setDraft({ ...draft, notes: (e.target as HTMLTextAreaElement).value })}
        />
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary big" disabled={busy}>
        {busy ? t("sending") : t("close")}
      </button>
    </form>
  );
}
