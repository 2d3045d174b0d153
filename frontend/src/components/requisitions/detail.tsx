// One requisition: who requires what, the footage the archive holds for each item, its
// holds and history, closing it, and its sealed packages.
import { ApiError, api } from "../../lib/api";
import { formatDuration, formatTime, messages } from "../../lib/i18n";
import { errorText } from "../../lib/poll";
import { href } from "../../lib/router";
import { useResource } from "../../lib/resource";
import { can } from "../../lib/session";
import { DataTable, LoadError, Loading } from "../data-table";
import { CloseActions } from "./actions";
import { Exports } from "./exports";
import { coverage, footageMessages, isClosed, type Item, label, type Requisition, stateBadge } from "./model";

const t = messages({
  fr: {
    back: "← Registre",
    requisition: "Réquisition {number}",
    authority: "Autorité",
    basis: "Base légale",
    procedure: "Procédure",
    received: "Reçue le",
    recorded_by: "Enregistrée par",
    assigned: "Enquêteurs habilités",
    notes: "Notes",
    delivery: "Remise",
    delivered: "{to}, le {at}, sur {medium} (signé : {signature})",
    reason: "Motif",
    items: "Caméras et plages",
    camera: "Caméra",
    range: "Plage demandée",
    recorded: "Enregistré",
    gaps: "Trous",
    no_gap: "aucun",
    holds: "Gels d'images",
    in_force: "en vigueur",
    released: "levé le {at} par {by}",
    history: "Historique",
    created: "création",
    added: "ajout de caméras ou de plages",
    not_found: "Réquisition introuvable, ou hors de votre périmètre.",
  },
  en: {
    back: "← Register",
    requisition: "Requisition {number}",
    authority: "Authority",
    basis: "Legal basis",
    procedure: "Procedure",
    received: "Received",
    recorded_by: "Recorded by",
    assigned: "Assigned investigators",
    notes: "Notes",
    delivery: "Delivery",
    delivered: "{to}, on {at}, on {medium} (signed: {signature})",
    reason: "Reason",
    items: "Cameras and ranges",
    camera: "Camera",
    range: "Requested range",
    recorded: "Recorded",
    gaps: "Gaps",
    no_gap: "none",
    holds: "Holds",
    in_force: "in force",
    released: "released on {at} by {by}",
    history: "History",
    created: "created",
    added: "cameras or ranges added",
    not_found: "Requisition not found, or outside your scope.",
  },
});

function ItemRow({ item }: { item: Item }) {
  const f = item.footage;
  const share = coverage(item);
  return (
    <tr data-testid="requisition-item-row">
      <td>
        <code>{item.camera}</code>
      </td>
      <td>
        {formatTime(item.start)} → {formatTime(item.end)}
      </td>
      <td>
        {f ? (
          <>
            <span data-testid="recorded-seconds">{formatDuration(f.recorded_seconds)}</span>
            {share !== null && (
              <div class="coverage" title={`${Math.round(share * 100)} %`}>
                <span style={{ width: `${Math.round(share * 100)}%` }} />
              </div>
            )}
            {f.ranges.map((r, i) => (
              <div key={i} class="muted" data-testid="recorded-range">
                {formatTime(r.start)} → {formatTime(r.end)}
              </div>
            ))}
          </>
        ) : (
          "—"
        )}
      </td>
      <td>
        {f && f.gaps.length === 0 && <span class="muted">{t("no_gap")}</span>}
        {f?.gaps.map((g, i) => (
          <div key={i} class="muted">
            {formatTime(g.start)} → {formatTime(g.end)} ({formatDuration(g.seconds)})
          </div>
        ))}
        {footageMessages(item).map((m, i) => (
          <p key={i} class="warning-text">
            {m}
          </p>
        ))}
      </td>
    </tr>
  );
}

