import { useState } from "preact/hooks";

import { api, ApiError, setCsrfToken } from "../lib/api";
import { messages } from "../lib/i18n";
import { loadSession } from "../lib/session";

const t = messages({
  fr: {
    title: "Connexion",
    username: "Identifiant",
    password: "Mot de passe",
    totp: "Code à six chiffres de votre application d'authentification",
    submit: "Se connecter",
    confirm: "Valider le code",
    invalid: "Identifiant ou mot de passe incorrect.",
    totp_required: "Saisissez le code de votre application d'authentification.",
    totp_invalid: "Code incorrect ou déjà utilisé : attendez le code suivant.",
    totp_unavailable: "Second facteur indisponible : le serveur ne peut pas vérifier les codes (clé TOTP absente ou différente). Prévenez l'administrateur.",
    locked: "Compte verrouillé après plusieurs échecs. Réessayez dans {minutes} min ou demandez un déverrouillage.",
    locked_for_good: "Compte verrouillé : demandez à un superviseur de le déverrouiller.",
    disabled: "Compte désactivé : contactez l'administrateur.",
    account_expired: "Compte expiré : contactez l'administrateur.",
    approval_missing: "Aucun agrément préfectoral enregistré pour ce compte : contactez l'administrateur.",
    approval_expired: "Votre agrément préfectoral a expiré : l'accès aux images est suspendu jusqu'à son renouvellement.",
    throttled: "Trop de tentatives depuis ce poste. Réessayez dans {minutes} min.",
    enrol_title: "Activer la double authentification",
    enrol_help: "Votre rôle donne accès aux images : scannez ce QR code avec une application d'authentification (FreeOTP, Aegis, Google Authenticator…), puis saisissez le code affiché.",
    enrol_secret: "Ou saisissez la clé à la main :",
    enrol_expired: "Le délai d'activation est dépassé : reconnectez-vous.",
    network: "Serveur injoignable.",
    warning_approval: "Votre agrément préfectoral expire dans {days} jour(s).",
    warning_account: "Votre compte expire dans {days} jour(s).",
  },
  en: {
    title: "Sign in",
    username: "Username",
    password: "Password",
    totp: "Six-digit code from your authenticator app",
    submit: "Sign in",
    confirm: "Confirm code",
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
    enrol_title: "Turn on two-factor authentication",
    enrol_help: "Your role gives access to images: scan this QR code with an authenticator app (FreeOTP, Aegis, Google Authenticator…), then enter the code it shows.",
    enrol_secret: "Or type the key by hand:",
    enrol_expired: "Enrolment timed out: sign in again.",
    network: "Server unreachable.",
    warning_approval: "Your prefectoral approval expires in {days} day(s).",
    warning_account: "Your account expires in {days} day(s).",
  },
});

interface LoginResponse {
  csrf_token: string | null;
  enroll_required: boolean;
  enroll_token: string | null;
  warnings: { kind: string; days_left: number }[];
}

interface Enrolment {
  qr_svg: string;
  secret: string;
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
      return t("throttled", { minutes });
    default:
      return error.status === 401 ? t("invalid") : error.message;
  }
}

export function SignIn({ onWarnings }: { onWarnings: (w: string[]) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [askCode, setAskCode] = useState(false);
  const [enrolToken, setEnrolToken] = useState<string | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const finish = async (r: LoginResponse) => {
    setCsrfToken(r.csrf_token);
    onWarnings(
      r.warnings.map((w) =>
        t(w.kind === "approval" ? "warning_approval" : "warning_account", { days: w.days_left }),
      ),
    );
    await loadSession();
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<LoginResponse>("/api/auth/login", {
        method: "POST",
        body: { username, password, totp: askCode ? code : null, cookie: true },
      });
      if (r.enroll_required && r.enroll_token) {
        const e = await api<Enrolment>("/api/auth/totp/enroll", { method: "POST", bearer: r.enroll_token });
        setEnrolToken(r.enroll_token);
        setEnrolment(e);
      } else {
        await finish(r);
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === "totp_required") setAskCode(true);
      if (e instanceof ApiError && e.code === "totp_invalid") setCode("");
      setError(refusalMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<LoginResponse>("/api/auth/totp/confirm", {
        method: "POST",
        bearer: enrolToken ?? undefined,
        body: { code, cookie: true },
      });
      await finish(r);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setEnrolment(null);
        setError(t("enrol_expired"));
      } else {
        setError(e instanceof ApiError && e.status === 400 ? t("totp_invalid") : refusalMessage(e));
        setCode("");
      }
    } finally {
      setBusy(false);
    }
  };

  if (enrolment) {
    return (
      <main class="signin">
        <form class="card" onSubmit={confirm} aria-labelledby="enrol-title">
          <h1 id="enrol-title">{t("enrol_title")}</h1>
          <p>{t("enrol_help")}</p>
          <div class="qr" data-testid="totp-qr" dangerouslySetInnerHTML={{ __html: enrolment.qr_svg }} />
          <p>
            {t("enrol_secret")} <code data-testid="totp-secret">{enrolment.secret}</code>
          </p>
          <label>
            {t("totp")}
            <input name="code" inputMode="numeric" autoComplete="one-time-code" required
              value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" disabled={busy}>{t("confirm")}</button>
        </form>
      </main>
    );
  }

  return (
    <main class="signin">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Beffroi · {t("title")}</h1>
        <label>
          {t("username")}
          <input name="username" autoComplete="username" required value={username}
            onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t("password")}
          <input name="password" type="password" autoComplete="current-password" required
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {askCode && (
          <label>
            {t("totp")}
            <input name="code" inputMode="numeric" autoComplete="one-time-code" required autoFocus
              value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </label>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{t("submit")}</button>
      </form>
    </main>
  );
}
