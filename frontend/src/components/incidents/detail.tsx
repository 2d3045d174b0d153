// One incident, as the agent at the screen or on call with a phone needs it: where and
// when, what to do (the procedure), the clip of the seconds before the alarm next to the
// live cameras, who was called, and the buttons to take it in charge and close it.
import { useEffect, useMemo, useState } from "preact/hooks";

import { ApiError, api } from "../../lib/api";
import { useCameras } from "../../lib/cameras";
import { formatTime, messages } from "../../lib/i18n";
import { errorText, usePoll } from "../../lib/poll";
import { href } from "../../lib/router";
import { can } from "../../lib/session";
import { IncidentActions } from "./actions";
import { CameraPanel } from "./media";
import { type Attempt, FAULT_KINDS, type IncidentDetail, mediaPending, stateBadge, word } from "./model";
import { Timeline } from "./timeline";

const t = messages({
  fr: {
    back: "← Incidents",
    title: "Incident n° {id}",
    building: "Bâtiment",
    zone: "Zone",
    commune: "Commune",
    opened: "Alarme reçue le",
    alarms: "Alarmes regroupées",
    disposition: "Qualification",
    police: "Police appelée à",
    notes: "Notes",
    procedure: "Procédure à suivre",
    no_procedure: "Pas de procédure définie pour ce bâtiment.",
    fault: "Défaut",
    fault_since: "Depuis le {at}",
    fault_cleared: "Résorbé le {at}",
    fault_lasting: "Toujours en cours",
    occurrences: "{n} occurrence(s)",
    cameras: "Caméras",
    notifications: "Notifications",
    none_sent: "Aucune notification envoyée.",
    sent: "envoyée",
    failed: "échec",
    step: "rang {n}",
    alarm_list: "Messages de la centrale",
    loading: "Chargement…",
    not_found: "Incident introuvable, ou hors de vos communes.",
    link_ok: "Ouvert depuis le lien de notification (valable jusqu'au {at}).",
    link_other: "Ce lien désigne l'incident n° {id}.",
    link_expired: "Ce lien de notification a expiré. L'incident reste consultable ici si vos droits le permettent.",
    link_invalid: "Lien de notification invalide : altéré, inconnu, ou d'une commune qui n'est pas la vôtre.",
  },
  en: {
    back: "← Incidents",
    title: "Incident {id}",
    building: "Building",
    zone: "Zone",
    commune: "Commune",
    opened: "Alarm received",
    alarms: "Grouped alarms",
    disposition: "Disposition",
    police: "Police called at",
    notes: "Notes",
    procedure: "Procedure",
    no_procedure: "No procedure set for this building.",
    fault: "Fault",
    fault_since: "Since {at}",
    fault_cleared: "Cleared {at}",
    fault_lasting: "Still going on",
    occurrences: "{n} occurrence(s)",
    cameras: "Cameras",
    notifications: "Notifications",
    none_sent: "No notification sent.",
    sent: "sent",
    failed: "failed",
    step: "step {n}",
    alarm_list: "Panel messages",
    loading: "Loading…",
    not_found: "Incident not found, or outside your communes.",
    link_ok: "Opened from the notification link (valid until {at}).",
    link_other: "This link names incident {id}.",
    link_expired: "This notification link has expired. The incident can still be read here if your rights allow it.",
    link_invalid: "Invalid notification link: altered, unknown, or of a commune that is not yours.",
  },
});

type LinkState =
  | { state: "ok"; expires: string }
  | { state: "other"; incident: number }
  | { state: "expired" }
  | { state: "invalid" }
  | null;

function LinkBanner({ link }: { link: LinkState }) {
  if (!link) return null;
  const bad = link.state === "expired" || link.state === "invalid";
  return (
    <p class={`link-status ${bad ? "bad" : "ok"}`} role={bad ? "alert" : "status"} data-testid="link-status" data-state={link.state}>
      {link.state === "ok" && t("link_ok", { at: formatTime(link.expires) })}
      {link.state === "other" && <a href={href(`incidents/${link.incident}`)}>{t("link_other", { id: link.incident })}</a>}
      {link.state === "expired" && t("link_expired")}
      {link.state === "invalid" && t("link_invalid")}
    </p>
  );
}

