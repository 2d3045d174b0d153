// The requisitions register, as the API answers it (docs/ref/api.md, "Requisitions and
// holds", "Exports"), and the logic of its screens that is worth a test: state → badge,
// checking the new requisition form, the footage summary in words.
import type { Schema } from "../../lib/api";
import { formatTime, lang, messages } from "../../lib/i18n";
import { iso, parisInputToUtc } from "../../lib/paris";

export type Interval = Schema<"Interval">;

export type Destroyed = Schema<"DestroyedOut">;

export type Footage = Schema<"FootageOut">;

export type Item = Schema<"ItemOut">;

export type HistoryStep = Schema<"beffroi__requisitions__schemas__HistoryOut">;

export type Requisition = Schema<"RequisitionOut">;

export type ExportJob = Schema<"ExportOut">;

export type RegisterEntry = Schema<"RegisterEntryOut">;

export const STATES = ["received", "extracting", "delivered", "no_footage", "refused"] as const;
export const LEGAL_BASES = ["60-1", "77-1-1", "99-3", "igp", "other"] as const;
const CLOSED = new Set(["delivered", "no_footage", "refused"]);

export function isClosed(state: string): boolean {
  return CLOSED.has(state);
}

/** The class of the state's badge: waiting on us (warn), done (ok), closed without
 * delivery (bad for a refusal, plain for no footage). */
export function stateBadge(state: string): string {
  switch (state) {
    case "received":
      return "warn";
    case "extracting":
      return "warn";
    case "delivered":
      return "ok";
    case "refused":
      return "bad";
    default:
      return "";
  }
}

const words = messages({
  fr: {
    received: "reçue",
    extracting: "extraction en cours",
    delivered: "remise",
    no_footage: "sans images",
    refused: "refusée",
    queued: "en attente",
    running: "en cours",
    done: "prête",
    failed: "échec",
    destroyed: "détruite après remise",
    "60-1": "Art. 60-1 CPP (flagrance)",
    "77-1-1": "Art. 77-1-1 CPP (préliminaire)",
    "99-3": "Art. 99-3 CPP (instruction)",
    igp: "Instruction générale du parquet",
    other: "Autre",
  },
  en: {
    received: "received",
    extracting: "extracting",
    delivered: "delivered",
    no_footage: "no footage",
    refused: "refused",
    queued: "queued",
    running: "running",
    done: "ready",
    failed: "failed",
    destroyed: "destroyed after delivery",
    "60-1": "Art. 60-1 CPP (flagrante delicto)",
    "77-1-1": "Art. 77-1-1 CPP (preliminary inquiry)",
    "99-3": "Art. 99-3 CPP (judicial investigation)",
    igp: "Prosecutor's general instruction",
    other: "Other",
  },
});

type Word = Parameters<typeof words>[0];

/** A requisition state, an export status or a legal basis, in words; unknown values
 * (a newer server) are shown as they are. */
export function label(value: string): string {
  return value in WORD_KEYS ? words(value as Word) : value;
}
const WORD_KEYS: Record<string, true> = Object.fromEntries(
  [...STATES, ...LEGAL_BASES, "queued", "running", "done", "failed", "destroyed"].map((k) => [k, true]),
);

export function exportBadge(status: string): string {
  return status === "done" ? "ok" : status === "failed" ? "bad" : "warn";
}

// --- the new requisition form ------------------------------------------------------

export interface ItemDraft {
  camera: string;
  start: string; // Paris wall time, datetime-local
  end: string;
}

export interface Draft {
  authorityName: string;
  authorityRank: string;
  authorityService: string;
  authorityUnit: string;
  legalBasis: string;
  legalBasisOther: string;
  procedure: string;
  receivedAt: string; // Paris wall time
  notes: string;
  assignedTo: string; // user names, comma or space separated
  items: ItemDraft[];
}

/** Why a field cannot be sent, as a message key of the form; one per field. */
export type Problems = Record<string, string>;

const MAX_RANGE_MS = 31 * 24 * 3_600_000;
const FUTURE_TOLERANCE_MS = 120_000;

/** Check the form as the server will (schemas.py), so the agent sees every mistake at
 * once, next to its field. Returns the body to POST when there is none. */
