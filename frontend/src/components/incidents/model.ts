// Incidents as the API answers them (docs/ref/api.md: incidents, media, on-call), and
// the logic of their screens worth a test: labels and badges, the state timeline, the
// closing form, spotting a new incident between two refreshes.
import type { Schema } from "../../lib/api";
import { messages } from "../../lib/i18n";
import { iso, recentParisTime } from "../../lib/paris";

export type Incident = Schema<"IncidentOut">;

export type Clip = Schema<"ClipOut">;

export type CameraMedia = Schema<"CameraMediaOut">;

export type Fault = Schema<"FaultOut">;

export type IncidentDetail = Schema<"IncidentDetail">;

export type Attempt = Schema<"AttemptOut">;

const words = messages({
  fr: {
    new: "nouveau",
    notified: "notifié",
    acknowledged: "pris en charge",
    closed: "clos",
    intrusion: "Intrusion",
    fire: "Incendie",
    panic: "Agression",
    holdup: "Hold-up",
    tamper: "Sabotage",
    medical: "Urgence médicale",
    gas: "Gaz",
    water: "Dégât des eaux",
    heat: "Chaleur",
    technical: "Défaut technique",
    alarm: "Alarme",
    camera_offline: "Caméra hors service",
    below_minima: "Sous les minima légaux",
    storage_low: "Stockage insuffisant",
    retention_failing: "Effacement en échec",
    clock_unsynced: "Horloge non synchronisée",
    clock_step: "Saut d'horloge : effacement suspendu",
    hold_unmatched: "Scellé inconnu de la base",
    authorisation_expiring: "Autorisation préfectorale expirante",
    false_alarm: "Fausse alarme",
    technical_fault: "Défaut technique",
    confirmed_intrusion: "Intrusion confirmée",
    other: "Autre",
    pending: "en préparation",
    ready: "prêt",
    no_footage: "pas d'images",
    failed: "échec",
    destroyed: "détruit (durée de conservation)",
  },
  en: {
    new: "new",
    notified: "notified",
    acknowledged: "acknowledged",
    closed: "closed",
    intrusion: "Intrusion",
    fire: "Fire",
    panic: "Panic",
    holdup: "Hold-up",
    tamper: "Tamper",
    medical: "Medical emergency",
    gas: "Gas",
    water: "Water leak",
    heat: "Heat",
    technical: "Technical fault",
    alarm: "Alarm",
    camera_offline: "Camera offline",
    below_minima: "Below legal minima",
    storage_low: "Storage low",
    retention_failing: "Retention failing",
    clock_unsynced: "Clock not synchronised",
    clock_step: "Clock step: retention held",
    hold_unmatched: "Hold unknown to the database",
    authorisation_expiring: "Prefectoral authorisation expiring",
    false_alarm: "False alarm",
    technical_fault: "Technical fault",
    confirmed_intrusion: "Confirmed intrusion",
    other: "Other",
    pending: "being prepared",
    ready: "ready",
    no_footage: "no footage",
    failed: "failed",
    destroyed: "destroyed (retention)",
  },
});
type Word = Parameters<typeof words>[0];
const KNOWN = new Set<string>([
  "new",
  "notified",
  "acknowledged",
  "closed",
  "intrusion",
  "fire",
  "panic",
  "holdup",
  "tamper",
  "medical",
  "gas",
  "water",
  "heat",
  "technical",
  "alarm",
  "camera_offline",
  "below_minima",
  "storage_low",
  "retention_failing",
  "clock_unsynced",
  "clock_step",
  "hold_unmatched",
  "authorisation_expiring",
  "false_alarm",
  "technical_fault",
  "confirmed_intrusion",
  "other",
  "pending",
  "ready",
  "no_footage",
  "failed",
  "destroyed",
]);

/** A state, kind, disposition or media state in words; unknown values as they are. */
export function word(value: string | null | undefined): string {
  if (!value) return "—";
  return KNOWN.has(value) ? words(value as Word) : value;
}

