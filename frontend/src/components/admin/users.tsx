// Users: the administrator's list of every account with its agent record (role,
// communes, prefectoral approval, training, expiry, second factor, lockout, last
// sign-in, an invitation not used yet), creation and changes, disabling, unlock, and
// access resets (a forgotten password, a lost phone: an access code, approved by a
// second person for the accounts that reach images). A supervisor, who does not
// administer users, sees only the locked accounts of its communes.
import { useEffect, useState } from "preact/hooks";

import type { RequestCreated } from "../../lib/access";
import { api } from "../../lib/api";
import { type Camera, loadCameras } from "../../lib/cameras";
import { formatTime, messages } from "../../lib/i18n";
import { policyMessage } from "../../lib/password-policy";
import { useResource } from "../../lib/resource";
import { can } from "../../lib/session";
import { DataTable, Notice } from "../data-table";
import { accessError } from "./access-model";
import { ConfirmButton } from "./confirm-button";
import { AccessOutcome } from "./issued-code";
import { expiryLevel, formatDate, type LockedUser, refusal, type UserOut } from "./model";
import { type Commune, UserForm } from "./user-form";
import { roleName, words } from "./words";

const t = messages({
  fr: {
    new_user: "Nouvel utilisateur",
    user: "Utilisateur",
    role: "Rôle",
    communes: "Communes",
    all_communes: "Toutes",
    approval: "Agrément préfectoral",
    police: "Police municipale",
    none: "aucun",
    training: "Formation",
    account: "Fin du compte",
    state: "État",
    last_login: "Dernière connexion",
    actions: "Actions",
    disabled: "Désactivé",
    locked: "Verrouillé",
    locked_until: "Verrouillé jusqu'au {at}",
    totp_on: "TOTP",
    totp_off: "Sans TOTP",
    invited: "Invitation non utilisée",
    edit: "Modifier",
    disable: "Désactiver",
    enable: "Réactiver",
    reset_access: "Réinitialiser l'accès",
    unlock: "Déverrouiller",
    created: "Utilisateur {username} créé.",
    saved: "Utilisateur {username} modifié.",
    done_disable: "{username} désactivé : ses sessions sont fermées.",
    done_enable: "{username} réactivé.",
    done_unlock: "{username} déverrouillé.",
    locked_title: "Comptes verrouillés de vos communes",
    no_locked: "Aucun compte verrouillé.",
    cameras: "caméras : {list}",
  },
  en: {
    new_user: "New user",
    user: "User",
    role: "Role",
    communes: "Communes",
    all_communes: "All",
    approval: "Prefectoral approval",
    police: "Municipal police",
    none: "none",
    training: "Training",
    account: "Account ends",
    state: "State",
    last_login: "Last sign-in",
    actions: "Actions",
    disabled: "Disabled",
    locked: "Locked",
    locked_until: "Locked until {at}",
    totp_on: "TOTP",
    totp_off: "No TOTP",
    invited: "Invitation not used",
    edit: "Change",
    disable: "Disable",
    enable: "Enable",
    reset_access: "Reset access",
    unlock: "Unlock",
    created: "User {username} created.",
    saved: "User {username} changed.",
    done_disable: "{username} disabled: their sessions are closed.",
    done_enable: "{username} enabled.",
    done_unlock: "{username} unlocked.",
    locked_title: "Locked accounts of your communes",
    no_locked: "No locked account.",
    cameras: "cameras: {list}",
  },
});

export function UsersTab() {
  return can("user.admin") ? <UserAdmin /> : <LockedUsers />;
}

