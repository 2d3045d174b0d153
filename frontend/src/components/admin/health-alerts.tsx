// What needs someone on the health page: cameras not recording, the disk that will not
// hold the retention, authorisations and approvals that end within 30 days, and the
// fault incidents still open (for the roles that read incidents).
import { useEffect, useState } from "preact/hooks";

import { api } from "../../lib/api";
import type { Camera } from "../../lib/cameras";
import { formatTime, messages } from "../../lib/i18n";
import { can } from "../../lib/session";
import { FAULT_KINDS } from "../incidents/model";
import { daysUntil, type ExpiryWarning, formatDate, formatNumber, type StorageReport, WARN_DAYS } from "./model";
import { statusName } from "./words";

const t = messages({
  fr: {
    title: "Alertes",
    none: "Aucune alerte.",
    camera_down: "{name} ({commune}) : {status}",
    below_minima: "{name} : sous les minima légaux de sa vue",
    disk_short:
      "Le disque ne tient que {days} jour(s) au rythme actuel, moins que la plus longue conservation ({retention} j) : des images seront détruites avant leur échéance.",
    disk_floor: "Espace libre sous le seuil réservé : la conservation détruit les images les plus anciennes.",
    authorisation: "{name} : autorisation préfectorale {ref} {when} ({date})",
    expires_in: "expire dans {days} jour(s)",
    expired: "expirée",
    approval: "{user} : agrément préfectoral expire dans {days} jour(s) ({date})",
    account: "{user} : compte expire dans {days} jour(s) ({date})",
    fault: "Incident n° {id} ({kind}) ouvert le {at}",
  },
  en: {
    title: "Alerts",
    none: "No alert.",
    camera_down: "{name} ({commune}): {status}",
    below_minima: "{name}: below the legal minima of its view",
    disk_short:
      "The disk holds only {days} day(s) at the current rate, less than the longest retention ({retention} d): footage will be destroyed before its time.",
    disk_floor: "Free space under the reserved floor: retention destroys the oldest footage.",
    authorisation: "{name}: prefectoral authorisation {ref} {when} ({date})",
    expires_in: "expires in {days} day(s)",
    expired: "expired",
    approval: "{user}: prefectoral approval ends in {days} day(s) ({date})",
    account: "{user}: account ends in {days} day(s) ({date})",
    fault: "Incident no. {id} ({kind}) opened {at}",
  },
});

interface Alert {
  level: "bad" | "warn";
  text: string;
  href?: string;
}

interface Incident {
  id: number;
  kind: string;
  state: string;
  opened_at: string;
}

export function cameraAlerts(cameras: Camera[], nowMs: number): Alert[] {
  const out: Alert[] = [];
  for (const c of cameras) {
    if (c.status === "offline" || c.status === "connecting") {
      out.push({ level: "bad", text: t("camera_down", { name: c.name, commune: c.commune_name, status: statusName(c.status) }) });
    }
    if (c.status === "recording" && c.below_legal_minima) out.push({ level: "warn", text: t("below_minima", { name: c.name }) });
    const expires = c.authorisation?.expires;
    if (expires) {
      const left = daysUntil(expires, nowMs);
      if (left <= WARN_DAYS) {
        out.push({
          level: left < 0 ? "bad" : "warn",
          text: t("authorisation", {
            name: c.name,
            ref: c.authorisation?.ref ?? "",
            when: left < 0 ? t("expired") : t("expires_in", { days: left }),
            date: formatDate(expires),
          }),
        });
      }
    }
  }
  return out;
}

export function storageAlerts(s: StorageReport | null): Alert[] {
  if (!s) return [];
  const out: Alert[] = [];
  if (s.covers_retention === false && s.forecast_days !== null) {
    out.push({
      level: "bad",
      text: t("disk_short", { days: formatNumber(s.forecast_days), retention: formatNumber(s.longest_retention_days) }),
    });
  }
  if (s.disk_free_bytes < s.floor_bytes) out.push({ level: "bad", text: t("disk_floor") });
  return out;
}

export function HealthAlerts(props: { cameras: Camera[]; storage: StorageReport | null }) {
  const [expiring, setExpiring] = useState<ExpiryWarning[]>([]);
  const [faults, setFaults] = useState<Incident[]>([]);
  useEffect(() => {
    if (can("user.admin"))
      void api<ExpiryWarning[]>("/api/users/expiring")
        .then(setExpiring)
        .catch(() => undefined);
    if (can("incident.read")) {
      void api<Incident[]>("/api/incidents", { query: { limit: 200 } })
        .then((list) => setFaults(list.filter((i) => FAULT_KINDS.has(i.kind) && i.state !== "closed")))
        .catch(() => undefined);
    }
  }, []);
  const alerts: Alert[] = [
    ...storageAlerts(props.storage),
    ...cameraAlerts(props.cameras, Date.now()),
    ...expiring.map((w) => ({
      level: "warn" as const,
      text: t(w.kind === "approval" ? "approval" : "account", { user: w.username, days: w.days_left, date: formatDate(w.expires) }),
    })),
    ...faults.map((i) => ({
      level: "bad" as const,
      text: t("fault", { id: i.id, kind: i.kind, at: formatTime(i.opened_at, false) }),
      href: `#/incidents/${i.id}`,
    })),
  ];
  return (
    <section class="card alerts" data-testid="health-alerts">
      <h2>{t("title")}</h2>
      {alerts.length === 0 ? (
        <p class="muted-text">{t("none")}</p>
      ) : (
        <ul>
          {alerts.map((a, i) => (
            <li key={`${i}-${a.text}`} class={a.level}>
              <span class={`badge ${a.level}`}>{a.level === "bad" ? "!" : "•"}</span> {a.href ? <a href={a.href}>{a.text}</a> : a.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
