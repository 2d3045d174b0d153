// The journal for the auditor: every action on video, every sign-in and every change,
// filtered by user, camera, action and period (Paris time), newest first, page by page;
// the integrity of the hash chain checked on opening; the export for an inspection.
import { useEffect, useState } from "preact/hooks";

import { api, apiUrl, type Query, type Schema } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { iso, parisInputToUtc } from "../../lib/paris";
import { type Column, DataTable } from "../data-table";
import { refusal } from "./model";
import { usePaged } from "./paged";
import { roleName } from "./words";

const t = messages({
  fr: {
    user: "Utilisateur",
    camera: "Caméra",
    action: "Action (ex. auth.*)",
    start: "Depuis (heure de Paris)",
    end: "Jusqu'à",
    search: "Rechercher",
    export: "Exporter (CSV)",
    time: "Date et heure",
    who: "Qui",
    what: "Action",
    outcome: "Résultat",
    source: "Poste",
    detail: "Détail",
    seq: "N°",
    verifying: "Vérification de la chaîne…",
    intact: "Journal intègre : {entries} entrées vérifiées (n° {first} à {last}), {checkpoints} point(s) de contrôle signé(s).",
    broken: "Journal altéré : {count} problème(s), le premier à l'entrée n° {seq}.",
    verify_again: "Vérifier à nouveau",
    bad_time: "Date et heure invalides (AAAA-MM-JJ HH:MM).",
    none: "Aucune entrée.",
  },
  en: {
    user: "User",
    camera: "Camera",
    action: "Action (e.g. auth.*)",
    start: "From (Paris time)",
    end: "Until",
    search: "Search",
    export: "Export (CSV)",
    time: "Date and time",
    who: "Who",
    what: "Action",
    outcome: "Outcome",
    source: "Source",
    detail: "Detail",
    seq: "No.",
    verifying: "Checking the chain…",
    intact: "Journal intact: {entries} entries checked (no. {first} to {last}), {checkpoints} signed checkpoint(s).",
    broken: "Journal altered: {count} problem(s), the first at entry no. {seq}.",
    verify_again: "Check again",
    bad_time: "Invalid date and time (YYYY-MM-DD HH:MM).",
    none: "No entry.",
  },
});

type Entry = Schema<"JournalEntryOut">;
type Verification = Schema<"VerificationOut">;

interface Filters {
  user: string;
  camera: string;
  action: string;
  start: string;
  end: string;
}

const EMPTY: Filters = { user: "", camera: "", action: "", start: "", end: "" };

/** The query of the journal routes; null when a time cannot be read. */
export function journalQuery(f: Filters): Query | null {
  const q: Query = { user: f.user.trim(), camera: f.camera.trim(), action: f.action.trim() };
  for (const key of ["start", "end"] as const) {
    if (!f[key].trim()) continue;
    const ms = parisInputToUtc(f[key]);
    if (ms === null) return null;
    q[key] = iso(ms);
  }
  return q;
}

function outcomeBadge(outcome: string): string {
  return { ok: "ok", denied: "bad", not_found: "warn", error: "bad" }[outcome] ?? "";
}

const columns = (): Column<Entry>[] => [
  { head: t("seq"), cell: (e) => e.seq },
  { head: t("time"), cell: (e) => formatTime(e.time), class: "nowrap" },
  {
    head: t("who"),
    cell: (e) => (
      <>
        {e.username ?? "—"}
        {e.role && <div class="sub">{roleName(e.role)}</div>}
      </>
    ),
  },
  { head: t("what"), cell: (e) => <code>{e.action}</code> },
  { head: t("camera"), cell: (e) => e.camera ?? "" },
  { head: t("outcome"), cell: (e) => <span class={`badge ${outcomeBadge(e.outcome)}`}>{e.outcome}</span> },
  { head: t("source"), cell: (e) => e.source ?? "" },
  { head: t("detail"), cell: (e) => (e.detail === null ? "" : JSON.stringify(e.detail)), class: "detail" },
];

export function JournalTab() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const { entries, cursor, query, error, setError, search: find, more } = usePaged<Entry>("/api/journal");

  const search = (e: Event) => {
    e.preventDefault();
    const q = journalQuery(draft);
    if (q === null) return setError(t("bad_time"));
    find(q);
  };
  const field = (key: keyof Filters, label: string) => (
    <label>
      {label}
      <input
        name={key}
        value={draft[key]}
        placeholder={key === "start" || key === "end" ? "2026-11-01 08:00" : undefined}
        onInput={(e) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );

  return (
    <div class="journal">
      <Verify />
      <form class="toolbar" onSubmit={search}>
        {field("user", t("user"))}
        {field("camera", t("camera"))}
        {field("action", t("action"))}
        {field("start", t("start"))}
        {field("end", t("end"))}
        <button type="submit" class="primary">
          {t("search")}
        </button>
        <a class="button" href={apiUrl("/api/journal/export", { ...query, format: "csv" })} download>
          {t("export")}
        </a>
      </form>
      <DataTable
        rows={entries}
        more={cursor !== null ? more : null}
        error={error}
        testId="journal"
        class="compact"
        empty={t("none")}
        rowKey={(e) => e.seq}
        rowProps={() => ({ "data-testid": "journal-entry" })}
        columns={columns()}
      />
    </div>
  );
}

function Verify() {
  const [result, setResult] = useState<Verification | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(true);
  const run = async () => {
    setBusy(true);
    try {
      setResult(await api<Verification>("/api/journal/verification"));
      setError(null);
    } catch (e) {
      setError(refusal(e, () => null));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void run(), []);
  return (
    <div class={`verify card ${result ? (result.ok ? "ok" : "bad") : ""}`} data-testid="journal-verification">
      {busy ? (
        <span>{t("verifying")}</span>
      ) : error ? (
        <span class="error">{error}</span>
      ) : result?.ok ? (
        <span>
          <span class="badge ok">✓</span>{" "}
          {t("intact", {
            entries: result.entries,
            first: result.first_seq ?? "—",
            last: result.last_seq ?? "—",
            checkpoints: result.checkpoints,
          })}
        </span>
      ) : result ? (
        <div>
          <span class="badge bad">✗</span> {t("broken", { count: result.problem_count, seq: result.first_bad_seq ?? "—" })}
          <ul>
            {result.problems.map((p) => (
              <li key={`${p.seq}-${p.message}`}>
                n° {p.seq} : {p.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {!busy && (
        <button type="button" class="link" onClick={() => void run()}>
          {t("verify_again")}
        </button>
      )}
    </div>
  );
}