function useNotice() {
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const run = async (action: () => Promise<unknown>, success: string, after: () => Promise<void>) => {
    setNotice(null);
    try {
      await action();
      setNotice({ ok: true, text: success });
    } catch (e) {
      setNotice({ ok: false, text: refusal(e, policyMessage) });
    }
    await after();
  };
  // What an access request gave: its code, shown once, or who must approve it.
  const [outcome, setOutcome] = useState<RequestCreated | null>(null);
  const resetAccess = async (username: string, after: () => Promise<void>) => {
    setNotice(null);
    setOutcome(null);
    try {
      setOutcome(await api<RequestCreated>(`/api/users/${encodeURIComponent(username)}/access`, { method: "POST" }));
    } catch (e) {
      setNotice({ ok: false, text: accessError(e) });
    }
    await after();
  };
  const view = (
    <>
      <Notice notice={notice} />
      {outcome && <AccessOutcome outcome={outcome} onDismiss={() => setOutcome(null)} />}
    </>
  );
  return { run, view, setNotice, setOutcome, resetAccess };
}

function UserAdmin() {
  const users = useResource((signal) => api<UserOut[]>("/api/users", { signal }), [], {
    describe: (e) => refusal(e, policyMessage),
  });
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [communes, setCommunes] = useState<Commune[]>([]);
  const [editing, setEditing] = useState<UserOut | "new" | null>(null);
  const { run, view, setNotice, setOutcome, resetAccess } = useNotice();

  const load = users.reload;
  useEffect(() => {
    void (async () => {
      const cams = await loadCameras().catch(() => [] as Camera[]);
      setCameras(cams);
      const listed = await api<{ communes: Commune[] }>("/api/communes")
        .then((r) => r.communes.map((c) => ({ id: c.id, name: c.name })))
        .catch(() => null);
      // Without the communes route, the communes that have cameras.
      const fromCameras = [...new Map(cams.map((c) => [c.commune, { id: c.commune, name: c.commune_name }])).values()];
      setCommunes((listed ?? fromCameras).sort((a, b) => a.name.localeCompare(b.name, "fr")));
    })();
  }, []);

  const path = (u: UserOut) => `/api/users/${encodeURIComponent(u.username)}`;
  const now = Date.now();
  const communeName = (id: string) => communes.find((c) => c.id === id)?.name ?? id;

  return (
    <div class="users">
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setEditing("new")} disabled={editing !== null}>
          {t("new_user")}
        </button>
        <button type="button" onClick={() => void load()}>
          {words("refresh")}
        </button>
      </div>
      {view}
      {editing !== null && (
        <UserForm
          key={editing === "new" ? "new" : editing.username}
          user={editing === "new" ? null : editing}
          communes={communes}
          cameras={cameras}
          onCancel={() => setEditing(null)}
          onDone={(username, created) => {
            setNotice({ ok: true, text: t(editing === "new" ? "created" : "saved", { username }) });
            setOutcome(created && { request: created.invitation, code: created.code });
            setEditing(null);
            void load();
          }}
        />
      )}
      <DataTable
        rows={users.data}
        error={users.error}
        retry={users.reload}
        testId="users"
        rowKey={(u) => u.username}
        rowProps={(u) => ({ "data-testid": "user-row", "data-username": u.username, class: u.disabled ? "muted" : "" })}
        columns={[
          {
            head: t("user"),
            cell: (u) => (
              <>
                <strong>{u.username}</strong>
                {u.full_name && <div class="sub">{u.full_name}</div>}
                {u.service && <div class="sub">{u.service}</div>}
              </>
            ),
          },
          { head: t("role"), cell: (u) => roleName(u.role) },
          {
            head: t("communes"),
            cell: (u) => (
              <>
                {u.role === "admin" ? t("all_communes") : u.communes.map(communeName).join(", ") || "—"}
                {u.cameras.length > 0 && <div class="sub">{t("cameras", { list: u.cameras.join(", ") })}</div>}
              </>
            ),
          },
          {
            head: t("approval"),
            cell: (u) =>
              u.is_police ? (
                <span class="badge ok">{t("police")}</span>
              ) : u.approval_ref ? (
                <>
                  <div>{u.approval_ref}</div>
                  <span class={`badge ${expiryLevel(u.approval_expires, now)}`}>{formatDate(u.approval_expires)}</span>
                </>
              ) : (
                <span class="muted-text">{t("none")}</span>
              ),
          },
          { head: t("training"), cell: (u) => formatDate(u.training_date) },
          {
            head: t("account"),
            cell: (u) =>
              u.account_expires ? <span class={`badge ${expiryLevel(u.account_expires, now)}`}>{formatDate(u.account_expires)}</span> : "—",
          },
          {
            head: t("state"),
            cell: (u) => (
              <div class="badges">
                {u.disabled && <span class="badge bad">{t("disabled")}</span>}
                {!u.password_set && <span class="badge warn">{t("invited")}</span>}
                {u.locked && (
                  <span class="badge bad" title={u.locked_until ? t("locked_until", { at: formatTime(u.locked_until, false) }) : undefined}>
                    {t("locked")}
                  </span>
                )}
                <span class={`badge ${u.totp ? "ok" : ""}`}>{u.totp ? t("totp_on") : t("totp_off")}</span>
              </div>
            ),
          },
          { head: t("last_login"), cell: (u) => (u.last_login ? formatTime(u.last_login, false) : "—") },
          {
            head: t("actions"),
            cell: (u) => (
              <div class="actions">
                <button type="button" onClick={() => setEditing(u)} disabled={editing !== null}>
                  {t("edit")}
                </button>
                {u.disabled ? (
                  <button
                    type="button"
                    onClick={() =>
                      void run(
                        () => api(path(u), { method: "PATCH", body: { disabled: false } }),
                        t("done_enable", { username: u.username }),
                        load,
                      )
                    }
                  >
                    {t("enable")}
                  </button>
                ) : (
                  <ConfirmButton
                    danger
                    onConfirm={() =>
                      void run(
                        () => api(path(u), { method: "PATCH", body: { disabled: true } }),
                        t("done_disable", { username: u.username }),
                        load,
                      )
                    }
                  >
                    {t("disable")}
                  </ConfirmButton>
                )}
                {can("user.access") && (
                  <ConfirmButton testid="reset-access" onConfirm={() => void resetAccess(u.username, load)}>
                    {t("reset_access")}
                  </ConfirmButton>
                )}
                {u.locked && (
                  <button
                    type="button"
                    onClick={() =>
                      void run(() => api(`${path(u)}/unlock`, { method: "POST" }), t("done_unlock", { username: u.username }), load)
                    }
                  >
                    {t("unlock")}
                  </button>
                )}
              </div>
            ),
          },
        ]}
      />
    </div>
  );
}