export const STATES = ["new", "notified", "acknowledged", "closed"] as const;
export const DISPOSITIONS = ["false_alarm", "technical_fault", "confirmed_intrusion", "other"] as const;
export const FAULT_KINDS = new Set([
  "camera_offline",
  "below_minima",
  "storage_low",
  "retention_failing",
  "clock_unsynced",
  "clock_step",
  "hold_unmatched",
  "authorisation_expiring",
]);

/** Nobody has it yet (bad), someone was called (warn), someone has it (info), done. */
export function stateBadge(state: string): string {
  return { new: "bad", notified: "warn", acknowledged: "info", closed: "ok" }[state] ?? "";
}

export function mediaBadge(state: string): string {
  return { ready: "ok", pending: "warn", failed: "bad", no_footage: "", destroyed: "" }[state] ?? "";
}

export function isOpen(state: string): boolean {
  return state !== "closed";
}

// --- the state timeline ------------------------------------------------------------

export interface Step {
  state: (typeof STATES)[number];
  at: string | null;
  by: string | null;
}

/** new → notified → acknowledged → closed, each with when and who when it happened. An
 * incident acknowledged at the screen before any notification skips `notified`. */
export function timeline(inc: IncidentDetail): Step[] {
  const first = (action: string) => inc.history.find((h) => h.action === action);
  const opened = first("opened");
  const notified = first("notified");
  return [
    { state: "new", at: opened?.at ?? inc.opened_at, by: opened?.by ?? "system" },
    { state: "notified", at: notified?.at ?? null, by: notified ? (recipient(notified.detail) ?? notified.by) : null },
    { state: "acknowledged", at: inc.acknowledged_at, by: inc.acknowledged_by },
    { state: "closed", at: inc.closed_at, by: inc.closed_by },
  ];
}

function recipient(detail: Record<string, unknown> | null): string | null {
  const user = detail?.to;
  return typeof user === "string" ? user : null;
}

// --- closing ---------------------------------------------------------------------

export interface CloseDraft {
  disposition: string;
  policeAt: string; // "HH:MM", Paris time
  notes: string;
}

export type CloseProblem = "disposition" | "police_time" | "notes_needed" | "notes_too_long" | null;

/** The body of POST /api/incidents/{id}/close, or why it cannot be sent: a confirmed
 * intrusion needs the time the police were called (and only it has one); "other"
 * needs a note saying what it was. */
export function checkClose(d: CloseDraft, nowMs: number): { problem: CloseProblem; body: Record<string, unknown> | null } {
  if (!(DISPOSITIONS as readonly string[]).includes(d.disposition)) return { problem: "disposition", body: null };
  const notes = d.notes.trim();
  if (notes.length > 4000) return { problem: "notes_too_long", body: null };
  if (d.disposition === "other" && !notes) return { problem: "notes_needed", body: null };
  let police: string | null = null;
  if (d.disposition === "confirmed_intrusion") {
    const at = recentParisTime(d.policeAt, nowMs);
    if (at === null) return { problem: "police_time", body: null };
    police = iso(at);
  }
  return {
    problem: null,
    body: { disposition: d.disposition, police_called_at: police, notes: notes || null },
  };
}

// --- the list ----------------------------------------------------------------------

/** Ids in `rows` that were not in the previous refresh (none on the first load, when
 * everything is "new" to the page but not to the centre). */
export function arrivals(previous: ReadonlySet<number> | null, rows: Incident[]): number[] {
  if (previous === null) return [];
  return rows.filter((r) => !previous.has(r.id)).map((r) => r.id);
}

/** Whether the page should look again soon: media still being made. */
export function mediaPending(inc: IncidentDetail): boolean {
  return (inc.media ?? []).some((m) => m.snapshot?.state === "pending" || m.clips.some((c) => c.state === "pending"));
}
