// Creating a user, or changing one: role, communes, a patrol agent's cameras, the agent
// record (police, prefectoral approval, training, account end). The server applies the
// rules (password policy, approval for the roles that view images) and says why it
// refuses; the form says it in French.
import { useState } from "preact/hooks";

import { api } from "../../lib/api";
import type { CameraOut } from "../../lib/cameras";
import { messages } from "../../lib/i18n";
import { APPROVAL_ROLES, ROLES, refusal, type UserOut } from "./model";
import { roleName, words } from "./words";

const t = messages({
  fr: {
    create_title: "Nouvel utilisateur",
    edit_title: "Modifier {username}",
    username: "Identifiant",
    password: "Mot de passe initial",
    password_help: "12 caractères au moins avec minuscules, majuscules, chiffres et symboles (ou une phrase de passe de 20 caractères).",
    role: "Rôle",
    full_name: "Nom et prénom",
    service: "Service",
    communes: "Communes",
    cameras: "Caméras désignées (patrouille)",
    cameras_help: "Un agent de patrouille ne voit que ces caméras.",
    police: "Police municipale",
    approval_ref: "Référence de l'agrément préfectoral",
    approval_expires: "Fin de validité de l'agrément",
    approval_help: "Obligatoire pour ce rôle hors police municipale (CSI, art. R252-12).",
    training: "Formation à la protection des données",
    account_expires: "Fin de validité du compte",
    create: "Créer l'utilisateur",
    save: "Enregistrer",
    sending: "Envoi…",
    too_short: "Mot de passe trop court : 12 caractères au moins.",
    too_long: "Mot de passe trop long : 1 024 caractères au plus.",
    too_weak: "Mot de passe trop faible : 12 caractères avec minuscules, majuscules, chiffres et symboles, ou 14 avec trois de ces types, ou une phrase de passe de 20 caractères.",
    too_repetitive: "Mot de passe trop répétitif : 6 caractères différents au moins.",
    common: "Ce mot de passe figure dans la liste des mots de passe courants.",
    contains_username: "Le mot de passe ne doit pas contenir l'identifiant.",
  },
  en: {
    create_title: "New user",
    edit_title: "Change {username}",
    username: "Username",
    password: "Initial password",
    password_help: "At least 12 characters with lower and upper case, digits and symbols (or a passphrase of 20 characters).",
    role: "Role",
    full_name: "Full name",
    service: "Service",
    communes: "Communes",
    cameras: "Designated cameras (patrol)",
    cameras_help: "A patrol agent sees only these cameras.",
    police: "Municipal police",
    approval_ref: "Prefectoral approval reference",
    approval_expires: "Approval valid until",
    approval_help: "Required for this role unless municipal police (CSI, art. R252-12).",
    training: "Data-protection training",
    account_expires: "Account valid until",
    create: "Create the user",
    save: "Save",
    sending: "Sending…",
    too_short: "Password too short: at least 12 characters.",
    too_long: "Password too long: 1,024 characters at most.",
    too_weak: "Password too weak: 12 characters with lower and upper case, digits and symbols, or 14 with three of these, or a passphrase of 20 characters.",
    too_repetitive: "Password too repetitive: at least 6 different characters.",
    common: "This password is in the list of common passwords.",
    contains_username: "The password must not contain the username.",
  },
});

type PolicyCode = "too_short" | "too_long" | "too_weak" | "too_repetitive" | "common" | "contains_username";
const POLICY = new Set<string>(["too_short", "too_long", "too_weak", "too_repetitive", "common", "contains_username"]);

export function policyMessage(code: string): string | null {
  return POLICY.has(code) ? t(code as PolicyCode) : null;
}

export interface Commune {
  id: string;
  name: string;
}

interface Draft {
  username: string;
  password: string;
  role: string;
  full_name: string;
  service: string;
  communes: string[];
  cameras: string[];
  is_police: boolean;
  approval_ref: string;
  approval_expires: string;
  training_date: string;
  account_expires: string;
}

function draftOf(u: UserOut | null): Draft {
  return {
    username: u?.username ?? "",
    password: "",
    role: u?.role ?? "operator",
    full_name: u?.full_name ?? "",
    service: u?.service ?? "",
    communes: [...(u?.communes ?? [])],
    cameras: [...(u?.cameras ?? [])],
    is_police: u?.is_police ?? false,
    approval_ref: u?.approval_ref ?? "",
    approval_expires: u?.approval_expires ?? "",
    training_date: u?.training_date ?? "",
    account_expires: u?.account_expires ?? "",
  };
}

const TEXT_FIELDS = ["full_name", "service", "approval_ref", "approval_expires", "training_date", "account_expires"] as const;

