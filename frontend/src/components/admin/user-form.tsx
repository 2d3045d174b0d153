// Creating a user, or changing one: role, communes, a patrol agent's cameras, the agent
// record (police, prefectoral approval, training, account end). No password: the agent
// chooses it with its invitation's access code (nobody knows another user's password).
// The server applies the rules (approval for the roles that view images) and says why
// it refuses; the form says it in French.
import { useState } from "preact/hooks";

import { api } from "../../lib/api";
import type { Camera } from "../../lib/cameras";
import { messages } from "../../lib/i18n";
import { policyMessage } from "../../lib/password-policy";
import type { UserCreated } from "./access-model";
import { APPROVAL_ROLES, ROLES, refusal, type UserOut } from "./model";
import { roleName, words } from "./words";

const t = messages({
  fr: {
    create_title: "Nouvel utilisateur",
    edit_title: "Modifier {username}",
    username: "Identifiant",
    invitation_help:
      "Pas de mot de passe ici : une invitation s'ouvre à la création ; l'agent choisit son mot de passe avec le code d'accès qui lui est remis.",
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
  },
  en: {
    create_title: "New user",
    edit_title: "Change {username}",
    username: "Username",
    invitation_help: "No password here: an invitation opens on creation; the agent chooses a password with the access code handed to them.",
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
  },
});

export interface Commune {
  id: string;
  name: string;
}

interface Draft {
  username: string;
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
  if (!before) return { username: d.username.trim(), ...full };
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
  cameras: Camera[];
  /** `created`: the answer of a creation (its invitation and maybe its code). */
  onDone: (username: string, created: UserCreated | null) => void;
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
        props.onDone(props.user!.username, null);
      } else {
        const created = await api<UserCreated>("/api/users", { method: "POST", body });
        props.onDone(created.username, created);
      }
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
            <input
              type="checkbox"
              checked={d.communes.includes(c.id)}
              onChange={(e) => set("communes", toggle(d.communes, c.id, (e.target as HTMLInputElement).checked))}
            />
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
              <input
                type="checkbox"
                checked={d.cameras.includes(c.id)}
                onChange={(e) => set("cameras", toggle(d.cameras, c.id, (e.target as HTMLInputElement).checked))}
              />
              {c.name} <code>{c.id}</code>
            </label>
          ))}
        </fieldset>
      )}
      <fieldset>
        <label class="check">
          <input
            type="checkbox"
            name="is_police"
            checked={d.is_police}
            onChange={(e) => set("is_police", (e.target as HTMLInputElement).checked)}
          />
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
      {!editing && <small>{t("invitation_help")}</small>}
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
