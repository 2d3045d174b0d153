// Closing a requisition: delivered (to whom, on which medium, who signed), no footage
// (only when the archive holds nothing in any range), or refused (with the reason).
// Closing never releases the holds.
import { useState } from "preact/hooks";

import { ApiError, api } from "../../lib/api";
import { messages } from "../../lib/i18n";
import { iso, parisInputToUtc, utcToParisInput } from "../../lib/paris";
import { errorText } from "../../lib/poll";
import type { Requisition } from "./model";

const t = messages({
  fr: {
    title: "Clore la réquisition",
    deliver: "Remettre le paquet",
    no_footage: "Clore sans images",
    refuse: "Refuser",
    to: "Remis à (nom)",
    at: "Remis le (heure de Paris)",
    medium: "Support",
    signature: "Signataire du récépissé",
    reason: "Motif du refus",
    note: "Note (facultative)",
    confirm_deliver: "Enregistrer la remise",
    confirm_no_footage: "Clore sans images",
    confirm_refuse: "Enregistrer le refus",
    cancel: "Annuler",
    required: "Remplissez les champs obligatoires.",
    bad_time: "Date et heure de remise invalides.",
    deliver_first: "La remise suit une extraction : lancez d'abord une extraction.",
    footage_exists: "Des images existent dans les plages demandées : extrayez-les et remettez-les, ou refusez la réquisition.",
    conflict: "Action impossible dans l'état actuel ({detail}).",
    holds: "Les gels d'images restent en vigueur après la clôture.",
  },
  en: {
    title: "Close the requisition",
    deliver: "Deliver the package",
    no_footage: "Close: no footage",
    refuse: "Refuse",
    to: "Delivered to (name)",
    at: "Delivered at (Paris time)",
    medium: "Medium",
    signature: "Who signed the receipt",
    reason: "Reason for refusal",
    note: "Note (optional)",
    confirm_deliver: "Record the delivery",
    confirm_no_footage: "Close: no footage",
    confirm_refuse: "Record the refusal",
    cancel: "Cancel",
    required: "Fill in the required fields.",
    bad_time: "Invalid delivery date and time.",
    deliver_first: "Delivery follows an export: start an export first.",
    footage_exists: "Footage exists in the requested ranges: export and deliver it, or refuse the requisition.",
    conflict: "Not possible in the current state ({detail}).",
    holds: "The holds stay in force after closing.",
  },
});

type Mode = "deliver" | "no_footage" | "refuse" | null;
const MEDIA = ["clé USB", "DVD", "disque dur", "téléchargement"];

export function CloseActions({ req, onDone }: { req: Requisition; onDone: () => void }) {
  const [mode, setMode] = useState<Mode>(null);
  const [form, setForm] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = (name: string) => ({
    name,
    value: form[name] ?? "",
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });

  const open = (m: Mode) => {
    setMode(m);
    setError(null);
    setForm(m === "deliver" ? { at: utcToParisInput(Date.now(), false), medium: MEDIA[0] } : {});
  };

  const send = async (e: Event) => {
    e.preventDefault();
    setError(null);
    let path: string;
    let body: Record<string, unknown> | undefined;
    const v = (k: string) => (form[k] ?? "").trim();
    if (mode === "deliver") {
      if (!v("to") || !v("medium") || !v("signature")) return setError(t("required"));
      const at = v("at") ? parisInputToUtc(v("at")) : Date.now();
      if (at === null) return setError(t("bad_time"));
      path = "deliver";
      body = { delivered_to: v("to"), delivered_at: iso(at), medium: v("medium"), signature: v("signature") };
    } else if (mode === "refuse") {
      if (!v("reason")) return setError(t("required"));
      path = "refuse";
      body = { reason: v("reason") };
    } else {
      path = "no-footage";
      body = v("note") ? { note: v("note") } : undefined;
    }
    setBusy(true);
    try {
      await api<Requisition>(`/api/requisitions/${req.id}/${path}`, { method: "POST", body });
      setMode(null);
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setError(
          mode === "no_footage" && /footage exists/.test(err.code ?? "")
            ? t("footage_exists")
            : t("conflict", { detail: err.code ?? "409" }),
        );
      } else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card close-actions" data-testid="close-actions">
      <h2>{t("title")}</h2>
      <div class="toolbar">
        <button
          type="button"
          onClick={() => open("deliver")}
          disabled={req.state !== "extracting"}
          title={req.state !== "extracting" ? t("deliver_first") : undefined}
        >
          {t("deliver")}
        </button>
        <button type="button" onClick={() => open("no_footage")}>
          {t("no_footage")}
        </button>
        <button type="button" class="danger" onClick={() => open("refuse")}>
          {t("refuse")}
        </button>
      </div>
      {req.state === "received" && <p class="muted">{t("deliver_first")}</p>}
      {mode && (
        <form class="close-form" onSubmit={send} noValidate>
          {mode === "deliver" && (
            <div class="grid">
              <label>
                {t("to")}
                <input {...field("to")} maxLength={200} required />
              </label>
              <label>
                {t("at")}
                <input {...field("at")} type="datetime-local" />
              </label>
              <label>
                {t("medium")}
                <input {...field("medium")} list="delivery-media" maxLength={100} required />
                <datalist id="delivery-media">
                  {MEDIA.map((m) => (
                    <option key={m} value={m} />
                  ))}
                </datalist>
              </label>
              <label>
                {t("signature")}
                <input {...field("signature")} maxLength={200} required />
              </label>
            </div>
          )}
          {mode === "refuse" && (
            <label>
              {t("reason")}
              <textarea {...field("reason")} maxLength={4000} rows={3} required />
            </label>
          )}
          {mode === "no_footage" && (
            <label>
              {t("note")}
              <textarea {...field("note")} maxLength={4000} rows={2} />
            </label>
          )}
          <p class="muted">{t("holds")}</p>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="toolbar">
            <button type="submit" class="primary" disabled={busy}>
              {t(`confirm_${mode}`)}
            </button>
            <button type="button" onClick={() => setMode(null)}>
              {t("cancel")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