export function IncidentPage({ id, token }: { id: number; token: string | null }) {
  const [inc, setInc] = useState<IncidentDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempts, setAttempts] = useState<Attempt[]>([]);
  const { cameras } = useCameras(null);
  const names = useMemo(() => Object.fromEntries((cameras ?? []).map((c) => [c.id, c.name])), [cameras]);
  const communes = useMemo(() => Object.fromEntries((cameras ?? []).map((c) => [c.commune, c.commune_name])), [cameras]);
  const [link, setLink] = useState<LinkState>(null);
  const [checked, setChecked] = useState<Set<number>>(new Set());

  const load = async () => {
    try {
      const [detail, sent] = await Promise.all([
        api<IncidentDetail>(`/api/incidents/${id}`),
        api<Attempt[]>(`/api/incidents/${id}/notifications`).catch(() => [] as Attempt[]),
      ]);
      setInc(detail);
      setAttempts(sent);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 404 ? t("not_found") : errorText(e));
    }
  };

  useEffect(() => {
    void load();
  }, [id]);

  useEffect(() => {
    if (!token) return setLink(null);
    api<{ incident: number; expires_at: string }>(`/api/incident-links/${encodeURIComponent(token)}`)
      .then((r) => setLink(r.incident === id ? { state: "ok", expires: r.expires_at } : { state: "other", incident: r.incident }))
      .catch((e) => setLink(e instanceof ApiError && e.status === 410 ? { state: "expired" } : { state: "invalid" }));
  }, [id, token]);

  // Faster while the snapshot or clip is being made, then slower for others' changes.
  usePoll(load, inc === null ? null : mediaPending(inc) ? 2000 : 5000, [id]);

  const back = (
    <p>
      <a href={href("incidents")}>{t("back")}</a>
    </p>
  );
  if (!inc) {
    return (
      <section class="incident">
        {back}
        <LinkBanner link={link} />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p class="loading">{t("loading")}</p>
        )}
      </section>
    );
  }

  const fault = inc.fault;
  const toggle = (i: number) => {
    const next = new Set(checked);
    if (next.has(i)) next.delete(i);
    else next.add(i);
    setChecked(next);
  };

  return (
    <section class="incident" data-testid="incident-detail" data-id={inc.id}>
      {back}
      <LinkBanner link={link} />
      <header class="incident-head">
        <h1>
          {t("title", { id: inc.id })} · {word(inc.kind)}
        </h1>
        <span class={`badge big ${stateBadge(inc.state)}`} data-testid="incident-state" data-state={inc.state}>
          {word(inc.state)}
        </span>
      </header>
      {error && <p class="error">{error}</p>}

      <div class="incident-grid">
        <dl class="facts card">
          {inc.building && (
            <>
              <dt>{t("building")}</dt>
              <dd data-testid="incident-building">{inc.building_name ?? inc.building}</dd>
            </>
          )}
          {inc.zone !== null && (
            <>
              <dt>{t("zone")}</dt>
              <dd>
                {inc.zone}
                {inc.zone_name ? ` · ${inc.zone_name}` : ""}
              </dd>
            </>
          )}
          <dt>{t("commune")}</dt>
          <dd>{communes[inc.commune] ?? inc.commune}</dd>
          <dt>{t("opened")}</dt>
          <dd data-testid="incident-opened">{formatTime(inc.opened_at)}</dd>
          {inc.alarms > 1 && (
            <>
              <dt>{t("alarms")}</dt>
              <dd>
                {inc.alarms} ({formatTime(inc.last_alarm_at)})
              </dd>
            </>
          )}
          {inc.disposition && (
            <>
              <dt>{t("disposition")}</dt>
              <dd data-testid="incident-disposition">{word(inc.disposition)}</dd>
            </>
          )}
          {inc.police_called_at && (
            <>
              <dt>{t("police")}</dt>
              <dd>{formatTime(inc.police_called_at, false)}</dd>
            </>
          )}
          {inc.notes && (
            <>
              <dt>{t("notes")}</dt>
              <dd class="pre">{inc.notes}</dd>
            </>
          )}
        </dl>

        {fault || FAULT_KINDS.has(inc.kind) ? (
          <section class="card fault" data-testid="incident-fault">
            <h2>{t("fault")}</h2>
            {fault && (
              <>
                <p class="fault-message">{fault.message}</p>
                <p class="muted">
                  <code>{fault.object}</code> · {t("fault_since", { at: formatTime(fault.raised_at) })} ·{" "}
                  {fault.resolved_at ? t("fault_cleared", { at: formatTime(fault.resolved_at) }) : t("fault_lasting")} ·{" "}
                  {t("occurrences", { n: fault.occurrences })}
                </p>
              </>
            )}
          </section>
        ) : (
          <section class="card procedure">
            <h2>{t("procedure")}</h2>
            {inc.procedure.length === 0 && <p class="muted">{t("no_procedure")}</p>}
            <ol data-testid="incident-procedure">
              {inc.procedure.map((step, i) => (
                <li key={i}>
                  <label class="check">
                    <input type="checkbox" checked={checked.has(i)} onChange={() => toggle(i)} />
                    <span>{step}</span>
                  </label>
                </li>
              ))}
            </ol>
          </section>
        )}

        {can("incident.manage") && <IncidentActions inc={inc} onChanged={(next) => (next ? setInc(next) : void load())} />}
      </div>

      {(inc.media ?? []).length > 0 && (
        <>
          <h2>{t("cameras")}</h2>
          <div class="cameras">
            {(inc.media ?? []).map((m) => (
              <CameraPanel key={m.camera} media={m} name={names[m.camera] ?? ""} alarmAt={inc.opened_at} />
            ))}
          </div>
        </>
      )}

      <div class="incident-grid">
        <Timeline inc={inc} />
        <section class="card notifications">
          <h2>{t("notifications")}</h2>
          {attempts.length === 0 && <p class="muted">{t("none_sent")}</p>}
          <ul data-testid="incident-notifications">
            {attempts.map((a, i) => (
              <li key={i}>
                <span class="when">{formatTime(a.at)}</span> <strong>{a.user}</strong> · {a.channel}{" "}
                {a.address !== null && <span class="muted">{a.address}</span>}{" "}
                {a.step !== null && <span class="muted">({t("step", { n: a.step })})</span>}{" "}
                <span class={`badge ${a.outcome === "sent" ? "ok" : "bad"}`}>{a.outcome === "sent" ? t("sent") : t("failed")}</span>
                {a.error && <div class="error">{a.error}</div>}
              </li>
            ))}
          </ul>
        </section>
        {inc.alarm_list.length > 0 && (
          <section class="card alarms">
            <h2>{t("alarm_list")}</h2>
            <ul>
              {inc.alarm_list.map((a, i) => (
                <li key={i}>
                  <span class="when">{formatTime(a.received_at)}</span> <code>{a.code}</code> {word(a.kind)}
                  {a.zone !== null && ` · ${t("zone")} ${a.zone}`}
                  {a.account && <span class="muted"> · #{a.account}</span>}
                  {a.text && <div class="muted">{a.text}</div>}
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </section>
  );
}
