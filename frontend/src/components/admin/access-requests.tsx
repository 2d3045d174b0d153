// « Demandes d'accès »: the open requests for an access code that the caller may see
// (a supervisor: the agents of its communes). The second person approves one here and
// receives its code, shown once, to hand to the agent; the button says why when the
// caller may not (its own request, an agent outside its communes…). A request, or a
// code not used yet, can be cancelled.
import { useState } from "preact/hooks";

import type { AccessRequestOut, IssuedCodeOut } from "../../lib/access";
import { api } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { useResource } from "../../lib/resource";
import { DataTable, Notice } from "../data-table";
import { accessError, reasonText } from "./access-model";
import { ConfirmButton } from "./confirm-button";
import { IssuedCode } from "./issued-code";
import { roleName, words } from "./words";

const t = messages({
  fr: {
    help: "Un compte qui accède aux images ou administre reçoit son code d'accès d'une seconde personne : celle qui approuve la demande le reçoit, une seule fois, et le remet en main propre à l'agent.",
    none: "Aucune demande en cours.",
    user: "Agent",
    purpose: "Objet",
    invitation: "Invitation (nouveau compte)",
    reset: "Réinitialisation (mot de passe et double authentification)",
    requested: "Demandé par",
    expires: "Échéance",
    state: "État",
    actions: "Actions",
    waiting: "En attente d'approbation",
    issued: "Code remis à {name}, pas encore utilisé",
    approve: "Approuver et recevoir le code",
    cancel: "Annuler",
    cancelled: "Demande pour {username} annulée.",
  },
  en: {
    help: "An account that reaches images or administers gets its access code from a second person: whoever approves the request receives it, once, and hands it to the agent in person.",
    none: "No open request.",
    user: "Agent",
    purpose: "Purpose",
    invitation: "Invitation (new account)",
    reset: "Reset (password and second factor)",
    requested: "Asked by",
    expires: "Ends",
    state: "State",
    actions: "Actions",
    waiting: "Awaiting approval",
    issued: "Code handed to {name}, not used yet",
    approve: "Approve and receive the code",
    cancel: "Cancel",
    cancelled: "Request for {username} cancelled.",
  },
});

export function AccessRequestsTab() {
  const requests = useResource((signal) => api<AccessRequestOut[]>("/api/access-requests", { signal }), [], { describe: accessError });
  const [issued, setIssued] = useState<IssuedCodeOut | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = requests.reload;

  const act = async (action: () => Promise<void>) => {
    setBusy(true);
    setNotice(null);
    try {
      await action();
    } catch (e) {
      setNotice({ ok: false, text: accessError(e) });
    } finally {
      setBusy(false);
    }
    await load();
  };
  const approve = (r: AccessRequestOut) =>
    act(async () => {
      setIssued(null);
      setIssued(await api<IssuedCodeOut>(`/api/access-requests/${r.id}/approve`, { method: "POST" }));
    });
  const cancel = (r: AccessRequestOut) =>
    act(async () => {
      await api(`/api/access-requests/${r.id}`, { method: "DELETE" });
      if (issued?.request_id === r.id) setIssued(null);
      setNotice({ ok: true, text: t("cancelled", { username: r.username }) });
    });

  return (
    <div class="access-requests">
      <p class="muted">{t("help")}</p>
      <div class="toolbar">
        <button type="button" onClick={() => void load()}>
          {words("refresh")}
        </button>
      </div>
      <Notice notice={notice} />
      {issued && <IssuedCode issued={issued} onDismiss={() => setIssued(null)} />}
      <DataTable
        rows={requests.data}
        error={requests.error}
        retry={load}
        testId="access-requests"
        empty={t("none")}
        emptyTestId="access-requests-empty"
        rowKey={(r) => r.id}
        rowProps={(r) => ({ "data-testid": "access-request", "data-username": r.username })}
        columns={[
          {
            head: t("user"),
            cell: (r) => (
              <>
                <strong>{r.username}</strong>
                <div class="sub">
                  {roleName(r.role)}
                  {r.communes.length > 0 && ` · ${r.communes.join(", ")}`}
                </div>
              </>
            ),
          },
          { head: t("purpose"), cell: (r) => t(r.purpose === "reset" ? "reset" : "invitation") },
          {
            head: t("requested"),
            cell: (r) => (
              <>
                {r.requested_by}
                <div class="sub">{formatTime(r.requested_at, false)}</div>
              </>
            ),
          },
          { head: t("expires"), cell: (r) => formatTime(r.expires_at, false), class: "nowrap" },
          { head: t("state"), cell: (r) => (r.approved_by ? t("issued", { name: r.approved_by }) : t("waiting")) },
          {
            head: t("actions"),
            cell: (r) => (
              <>
                <div class="actions">
                  {!r.approved_by && (
                    <button
                      type="button"
                      class={r.may_approve ? "primary" : ""}
                      disabled={busy || !r.may_approve}
                      title={r.refusal ? reasonText(r.refusal) : undefined}
                      onClick={() => void approve(r)}
                    >
                      {t("approve")}
                    </button>
                  )}
                  <ConfirmButton danger disabled={busy} onConfirm={() => void cancel(r)}>
                    {t("cancel")}
                  </ConfirmButton>
                </div>
                {!r.approved_by && !r.may_approve && r.refusal && <small data-testid="access-refusal">{reasonText(r.refusal)}</small>}
              </>
            ),
          },
        ]}
      />
    </div>
  );
}
