// Sign-in: username, password and, for the roles that reach images, a TOTP code; the
// first sign-in of such a role enrols its second factor by QR code. An agent with an
// access code (an invitation, a reset) chooses its password here too, from the link
// « J'ai un code d'accès » or an #/access?code=… link, then goes through the same
// enrolment.
import { useEffect, useState } from "preact/hooks";

import { codeFromRoute } from "../lib/access";
import { api, ApiError, setCsrfToken } from "../lib/api";
import { type LoginResponse, refusalMessage } from "../lib/auth";
import { messages } from "../lib/i18n";
import { navigate, route } from "../lib/router";
import { loadSession } from "../lib/session";
import { TotpField } from "../components/totp-field";
import { AccessCodeForm } from "./access-code";

const t = messages({
  fr: {
    title: "Connexion",
    username: "Identifiant",
    password: "Mot de passe",
    totp: "Code à six chiffres de votre application d'authentification",
    submit: "Se connecter",
    confirm: "Valider le code",
    have_code: "J'ai un code d'accès",
    totp_invalid: "Code incorrect ou déjà utilisé : attendez le code suivant.",
    enrol_title: "Activer la double authentification",
    enrol_help:
      "Votre rôle donne accès aux images : scannez ce QR code avec une application d'authentification (FreeOTP, Aegis, Google Authenticator…), puis saisissez le code affiché.",
    enrol_secret: "Ou saisissez la clé à la main :",
    enrol_expired: "Le délai d'activation est dépassé : reconnectez-vous.",
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
    have_code: "I have an access code",
    totp_invalid: "Wrong or already used code: wait for the next one.",
    enrol_title: "Turn on two-factor authentication",
    enrol_help:
      "Your role gives access to images: scan this QR code with an authenticator app (FreeOTP, Aegis, Google Authenticator…), then enter the code it shows.",
    enrol_secret: "Or type the key by hand:",
    enrol_expired: "Enrolment timed out: sign in again.",
    warning_approval: "Your prefectoral approval expires in {days} day(s).",
    warning_account: "Your account expires in {days} day(s).",
  },
});

interface Enrolment {
  qr_svg: string;
  secret: string;
}

export function SignIn({ onWarnings }: { onWarnings: (w: string[]) => void }) {
  const linkCode = codeFromRoute(route.value);
  const [withCode, setWithCode] = useState(linkCode !== null);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [askCode, setAskCode] = useState(false);
  const [enrolToken, setEnrolToken] = useState<string | null>(null);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // An #/access link followed while this page is open.
  useEffect(() => {
    if (linkCode !== null) setWithCode(true);
  }, [linkCode]);

  const finish = async (r: LoginResponse) => {
    setCsrfToken(r.csrf_token);
    onWarnings(r.warnings.map((w) => t(w.kind === "approval" ? "warning_approval" : "warning_account", { days: w.days_left })));
    await loadSession();
  };

  /** After a password (or an access code) was accepted: enrol, or in. */
  const signedIn = async (r: LoginResponse) => {
    if (r.enroll_required && r.enroll_token) {
      const e = await api<Enrolment>("/api/auth/totp/enroll", { method: "POST", bearer: r.enroll_token });
      setCode("");
      setError(null);
      setEnrolToken(r.enroll_token);
      setEnrolment(e);
    } else {
      await finish(r);
    }
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
      await signedIn(r);
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
        setWithCode(false);
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
          <TotpField label={t("totp")} value={code} onValue={setCode} />
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            {t("confirm")}
          </button>
        </form>
      </main>
    );
  }

  if (withCode) {
    return (
      <AccessCodeForm
        initialCode={linkCode ?? ""}
        onAccepted={signedIn}
        onBack={() => {
          setWithCode(false);
          setError(null);
          if (linkCode !== null) navigate("");
        }}
      />
    );
  }

  return (
    <main class="signin">
      <form class="card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Beffroi · {t("title")}</h1>
        <label>
          {t("username")}
          <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          {t("password")}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {askCode && <TotpField label={t("totp")} value={code} onValue={setCode} autoFocus />}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {t("submit")}
        </button>
        <button
          type="button"
          class="link"
          data-testid="have-code"
          onClick={() => {
            setError(null);
            setWithCode(true);
          }}
        >
          {t("have_code")}
        </button>
      </form>
    </main>
  );
}
