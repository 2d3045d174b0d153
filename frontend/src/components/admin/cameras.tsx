// Cameras as the administrator checks them: status, what the stream really is (codec,
// size, frame rate, bitrate), the legal minima of the camera's view and whether they
// are met, the prefectoral authorisation and its end (warned 30 days ahead), and the
// retention in force. No image: this is the camera register, not the wall.
import { useState } from "preact/hooks";

import { type Camera, useCameras } from "../../lib/cameras";
import { formatTime, messages } from "../../lib/i18n";
import { DataTable } from "../data-table";
import { daysUntil, expiryLevel, formatBitrate, formatDate, formatNumber } from "./model";
import { statusBadge, statusName, words } from "./words";

const t = messages({
  fr: {
    camera: "Caméra",
    commune: "Commune",
    status: "État",
    since: "depuis le {at}",
    stream: "Flux",
    minima: "Minima légaux",
    minima_met: "respectés",
    minima_below: "non respectés",
    minima_unknown: "non mesuré",
    authorisation: "Autorisation préfectorale",
    no_authorisation: "aucune",
    expires_in: "expire dans {days} j",
    expired: "expirée",
    retention: "Conservation",
    days: "{n} j",
    count: "{n} caméra(s), {bad} sous les minima, {warn} autorisation(s) à renouveler",
    filter: "Filtrer",
  },
  en: {
    camera: "Camera",
    commune: "Commune",
    status: "State",
    since: "since {at}",
    stream: "Stream",
    minima: "Legal minima",
    minima_met: "met",
    minima_below: "not met",
    minima_unknown: "not measured",
    authorisation: "Prefectoral authorisation",
    no_authorisation: "none",
    expires_in: "expires in {days} d",
    expired: "expired",
    retention: "Retention",
    days: "{n} d",
    count: "{n} camera(s), {bad} below the minima, {warn} authorisation(s) to renew",
    filter: "Filter",
  },
});

export function CamerasTab() {
  const { cameras, error, reload: load } = useCameras(null);
  const [filter, setFilter] = useState("");
  const now = Date.now();
  const needle = filter.trim().toLowerCase();
  const shown = cameras?.filter((c) => !needle || `${c.id} ${c.name} ${c.commune_name}`.toLowerCase().includes(needle)) ?? null;
  const warn = (cameras ?? []).filter((c) => ["warn", "bad"].includes(expiryLevel(c.authorisation?.expires ?? null, now))).length;
  return (
    <div class="cameras-admin">
      <div class="toolbar">
        <label>
          {t("filter")}
          <input type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" onClick={() => void load()}>
          {words("refresh")}
        </button>
        {cameras && (
          <span class="muted-text">{t("count", { n: cameras.length, bad: cameras.filter((c) => c.below_legal_minima).length, warn })}</span>
        )}
      </div>
      <DataTable
        rows={shown}
        error={error}
        retry={load}
        testId="cameras-admin"
        rowKey={(c) => c.id}
        rowProps={(c) => ({ "data-testid": "camera-admin-row", "data-camera": c.id })}
        columns={[
          {
            head: t("camera"),
            cell: (c) => (
              <>
                <strong>{c.name}</strong>
                <div class="sub">
                  <code>{c.id}</code>
                </div>
              </>
            ),
          },
          { head: t("commune"), cell: (c) => c.commune_name },
          {
            head: t("status"),
            cell: (c) => (
              <>
                <span class={`badge ${statusBadge(c.status)}`}>{statusName(c.status)}</span>
                {c.reason && <div class="sub">{c.reason}</div>}
                {c.since && c.status !== "recording" && <div class="sub">{t("since", { at: formatTime(c.since, false) })}</div>}
              </>
            ),
          },
          {
            head: t("stream"),
            cell: (c) =>
              c.codec ? (
                <>
                  <div>
                    {c.codec.toUpperCase()} · {c.width}×{c.height}
                  </div>
                  <div class="sub">
                    {formatNumber(c.fps)} i/s · {formatBitrate(c.bitrate_bps)}
                  </div>
                </>
              ) : (
                "—"
              ),
          },
          { head: t("minima"), cell: (c) => <Minima camera={c} /> },
          { head: t("authorisation"), cell: (c) => <Authorisation camera={c} now={now} /> },
          { head: t("retention"), cell: (c) => t("days", { n: formatNumber(c.retention_days, 1) }) },
        ]}
      />
    </div>
  );
}

function Minima({ camera: c }: { camera: Camera }) {
  const m = c.legal_minima;
  const measured = c.status === "recording" && c.width !== null && c.fps !== null;
  return (
    <>
      <div>
        {m.width}×{m.height} · {formatNumber(m.fps, 0)} i/s
      </div>
      <span class={`badge ${!measured ? "" : c.below_legal_minima ? "bad" : "ok"}`}>
        {!measured ? t("minima_unknown") : c.below_legal_minima ? t("minima_below") : t("minima_met")}
      </span>
    </>
  );
}

function Authorisation({ camera: c, now }: { camera: Camera; now: number }) {
  if (!c.authorisation) return <span class="badge warn">{t("no_authorisation")}</span>;
  const level = expiryLevel(c.authorisation.expires ?? null, now);
  return (
    <>
      <div>{c.authorisation.ref ?? "—"}</div>
      {c.authorisation.expires && (
        <span class={`badge ${level}`} data-testid="authorisation-expiry">
          {formatDate(c.authorisation.expires)}
          {level === "warn" && ` · ${t("expires_in", { days: daysUntil(c.authorisation.expires, now) })}`}
          {level === "bad" && ` · ${t("expired")}`}
        </span>
      )}
    </>
  );
}