/** The request body: everything for a creation, only what changed for an edit. */
export function userBody(d: Draft, before: UserOut | null): Record<string, unknown> {
  const cameras = d.role === "patrol" ? [...d.cameras].sort() : [];
  const full: Record<string, unknown> = {
    role: d.role,
    communes: [...d.communes].sort(),
    cameras,
    is_police: d.is_police,
  };
  for (const key of TEXT_FIELDS) full[key] = d[key].trim() || null;
  if (!before) return { username: d.username.trim(), password: d.password, ...full };
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(full)) {
    const old = (before as unknown as Record<string, unknown>)[key];
    const same = Array.isArray(value) ? JSON.stringify(value) === JSON.stringify([...((old as string[]) ?? [])].sort()) : value === old;
    if (!same) changed[key] = value;
  }
  return changed;
}

function toggle(list: string[], value: string, on: boolean): string[] {
  return on ? [...new Set([...list, value])] : list.filter((v) => v !== value);
}

export function UserForm(props: {
  user: UserOut | null;
  communes: Commune[];
  cameras: CameraOut[];
  onDone: (username: string) => void;
  onCancel: () => void;
}) {
  const [d, setD] = useState<Draft>(() => draftOf(props.user));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setD((prev) => ({ ...prev, [key]: value }));
  const editing = props.user !== null;
  const needsApproval = APPROVAL_ROLES.has(d.role) && !d.is_police;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = userBody(d, props.user);
      if (editing) {
        await api(`/api/users/${encodeURIComponent(props.user!.username)}`, { method: "PATCH", body });
      } else {
        await api("/api/users", { method: "POST", body });
      }
      props.onDone(editing ? props.user!.username : d.username.trim());
    } catch (err) {
      setError(refusal(err, policyMessage));
    } finally {
      setBusy(false);
    }
  };

  const text = (key: (typeof TEXT_FIELDS)[number] | "username", label: string, date = false) => {
    const common = {
      name: key,
      value: d[key],
      disabled: key === "username" && editing,
      onInput: (e: Event) => set(key, (e.target as HTMLInputElement).value),
    };
    return (
      <label>
        {label}
        {date ? <input type="date" {...common} /> : <input type="text" {...common} />}
      </label>
    );
  };

  const patrolCameras = props.cameras.filter((c) => d.communes.includes(c.commune));
  return (
    <form class="card user-form" onSubmit={submit} data-testid="user-form">
      <h2>{editing ? t("edit_title", { username: props.user!.username }) : t("create_title")}</h2>
      <div class="grid">
        {text("username", t("username"))}
        {!editing && (
          <label>
            {t("password")}
            <input type="password" name="password" autocomplete="new-password" value={d.password} onInput={(e) => set("password", (e.target as HTMLInputElement).value)} />
            <small>{t("password_help")}</small>
          </label>
        )}
        <label>
          {t("role")}
          <select name="role" value={d.role} onChange={(e) => set("role", (e.target as HTMLSelectElement).value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {roleName(r)}
              </option>
            ))}
          </select>
        </label>
        {text("full_name", t("full_name"))}
        {text("service", t("service"))}
      </div>
      <fieldset>
        <legend>{t("communes")}</legend>
        {props.communes.map((c) => (
          <label key={c.id} class="check">
            <input type="checkbox" checked={d.communes.includes(c.id)} onChange={(e) => set("communes", toggle(d.communes, c.id, (e.target as HTMLInputElement).checked))} />
            {c.name}
          </label>
        ))}
      </fieldset>
      {d.role === "patrol" && (
        <fieldset>
          <legend>{t("cameras")}</legend>
          <small>{t("cameras_help")}</small>
          {patrolCameras.map((c) => (
            <label key={c.id} class="check">
              <input type="checkbox" checked={d.cameras.includes(c.id)} onChange={(e) => set("cameras", toggle(d.cameras, c.id, (e.target as HTMLInputElement).checked))} />
              {c.name} <code>{c.id}</code>
            </label>
          ))}
        </fieldset>
      )}
      <fieldset>
        <label class="check">
          <input type="checkbox" name="is_police" checked={d.is_police} onChange={(e) => set("is_police", (e.target as HTMLInputElement).checked)} />
          {t("police")}
        </label>
        <div class="grid">
          {text("approval_ref", t("approval_ref"))}
          {text("approval_expires", t("approval_expires"), true)}
          {text("training_date", t("training"), true)}
          {text("account_expires", t("account_expires"), true)}
        </div>
        {needsApproval && <small class="hint">{t("approval_help")}</small>}
      </fieldset>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="toolbar">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t("sending") : editing ? t("save") : t("create")}
        </button>
        <button type="button" onClick={props.onCancel}>
          {words("cancel")}
        </button>
      </div>
    </form>
  );
}
