// What the sign-in answers mean, in French: shared by the sign-in form, the access-code
// form and the password change, which all meet the same refusals (TOTP, lockout,
// throttling) and the password policy.
import { ApiError } from "./api";
import { messages } from "./i18n";
import { policyMessage } from "./password-policy";

const t = messages({
  fr: {
    invalid: "Identifiant ou mot de passe incorrect.",
    totp_required: "Saisissez le code de votre application d'authentification.",
    totp_invalid: "Code incorrect ou déjà utilisé : attendez le code suivant.",
    totp_unavailable:
      "Second facteur indisponible : le serveur ne peut pas vérifier les codes (clé TOTP absente ou différente). Prévenez l'administrateur.",
    locked: "Compte verrouillé après plusieurs échecs. Réessayez dans {minutes} min ou demandez un déverrouillage.",
    locked_for_good: "Compte verrouillé : demandez à un superviseur de le déverrouiller.",
    disabled: "Compte désactivé : contactez l'administrateur.",
    account_expired: "Compte expiré : contactez l'administrateur.",
    approval_missing: "Aucun agrément préfectoral enregistré pour ce compte : contactez l'administrateur.",
    approval_expired: "Votre agrément préfectoral a expiré : l'accès aux images est suspendu jusqu'à son renouvellement.",
    throttled: "Trop de tentatives depuis ce poste. Réessayez dans {minutes} min.",
    network: "Serveur injoignable.",
    invalid_code: "Code d'accès inconnu, déjà utilisé, retiré ou expiré. Demandez un nouveau code.",
    wrong_password: "Mot de passe actuel incorrect.",
    same_password: "Le nouveau mot de passe doit différer de l'actuel.",
    session_lost: "Votre session a pris fin : reconnectez-vous.",
  },
  en: {
    invalid: "Wrong username or password.",
    totp_required: "Enter the code from your authenticator app.",
    totp_invalid: "Wrong or already used code: wait for the next one.",
    totp_unavailable: "Second factor unavailable: the server cannot check codes (TOTP key missing or different). Tell the administrator.",
    locked: "Account locked after several failures. Try again in {minutes} min or ask for an unlock.",
    locked_for_good: "Account locked: ask a supervisor to unlock it.",
    disabled: "Account disabled: contact the administrator.",
    account_expired: "Account expired: contact the administrator.",
    approval_missing: "No prefectoral approval recorded for this account: contact the administrator.",
    approval_expired: "Your prefectoral approval has expired: access to images is suspended until it is renewed.",
    throttled: "Too many attempts from this computer. Try again in {minutes} min.",
    network: "Server unreachable.",
    invalid_code: "Unknown, used, withdrawn or expired access code. Ask for a new one.",
    wrong_password: "Wrong current password.",
    same_password: "The new password must differ from the current one.",
    session_lost: "Your session has ended: sign in again.",
  },
});

/** The answer of a sign-in (`/api/auth/login`, `/api/auth/access-code/redeem`, the
 * TOTP confirmation). */
export interface LoginResponse {
  csrf_token: string | null;
  enroll_required: boolean;
  enroll_token: string | null;
  warnings: { kind: string; days_left: number }[];
}

/** The policy's `{code, message}` detail in French, or the server's message. */
function detailMessage(error: ApiError): string | null {
  const detail = error.detail;
  if (!detail || typeof detail !== "object" || Array.isArray(detail) || !("code" in detail)) return null;
  const d = detail as { code: string; message?: string };
  return policyMessage(d.code) ?? d.message ?? d.code;
}

/** The French sentence for a refused sign-in. */
export function refusalMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return t("network");
  const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60));
  switch (error.code) {
    case "totp_required":
      return t("totp_required");
    case "totp_invalid":
      return t("totp_invalid");
    case "totp_unavailable":
      return t("totp_unavailable");
    case "locked":
      return error.retryAfter ? t("locked", { minutes }) : t("locked_for_good");
    case "disabled":
    case "account_expired":
    case "approval_missing":
    case "approval_expired":
      return t(error.code);
    case "too_many_attempts":
    case "throttled":
      return t("throttled", { minutes });
    default:
      return detailMessage(error) ?? (error.status === 401 ? t("invalid") : error.message);
  }
}

/** The French sentence for a refused access code (preview or redeem). */
export function accessCodeMessage(error: unknown): string {
  if (error instanceof ApiError && error.code === "invalid_code") return t("invalid_code");
  return refusalMessage(error);
}

/** Whether a refused password change means the session itself is gone: a 401 other
 * than a missing or wrong code (those are the form's errors). */
export function sessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.code !== "totp_required" && error.code !== "totp_invalid";
}

/** The French sentence for a refused password change. */
export function passwordChangeMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return t("network");
  if (error.code === "wrong_password" || error.code === "same_password") return t(error.code);
  if (sessionEnded(error)) return t("session_lost");
  return refusalMessage(error);
}