function LockedUsers() {
  const { run, view, resetAccess } = useNotice();
  const locked = useResource((signal) => api<LockedUser[]>("/api/users/locked", { signal }), [], {
    describe: (e) => refusal(e, policyMessage),
  });
  const load = locked.reload;
  return (
    <div class="users">
      <h2>{t("locked_title")}</h2>
      {view}
      <DataTable
        rows={locked.data}
        error={locked.error}
        retry={load}
        testId="locked-users"
        empty={t("no_locked")}
        rowKey={(u) => u.username}
        columns={[
          { head: t("user"), cell: (u) => <strong>{u.username}</strong> },
          { head: t("role"), cell: (u) => roleName(u.role) },
          { head: t("communes"), cell: (u) => u.communes.join(", ") },
          { head: t("state"), cell: (u) => (u.locked_until ? t("locked_until", { at: formatTime(u.locked_until, false) }) : t("locked")) },
          {
            head: t("actions"),
            cell: (u) => (
              <div class="actions">
                <button
                  type="button"
                  onClick={() =>
                    void run(
                      () => api(`/api/users/${encodeURIComponent(u.username)}/unlock`, { method: "POST" }),
                      t("done_unlock", { username: u.username }),
                      load,
                    )
                  }
                >
                  {t("unlock")}
                </button>
                {can("user.access") && (
                  <ConfirmButton testid="reset-access" onConfirm={() => void resetAccess(u.username, load)}>
                    {t("reset_access")}
                  </ConfirmButton>
                )}
              </div>
            ),
          },
        ]}
      />
    </div>
  );
}