export function checkDraft(draft: Draft, nowMs: number): { problems: Problems; body: Record<string, unknown> | null } {
  const problems: Problems = {};
  const text = (v: string) => v.trim();
  if (!text(draft.authorityName)) problems.authorityName = "required";
  if (!text(draft.authorityService)) problems.authorityService = "required";
  if (!text(draft.procedure)) problems.procedure = "required";
  if (!(LEGAL_BASES as readonly string[]).includes(draft.legalBasis)) problems.legalBasis = "required";
  if (draft.legalBasis === "other" && !text(draft.legalBasisOther)) problems.legalBasisOther = "required";
  const received = parisInputToUtc(draft.receivedAt);
  if (received === null) problems.receivedAt = "bad_time";
  else if (received > nowMs + FUTURE_TOLERANCE_MS) problems.receivedAt = "future";
  if (draft.items.length === 0) problems.items = "no_items";
  const items = draft.items.map((item, i) => {
    const start = parisInputToUtc(item.start);
    const end = parisInputToUtc(item.end);
    if (!item.camera) problems[`items.${i}.camera`] = "required";
    if (start === null) problems[`items.${i}.start`] = "bad_time";
    if (end === null) problems[`items.${i}.end`] = "bad_time";
    if (start !== null && end !== null) {
      if (start >= end) problems[`items.${i}.end`] = "end_before_start";
      else if (end - start > MAX_RANGE_MS) problems[`items.${i}.end`] = "too_long";
    }
    return { camera: item.camera, start: start === null ? "" : iso(start), end: end === null ? "" : iso(end) };
  });
  if (Object.keys(problems).length > 0) return { problems, body: null };
  const optional = (v: string) => (text(v) ? text(v) : null);
  const body: Record<string, unknown> = {
    authority: {
      name: text(draft.authorityName),
      rank: optional(draft.authorityRank),
      service: text(draft.authorityService),
      unit: optional(draft.authorityUnit),
    },
    legal_basis: draft.legalBasis,
    legal_basis_other: draft.legalBasis === "other" ? text(draft.legalBasisOther) : null,
    procedure: text(draft.procedure),
    received_at: iso(received!),
    items,
    notes: optional(draft.notes),
    assigned_to: draft.assignedTo.split(/[\s,;]+/).filter(Boolean),
  };
  return { problems, body };
}

/** A 422's detail (pydantic: [{loc: ["body", "items", 0, "end"], msg}]) → the form's
 * field keys, so a refusal the form did not foresee still lands next to its field. */
export function serverProblems(detail: unknown): Problems {
  const out: Problems = {};
  if (!Array.isArray(detail)) return out;
  const names: Record<string, string> = {
    "authority.name": "authorityName",
    "authority.service": "authorityService",
    "authority.rank": "authorityRank",
    "authority.unit": "authorityUnit",
    legal_basis: "legalBasis",
    legal_basis_other: "legalBasisOther",
    received_at: "receivedAt",
    assigned_to: "assignedTo",
  };
  for (const entry of detail as { loc?: unknown[]; msg?: string }[]) {
    const loc = (entry.loc ?? []).filter((p) => p !== "body").map(String);
    const path = loc.join(".");
    const key = names[path] ?? (loc[0] === "items" && loc.length >= 3 ? `items.${loc[1]}.${loc[2]}` : path || "form");
    out[key] = entry.msg ?? "invalid";
  }
  return out;
}

// --- footage in words --------------------------------------------------------------

/** What an operator should know about an item's footage, in the console's language
 * (the API's `messages` are English sentences for integrations). */
export function footageMessages(item: Item): string[] {
  const f = item.footage;
  if (!f) return [];
  const fr = lang.value !== "en";
  const out: string[] = [];
  const when = (at: string) => formatTime(at);
  if (f.ranges.length === 0) {
    out.push(
      fr
        ? `Aucun enregistrement de ${item.camera} entre le ${when(item.start)} et le ${when(item.end)}.`
        : `No recording of ${item.camera} between ${when(item.start)} and ${when(item.end)}.`,
    );
  }
  for (const d of f.destroyed) {
    const why =
      d.reason === "retention" ? (fr ? "la durée de conservation" : "retention") : fr ? "la saturation du disque" : "disk pressure";
    out.push(
      fr
        ? `Images de ${item.camera} du ${when(d.start)} au ${when(d.end)} détruites par ${why} le ${when(d.destroyed_at)}.`
        : `Footage of ${item.camera} from ${when(d.start)} to ${when(d.end)} was destroyed by ${why} on ${when(d.destroyed_at)}.`,
    );
  }
  return out;
}

/** Share of the requested range that the archive holds, 0..1. */
export function coverage(item: Item): number | null {
  if (!item.footage) return null;
  const span = (Date.parse(item.end) - Date.parse(item.start)) / 1000;
  return span > 0 ? Math.min(1, item.footage.recorded_seconds / span) : null;
}

export function formatBytes(n: number | null): string {
  if (n === null) return "—";
  if (n < 1024) return `${n} o`;
  const units = ["Kio", "Mio", "Gio"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