function historyDetail(detail: string | null): string {
  if (!detail) return "";
  try {
    const facts = JSON.parse(detail) as Record<string, unknown>;
    return Object.entries(facts)
      .map(([k, v]) => `${k} : ${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" · ");
  } catch {
    return detail;
  }
}

export function RequisitionDetail({ id }: { id: number }) {
  const resource = useResource((signal) => api<Requisition>(`/api/requisitions/${id}`, { signal }), [id], {
    describe: (e) => (e instanceof ApiError && e.status === 404 ? t("not_found") : errorText(e)),
  });
  const { data: req, error } = resource;

  if (error) {
    return (
      <section class="requisitions">
        <p>
          <a href={href("requisitions")}>{t("back")}</a>
        </p>
        <LoadError error={error} retry={resource.reload} />
      </section>
    );
  }
  if (!req) return <Loading />;
  const reload = () => void resource.reload();
  const a = req.authority;

  return (
    <section class="requisitions requisition-detail" data-testid="requisition-detail">
      <p>
        <a href={href("requisitions")}>{t("back")}</a>
      </p>
      <div class="heading">
        <h1>{t("requisition", { number: req.number })}</h1>
        <span class={`badge ${stateBadge(req.state)}`} data-testid="requisition-state">
          {label(req.state)}
        </span>
      </div>
      <dl class="facts card">
        <dt>{t("authority")}</dt>
        <dd>
          {[a.rank, a.name].filter(Boolean).join(" ")} — {[a.service, a.unit].filter(Boolean).join(", ")}
        </dd>
        <dt>{t("basis")}</dt>
        <dd>{req.legal_basis === "other" ? req.legal_basis_other : label(req.legal_basis)}</dd>
        <dt>{t("procedure")}</dt>
        <dd>{req.procedure}</dd>
        <dt>{t("received")}</dt>
        <dd>{formatTime(req.received_at, false)}</dd>
        <dt>{t("recorded_by")}</dt>
        <dd>
          {req.created_by} · {formatTime(req.created_at)}
        </dd>
        {req.assigned_to.length > 0 && (
          <>
            <dt>{t("assigned")}</dt>
            <dd>{req.assigned_to.join(", ")}</dd>
          </>
        )}
        {req.notes && (
          <>
            <dt>{t("notes")}</dt>
            <dd class="pre">{req.notes}</dd>
          </>
        )}
        {req.delivery && (
          <>
            <dt>{t("delivery")}</dt>
            <dd data-testid="delivery">
              {t("delivered", {
                to: req.delivery.to,
                at: formatTime(req.delivery.at, false),
                medium: req.delivery.medium,
                signature: req.delivery.signature,
              })}
            </dd>
          </>
        )}
        {req.close_reason && (
          <>
            <dt>{t("reason")}</dt>
            <dd class="pre" data-testid="close-reason">
              {req.close_reason}
            </dd>
          </>
        )}
      </dl>

      <h2>{t("items")}</h2>
      <table class="list">
        <thead>
          <tr>
            <th>{t("camera")}</th>
            <th>{t("range")}</th>
            <th>{t("recorded")}</th>
            <th>{t("gaps")}</th>
          </tr>
        </thead>
        <tbody>
          {req.items.map((item, i) => (
            <ItemRow key={i} item={item} />
          ))}
        </tbody>
      </table>

      <div class="columns">
        <Exports req={req} onChanged={reload} />
        {can("requisition.manage") && !isClosed(req.state) && <CloseActions req={req} onDone={reload} />}
      </div>

      {(req.holds ?? []).length > 0 && (
        <>
          <h2>{t("holds")}</h2>
          <DataTable
            rows={req.holds ?? []}
            testId="holds"
            rowKey={(h) => h.id}
            columns={[
              { head: t("camera"), cell: (h) => <code>{h.camera}</code> },
              {
                head: t("range"),
                cell: (h) => (
                  <>
                    {formatTime(h.start)} → {formatTime(h.end)}
                  </>
                ),
              },
              {
                head: "",
                cell: (h) =>
                  h.active ? (
                    <span class="badge ok">{t("in_force")}</span>
                  ) : (
                    <span class="muted">
                      {t("released", { at: formatTime(h.released_at), by: h.released_by ?? "?" })}
                      {h.release_reason ? ` — ${h.release_reason}` : ""}
                    </span>
                  ),
              },
            ]}
          />
        </>
      )}

      <h2>{t("history")}</h2>
      <ol class="history" data-testid="history">
        {(req.history ?? []).map((h, i) => (
          <li key={i}>
            <span class="when">{formatTime(h.at)}</span> <strong>{h.by}</strong> :{" "}
            {h.from_state === h.to_state ? (
              t("added")
            ) : (
              <>
                {h.from_state ? `${label(h.from_state)} → ` : `${t("created")} → `}
                <span class={`badge ${stateBadge(h.to_state)}`}>{label(h.to_state)}</span>
              </>
            )}
            {h.detail && <div class="muted">{historyDetail(h.detail)}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}
