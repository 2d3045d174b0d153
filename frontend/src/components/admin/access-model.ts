// Access codes seen from the administration: who must still approve a request, and the
// server's refusals (`refusal`, `detail.message`, written in English for the journal)
// in French. An unknown sentence is shown as the server wrote it.
import type { AccessRequestOut } from "../../lib/access";
import type { Schema } from "../../lib/api";
import { messages } from "../../lib/i18n";
import { policyMessage } from "../../lib/password-policy";
import { refusal } from "./model";

const t = messages({
  fr: {
    pending: "{head} : {who}. {receiver}",
    pending_invitation: "Invitation en attente",
    pending_reset: "Réinitialisation en attente",
    by_commune: "un superviseur de la commune ou un second administrateur doit l'approuver",
    by_communes: "un superviseur de toutes ses communes ou un second administrateur doit l'approuver",
    by_admin2: "un second administrateur doit l'approuver",
    by_admin: "un administrateur doit l'approuver",
    receiver: "Lui seul recevra le code, dans l'onglet « Demandes d'accès », et le remettra à l'agent.",
    own_request: "Une seconde personne doit approuver : vous avez fait cette demande.",
    own_account: "Personne n'approuve une demande pour son propre compte.",
    not_approver: "Seul un administrateur ou un superviseur des communes de l'agent approuve.",
    supervisor_request: "La demande d'un superviseur est approuvée par un administrateur.",
    not_all_communes: "Seul un superviseur de toutes les communes de l'agent, ou un administrateur, approuve.",
    already_issued: "Le code a déjà été remis.",
    invitations_by_admin: "Une invitation (compte sans mot de passe) se demande à un administrateur.",
    only_admins: "Seuls les administrateurs et les superviseurs demandent un code.",
    already_open: "Une demande est déjà ouverte pour ce compte : voyez l'onglet « Demandes d'accès ».",
    not_pending: "Cette demande n'est plus en attente.",
    not_found: "Demande ou compte introuvable (code utilisé, demande annulée ou expirée).",
  },
  en: {
    pending: "{head}: {who}. {receiver}",
    pending_invitation: "Invitation pending",
    pending_reset: "Reset pending",
    by_commune: "a supervisor of the commune or a second administrator must approve it",
    by_communes: "a supervisor of all its communes or a second administrator must approve it",
    by_admin2: "a second administrator must approve it",
    by_admin: "an administrator must approve it",
    receiver: "They alone will receive the code, in the « Access requests » tab, and hand it to the agent.",
    own_request: "A second person must approve: you made this request.",
    own_account: "Nobody approves a request for their own account.",
    not_approver: "Only an administrator or a supervisor of the agent's communes approves.",
    supervisor_request: "A supervisor's request is approved by an administrator.",
    not_all_communes: "Only a supervisor of every commune of the agent, or an administrator, approves.",
    already_issued: "The code was already handed over.",
    invitations_by_admin: "An invitation (an account without a password) is asked of an administrator.",
    only_admins: "Only administrators and supervisors ask for a code.",
    already_open: "A request is already open for this account: see the « Access requests » tab.",
    not_pending: "This request is no longer pending.",
    not_found: "No such request or account (code used, request cancelled or expired).",
  },
});

/** `POST /api/users`: the new user, its invitation and, when one person suffices, its code. */
export type UserCreated = Schema<"UserCreated">;

// The sentences of beffroi.access.invitations.
const REASONS: Record<string, Parameters<typeof t>[0]> = {
  "a second person must approve the request": "own_request",
  "nobody approves a request for their own account": "own_account",
  "only an administrator or a supervisor of the agent's communes approves": "not_approver",
  "a request by a supervisor is approved by an administrator": "supervisor_request",
  "only a supervisor of every commune of the agent, or an administrator, approves": "not_all_communes",
  "already issued": "already_issued",
  "invitations are issued by an administrator": "invitations_by_admin",
  "only administrators and supervisors ask": "only_admins",
};

const CODES = new Set(["already_open", "not_pending", "not_found"]);

/** Why the caller may not approve (the request's `refusal`), in French. */
export function reasonText(reason: string): string {
  const key = REASONS[reason];
  return key ? t(key) : reason;
}

/** A refused access request, approval or cancellation as one French line. */
export function accessError(e: unknown): string {
  const detail = (e as { detail?: unknown } | null)?.detail;
  if (detail && typeof detail === "object" && !Array.isArray(detail) && "code" in detail) {
    const { code, message } = detail as { code: string; message?: string };
    if (message && REASONS[message]) return reasonText(message);
    if (CODES.has(code)) return t(code as "already_open" | "not_pending" | "not_found");
  }
  return refusal(e, policyMessage);
}

/** Who must still approve a pending request, as the person who opened it reads it. */
export function pendingText(request: AccessRequestOut, askerRole: string | undefined): string {
  const head = t(request.purpose === "reset" ? "pending_reset" : "pending_invitation");
  let who: Parameters<typeof t>[0];
  if (request.role === "admin") who = "by_admin2";
  else if (askerRole === "supervisor") who = "by_admin";
  else who = request.communes.length > 1 ? "by_communes" : "by_commune";
  return t("pending", { head, who: t(who), receiver: t("receiver") });
}
