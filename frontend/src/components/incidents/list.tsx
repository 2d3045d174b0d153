// The incident queue, newest first, refreshed every 5 s: an incident that arrives shows a
// banner and a highlighted row (and a tone, when the agent turned sound on).
import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { api } from "../../lib/api";
import { useCameras } from "../../lib/cameras";
import { formatTime, messages } from "../../lib/i18n";
import { useResource } from "../../lib/resource";
import { href, navigate, type Route } from "../../lib/router";
import { DataTable } from "../data-table";
import { arrivals, FAULT_KINDS, type Incident, STATES, stateBadge, word } from "./model";

const t = messages({
  fr: {
    title: "Incidents",
    state: "État",
    open: "Ouverts",
    all: "Tous",
    kind: "Type",
    commune: "Commune",
    sound: "Signal sonore",
    number: "N°",
    building: "Bâtiment",
    zone: "Zone",
    cameras: "Caméras",
    opened: "Ouvert le",
    alarms: "Alarmes",
    none: "Aucun incident.",
    arrived: "Nouvel incident : {what}",
    arrived_many: "{n} nouveaux incidents",
    open_it: "Ouvrir",
    dismiss: "Vu",
    refreshed: "Actualisé à {at}",
    stale: "Liste non actualisée : {error}",
  },
  en: {
    title: "Incidents",
    state: "State",
    open: "Open",
    all: "All",
    kind: "Kind",
    commune: "Commune",
    sound: "Sound alert",
    number: "No.",
    building: "Building",
    zone: "Zone",
    cameras: "Cameras",
    opened: "Opened",
    alarms: "Alarms",
    none: "No incident.",
    arrived: "New incident: {what}",
    arrived_many: "{n} new incidents",
    open_it: "Open",
    dismiss: "Seen",
    refreshed: "Refreshed at {at}",
    stale: "List not refreshed: {error}",
  },
});

const KINDS = ["intrusion", "fire", "panic", "holdup", "tamper", "technical", ...FAULT_KINDS];
const SOUND_KEY = "beffroi.incident-sound";
const REFRESH_MS = 5000;

/** Two short tones from the page itself (no sound file to fetch). */
function chime(): void {
  try {
    const ctx = new AudioContext();
    [0, 0.25].forEach((delay, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = i ? 660 : 880;
      gain.gain.setValueAtTime(0.2, ctx.currentTime + delay);
      gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + delay + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(ctx.currentTime + delay);
      osc.stop(ctx.currentTime + delay + 0.22);
    });
    setTimeout(() => void ctx.close(), 1000);
  } catch {
    // no audio output: the banner is the cue
  }
}

export function place(i: Incident): string {
  return i.building_name ?? i.building ?? i.cameras.join(", ") ?? "";
}

