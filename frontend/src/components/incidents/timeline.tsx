// An incident's path: new → notified → acknowledged → closed (who, when), then every
// step of its history (alarms grouped in, notifications, fault cleared or back).
import { formatTime, messages } from "../../lib/i18n";
import { type IncidentDetail, stateBadge, timeline, word } from "./model";

const t = messages({
  fr: {
    title: "Étapes",
    history: "Historique détaillé",
    pending: "—",
    by: "par {who}",
    opened: "ouverture",
    alarm: "alarme regroupée",
    notified: "notification",
    acknowledged: "prise en charge",
    closed: "clôture",
    resolved: "défaut résorbé",
    fault: "défaut revenu",
    police: "police appelée à {at}",
    system: "le système",
  },
  en: {
    title: "Steps",
    history: "Detailed history",
    pending: "—",
    by: "by {who}",
    opened: "opened",
    alarm: "grouped alarm",
    notified: "notification",
    acknowledged: "acknowledged",
    closed: "closed",
    resolved: "fault cleared",
    fault: "fault back",
    police: "police called at {at}",
    system: "the system",
  },
});

const ACTIONS = new Set(["opened", "alarm", "notified", "acknowledged", "closed", "resolved", "fault"]);

function describe(detail: Record<string, unknown> | null): string {
  if (!detail) return "";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(detail)) {
    if (v === null || v === undefined) continue;
    if (k === "police_called_ms" && typeof v === "number") parts.push(t("police", { at: formatTime(v, false) }));
    else if (k === "disposition" && typeof v === "string") parts.push(word(v));
    else parts.push(`${k} : ${typeof v === "string" || typeof v === "number" ? v : JSON.stringify(v)}`);
  }
  return parts.join(" · ");
}

export function Timeline({ inc }: { inc: IncidentDetail }) {
  const steps = timeline(inc);
  return (
    <section class="card timeline">
      <h2>{t("title")}</h2>
      <ol class="steps" data-testid="incident-timeline">
        {steps.map((s) => (
          <li key={s.state} class={s.at ? "reached" : ""} data-state={s.state} data-reached={s.at ? "yes" : "no"}>
            <span class={`badge ${s.at ? stateBadge(s.state) : ""}`}>{word(s.state)}</span>
            <span class="when">{s.at ? formatTime(s.at) : t("pending")}</span>
            {s.by && <span class="who">{t("by", { who: s.by === "system" ? t("system") : s.by })}</span>}
          </li>
        ))}
      </ol>
      <details>
        <summary>{t("history")}</summary>
        <ul class="history">
          {inc.history.map((h, i) => (
            <li key={i}>
              <span class="when">{formatTime(h.at)}</span>{" "}
              <strong>{ACTIONS.has(h.action) ? t(h.action as Parameters<typeof t>[0]) : h.action}</strong>
              {h.by && <span class="muted"> · {h.by === "system" ? t("system") : h.by}</span>}
              {h.detail && <div class="muted">{describe(h.detail)}</div>}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}
