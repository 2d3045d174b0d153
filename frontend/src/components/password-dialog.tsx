// « Changer mon mot de passe »: the current password and, when a second factor is
// enrolled, a current code (a session left open on a desk is not enough), then the new
// one twice. The server ends the user's other sessions; this one stays. Its refusals
// (wrong password, missing code, policy) are form errors: none signs the user out.
import { useState } from "preact/hooks";

import { api, ApiError, SESSION_LOST } from "../lib/api";
import { passwordChangeMessage, sessionEnded } from "../lib/auth";
import { messages } from "../lib/i18n";
import { confirmationProblem } from "../lib/password-policy";
import { NewPasswordFields } from "./new-password-fields";
import { TotpField } from "./totp-field";

const t = messages({
  fr: {
    title: "Changer mon mot de passe",
    current: "Mot de passe actuel",
    new_password: "Nouveau mot de passe",
    confirmation: "Confirmation du nouveau mot de passe",
    totp: "Code à six chiffres de votre application d'authentification",
    totp_help: "Laissez vide si votre compte n'a pas de double authentification.",
    submit: "Changer le mot de passe",
    sending: "Envoi…",
    cancel: "Annuler",
    close: "Fermer",
    done: "Mot de passe changé. Vos autres sessions ouvertes sont fermées ; utilisez le nouveau mot de passe à la prochaine connexion.",
  },
  en: {
    title: "Change my password",
    current: "Current password",
    new_password: "New password",
    confirmation: "Confirm the new password",
    totp: "Six-digit code from your authenticator app",
    totp_help: "Leave empty if your account has no second factor.",
    submit: "Change the password",
    sending: "Sending…",
    cancel: "Cancel",
    close: "Close",
    done: "Password changed. Your other open sessions are closed; use the new password at your next sign-in.",
  },
});

export function PasswordDialog({ username, onClose }: { username: string; onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [totp, setTotp] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const mismatch = confirmationProblem(next, confirmation);
    if (mismatch) return setError(mismatch);
    setBusy(true);
    setError(null);
    try {
      await api("/api/auth/password", {
        method: "POST",
        body: { current_password: current, new_password: next, totp: totp.trim() || null },
      });
      setDone(true);
    } catch (err) {
      setError(passwordChangeMessage(err));
      if (err instanceof ApiError && err.status === 401) setTotp("");
      // Not a code problem: the session itself is gone, back to sign-in.
      if (sessionEnded(err)) window.dispatchEvent(new CustomEvent(SESSION_LOST));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && !busy && onClose()}>
      <div
        class="dialog card password-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="password-title"
        data-testid="password-dialog"
      >
        <form class="dialog-form" onSubmit={submit}>
          <h2 id="password-title">{t("title")}</h2>
          {done ? (
            <p class="notice" role="status">
              {t("done")}
            </p>
          ) : (
            <>
              <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
              <label>
                {t("current")}
                <input
                  name="current_password"
                  type="password"
                  autoComplete="current-password"
                  required
                  autoFocus
                  value={current}
                  onInput={(e) => setCurrent(e.currentTarget.value)}
                />
              </label>
              <NewPasswordFields
                label={t("new_password")}
                confirmLabel={t("confirmation")}
                value={next}
                confirmation={confirmation}
                onValue={setNext}
                onConfirmation={setConfirmation}
              />
              <TotpField label={t("totp")} name="totp" value={totp} onValue={setTotp} required={false} strict>
                <small>{t("totp_help")}</small>
              </TotpField>
            </>
          )}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <div class="toolbar dialog-actions">
            {!done && (
              <button type="submit" class="primary" disabled={busy}>
                {busy ? t("sending") : t("submit")}
              </button>
            )}
            <button type="button" onClick={onClose} disabled={busy}>
              {done ? t("close") : t("cancel")}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