export function IncidentList({ route }: { route: Route }) {
  const state = route.params.get("state") ?? "open";
  const kind = route.params.get("kind") ?? "";
  const commune = route.params.get("commune") ?? "";
  const [refreshed, setRefreshed] = useState<number | null>(null);
  const [fresh, setFresh] = useState<number[]>([]);
  const { cameras } = useCameras(null);
  const communes = useMemo(() => Object.fromEntries((cameras ?? []).map((c) => [c.commune, c.commune_name])), [cameras]);
  const [sound, setSound] = useState(() => localStorage.getItem(SOUND_KEY) === "1");
  const seen = useRef<Set<number> | null>(null);
  const soundRef = useRef(sound);
  soundRef.current = sound;

  // A new filter is a new first load: nothing "arrives" (before the loader's effect).
  useEffect(() => {
    seen.current = null;
  }, [state, kind, commune]);
  const incidents = useResource(
    async (signal) => {
      const query = {
        state: STATES.includes(state as never) ? state : undefined,
        kind: kind || undefined,
        commune: commune || undefined,
        limit: 200,
      };
      let list = await api<Incident[]>("/api/incidents", { query, signal });
      if (state === "open") list = list.filter((i) => i.state !== "closed");
      const added = arrivals(seen.current, list);
      seen.current = new Set([...(seen.current ?? []), ...list.map((i) => i.id)]);
      if (added.length > 0) {
        setFresh((f) => [...added, ...f]);
        if (soundRef.current) chime();
      }
      setRefreshed(Date.now());
      return list;
    },
    [state, kind, commune],
    { every: REFRESH_MS },
  );
  const rows = incidents.data;
  const error = incidents.error;

  useEffect(() => {
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = fresh.length ? `(${fresh.length}) ${base}` : base;
    return () => {
      document.title = document.title.replace(/^\(\d+\) /, "");
    };
  }, [fresh.length]);

  const apply = (change: Record<string, string>) => navigate("incidents", { state, kind, commune, ...change });
  const toggleSound = () => {
    localStorage.setItem(SOUND_KEY, sound ? "0" : "1");
    if (!sound) chime(); // the click lets the browser play, and tells the agent what it sounds like
    setSound(!sound);
  };
  const newest = rows?.find((r) => r.id === fresh[0]);

  return (
    <section class="incidents">
      <div class="heading">
        <h1>{t("title")}</h1>
        <span class="muted" data-testid="refreshed">
          {refreshed ? t("refreshed", { at: formatTime(refreshed) }) : ""}
        </span>
      </div>
      {fresh.length > 0 && (
        <div class="arrival" role="alert" data-testid="incident-arrival">
          <strong>
            {fresh.length === 1 && newest
              ? t("arrived", { what: `${word(newest.kind)} — ${place(newest)}` })
              : t("arrived_many", { n: fresh.length })}
          </strong>
          {newest && (
            <a class="button primary" href={href(`incidents/${newest.id}`)}>
              {t("open_it")}
            </a>
          )}
          <button type="button" onClick={() => setFresh([])}>
            {t("dismiss")}
          </button>
        </div>
      )}
      <div class="toolbar">
        <label>
          {t("state")}
          <select value={state} onChange={(e) => apply({ state: (e.target as HTMLSelectElement).value })} data-testid="filter-state">
            <option value="open">{t("open")}</option>
            <option value="all">{t("all")}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {word(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("kind")}
          <select value={kind} onChange={(e) => apply({ kind: (e.target as HTMLSelectElement).value })}>
            <option value="">{t("all")}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {word(k)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("commune")}
          <select value={commune} onChange={(e) => apply({ commune: (e.target as HTMLSelectElement).value })}>
            <option value="">{t("all")}</option>
            {Object.entries(communes).map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" checked={sound} onChange={toggleSound} data-testid="incident-sound" />
          {t("sound")}
        </label>
      </div>
      <DataTable
        rows={rows}
        error={error && (rows ? t("stale", { error }) : error)}
        retry={incidents.reload}
        testId="incident-list"
        class="incident-list"
        labelled
        empty={t("none")}
        rowKey={(i) => i.id}
        rowProps={(i) => ({
          class: fresh.includes(i.id) ? "fresh" : "",
          "data-testid": "incident-row",
          "data-id": i.id,
          onClick: (e: MouseEvent) => {
            if ((e.target as HTMLElement).tagName !== "A") navigate(`incidents/${i.id}`);
          },
        })}
        columns={[
          { head: t("number"), cell: (i) => <a href={href(`incidents/${i.id}`)}>{i.id}</a> },
          { head: t("state"), cell: (i) => <span class={`badge ${stateBadge(i.state)}`}>{word(i.state)}</span> },
          { head: t("kind"), cell: (i) => word(i.kind) },
          { head: t("commune"), cell: (i) => communes[i.commune] ?? i.commune },
          { head: t("building"), cell: (i) => i.building_name ?? i.building ?? "—" },
          { head: t("zone"), cell: (i) => (i.zone === null ? "—" : `${i.zone}${i.zone_name ? ` · ${i.zone_name}` : ""}`) },
          { head: t("cameras"), cell: (i) => i.cameras.join(", ") || "—" },
          { head: t("opened"), cell: (i) => formatTime(i.opened_at) },
          { head: t("alarms"), cell: (i) => i.alarms },
        ]}
      />
    </section>
  );
}
