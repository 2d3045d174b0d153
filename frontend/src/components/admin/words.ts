// Words shared by the administration tabs: roles and camera states, in French first.
import { messages } from "../../lib/i18n";

export const words = messages({
  fr: {
    role_operator: "Opérateur",
    role_supervisor: "Superviseur",
    role_patrol: "Patrouille",
    role_investigator: "Enquêteur (OPJ)",
    role_auditor: "Auditeur (DPO)",
    role_admin: "Administrateur",
    status_recording: "Enregistre",
    status_connecting: "Connexion…",
    status_offline: "Hors ligne",
    status_disabled: "Désactivée",
    status_unknown: "Inconnu",
    loading: "Chargement…",
    refresh: "Actualiser",
    confirm: "Confirmer ?",
    cancel: "Annuler",
  },
  en: {
    role_operator: "Operator",
    role_supervisor: "Supervisor",
    role_patrol: "Patrol",
    role_investigator: "Investigator (judicial police)",
    role_auditor: "Auditor (DPO)",
    role_admin: "Administrator",
    status_recording: "Recording",
    status_connecting: "Connecting…",
    status_offline: "Offline",
    status_disabled: "Disabled",
    status_unknown: "Unknown",
    loading: "Loading…",
    refresh: "Refresh",
    confirm: "Confirm?",
    cancel: "Cancel",
  },
});

type Key = Parameters<typeof words>[0];

export function roleName(role: string): string {
  const key = `role_${role}` as Key;
  const text = words(key);
  return text === key ? role : text;
}

export function statusName(status: string): string {
  const key = `status_${status}` as Key;
  const text = words(key);
  return text === key ? status : text;
}

/** The badge class of a camera status. */
export function statusBadge(status: string): string {
  return { recording: "ok", connecting: "warn", offline: "bad" }[status] ?? "";
}
