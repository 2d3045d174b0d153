// « J'ai un code d'accès »: the agent types the code it was handed (or follows an
// #/access?code=… link), sees which account it opens, chooses its password and is
// signed in, through the TOTP enrolment when its role reaches images. Nobody else
// ever knew the password.
import { useEffect, useState } from "preact/hooks";

import type { CodeInfo } from "../lib/access";
import { api, ApiError } from "../lib/api";
import { accessCodeMessage, type LoginResponse } from "../lib/auth";
import { formatTime, messages } from "../lib/i18n";
import { confirmationProblem } from "../lib/password-policy";
import { NewPasswordFields } from "../components/new-password-fields";

const t = messages({
  fr: {
    title: "Code d'accès",
    help: "Saisissez le code qui vous a été remis en main propre (les tirets et les majuscules ne comptent pas).",
    code: "Code d'accès",
    check: "Continuer",
    account: "Compte : {name}",
    invitation: "Invitation : choisissez le mot de passe de votre nouveau compte.",
    reset: "Réinitialisation : votre mot de passe et votre double authentification seront remplacés.",
    valid_until: "Code valable jusqu'au {at}.",
    password: "Nouveau mot de passe",
    confirmation: "Confirmation du mot de passe",
    submit: "Choisir ce mot de passe et se connecter",
    other_code: "Saisir un autre code",
    back: "Retour à la connexion",
    sending: "Envoi…",
  },
  en: {
    title: "Access code",
    help: "Type the code you were handed in person (dashes and case do not matter).",
    code: "Access code",
    check: "Continue",
    account: "Account: {name}",
    invitation: "Invitation: choose the password of your new account.",
    reset: "Reset: your password and your second factor will be replaced.",
    valid_until: "Code valid until {at}.",
    password: "New password",
    confirmation: "Confirm the password",
    submit: "Choose this password and sign in",
    other_code: "Type another code",
    back: "Back to sign-in",
    sending: "Sending…",
  },
});

export function AccessCodeForm(props: {
  initialCode: string;
  /** A sign-in answer, as after a login: enrolment or session. */
  onAccepted: (r: LoginResponse) => Promise<void>;
  onBack: () => void;
}) {
  const [code, setCode] = useState(props.initialCode);
  const [info, setInfo] = useState<CodeInfo | null>(null);
  const [password, setPassword] = useState("");
  const [confirmation, setConfirmation] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const check = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      setInfo(await api<CodeInfo>("/api/auth/access-code", { method: "POST", body: { code: value } }));
    } catch (e) {
      setError(accessCodeMessage(e));
    } finally {
      setBusy(false);
    }
  };

  // A code from a link is looked up at once: the agent sees whose account it opens.
  useEffect(() => {
    if (props.initialCode) void check(props.initialCode);
  }, [props.initialCode]);

  const redeem = async (e: Event) => {
    e.preventDefault();
    const mismatch = confirmationProblem(password, confirmation);
    if (mismatch) return setError(mismatch);
    setBusy(true);
    setError(null);
    try {
      const r = await api<LoginResponse>("/api/auth/access-code/redeem", {
        method: "POST",
        body: { code, password, cookie: true },
      });
      await props.onAccepted(r);
    } catch (err) {
      const message = accessCodeMessage(err);
      setError(message);
      // A used or withdrawn code: back to typing one.
      if (err instanceof ApiError && err.code === "invalid_code") setInfo(null);
    } finally {
      setBusy(false);
    }
  };

  const errorView = error && (
    <p class="error" role="alert">
      {error}
    </p>
  );

  if (!info) {
    return (
      <main class="signin">
        <form
          class="card"
          aria-labelledby="code-title"
          data-testid="access-code-form"
          onSubmit={(e) => {
            e.preventDefault();
            void check(code);
          }}
        >
          <h1 id="code-title">Beffroi · {t("title")}</h1>
          <p>{t("help")}</p>
          <label>
            {t("code")}
            <input
              name="access_code"
              autoComplete="off"
              spellcheck={false}
              required
              autoFocus
              class="access-code"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </label>
          {errorView}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? t("sending") : t("check")}
          </button>
          <button type="button" class="link" onClick={props.onBack}>
            {t("back")}
          </button>
        </form>
      </main>
    );
  }

  return (
    <main class="signin">
      <form class="card" onSubmit={redeem} aria-labelledby="code-title" data-testid="access-code-form">
        <h1 id="code-title">Beffroi · {t("title")}</h1>
        <p data-testid="access-code-account">
          <strong>{t("account", { name: info.username })}</strong>
        </p>
        <p data-testid="access-code-purpose">{t(info.purpose === "reset" ? "reset" : "invitation")}</p>
        <p class="muted">{t("valid_until", { at: formatTime(info.expires_at, false) })}</p>
        {/* For the browser's password manager: which account the new password is for. */}
        <input type="text" name="username" autoComplete="username" value={info.username} readOnly hidden />
        <NewPasswordFields
          label={t("password")}
          confirmLabel={t("confirmation")}
          value={password}
          confirmation={confirmation}
          onValue={setPassword}
          onConfirmation={setConfirmation}
          autoFocus
        />
        {errorView}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("sending") : t("submit")}
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setInfo(null);
            setError(null);
            setPassword("");
            setConfirmation("");
          }}
        >
          {t("other_code")}
        </button>
      </form>
    </main>
  );
}
