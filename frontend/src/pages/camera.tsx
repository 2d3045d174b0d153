// One camera: live or playback, its timeline over hours and days, and "export this
// range". `#/camera/{id}?at=ISO` opens playback at that instant.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import type { PageProps } from "../app";
import { ExportDialog } from "../components/export-dialog";
import { LiveVideo } from "../components/live-video";
import { PlaybackEngine } from "../components/playback/engine";
import { nextSpeed } from "../components/playback/instant";
import { Player } from "../components/playback/player";
import { useTimelineData } from "../components/timeline/data";
import { Timeline } from "../components/timeline/timeline";
import { endOf, type View, viewAround } from "../components/timeline/view";
import { ApiError, api } from "../lib/api";
import type { Camera } from "../lib/cameras";
import { formatTime, messages } from "../lib/i18n";
import { MINUTE, parisClock, SECOND } from "../lib/paris";
import { can } from "../lib/session";
import "./camera.css";

const t = messages({
  fr: {
    live: "Direct",
    playback: "Relecture",
    recording: "Enregistre",
    connecting: "Connexion",
    offline: "Hors ligne",
    offline_since: "Hors ligne depuis {at}",
    disabled: "Désactivée",
    minima: "Sous les minima légaux",
    not_found: "Caméra inconnue ou hors de vos communes.",
    loading: "Chargement…",
    paris_now: "Heure de Paris : {clock}",
    mark_in: "⟦ Marquer le début",
    mark_out: "Marquer la fin ⟧",
    clear: "Effacer",
    marked: "Plage : {start} → {end}",
    unmarked: "Aucune plage marquée : marquez le début et la fin au point de lecture, ou Maj + glisser sur la chronologie.",
    export: "Exporter cette plage",
    export_reserved: "L'export d'une plage se fait sur réquisition, par un superviseur.",
    no_recording: "Vous n'avez pas accès aux enregistrements de cette caméra.",
  },
  en: {
    live: "Live",
    playback: "Playback",
    recording: "Recording",
    connecting: "Connecting",
    offline: "Offline",
    offline_since: "Offline since {at}",
    disabled: "Disabled",
    minima: "Below legal minima",
    not_found: "Unknown camera, or outside your communes.",
    loading: "Loading…",
    paris_now: "Paris time: {clock}",
    mark_in: "⟦ Mark start",
    mark_out: "Mark end ⟧",
    clear: "Clear",
    marked: "Range: {start} → {end}",
    unmarked: "No range marked: mark the start and end at the playhead, or Shift + drag on the timeline.",
    export: "Export this range",
    export_reserved: "Exporting a range is done on a requisition, by a supervisor.",
    no_recording: "You may not view this camera's recordings.",
  },
});

function StatusBadge({ camera }: { camera: Camera }) {
  const cls = { recording: "ok", connecting: "warn", offline: "bad", disabled: "" }[camera.status];
  const offlineSince = camera.status === "offline" && camera.since;
  const text = offlineSince ? t("offline_since", { at: formatTime(camera.since, false) }) : t(camera.status);
  return (
    <span class={`badge ${cls}`} data-testid="camera-status">
      {text}
    </span>
  );
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), SECOND);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

export function CameraPage({ route }: PageProps) {
  const id = route.path[1] ?? "";
  const atParam = route.params.get("at");
  const canLive = can("camera.view_live");
  const canPlay = can("recording.read");
  const canExport = can("requisition.manage") && can("export.create");
  const now = useNow();
  const [camera, setCamera] = useState<Camera | null>(null);
  const [missing, setMissing] = useState(false);
  const [mode, setMode] = useState<"live" | "playback">(canLive && !atParam ? "live" : "playback");
  const [view, setView] = useState<View>(() => viewAround(Date.now(), 0, Date.now()));
  const [marks, setMarks] = useState<{ start: number | null; end: number | null }>({ start: null, end: null });
  const [dialog, setDialog] = useState<{ start: number; end: number } | null>(null);
  const [reload, setReload] = useState(0);
  const engine = useMemo(() => new PlaybackEngine(id), [id]);
  const data = useTimelineData(id, view, now, reload);

  useEffect(() => {
    setMissing(false);
    api<Camera>(`/api/cameras/${encodeURIComponent(id)}`)
      .then((c) => {
        setCamera(c);
        engine.setFps(c.fps);
      })
      .catch((e: unknown) => setMissing(e instanceof ApiError && e.status === 404));
  }, [id, engine]);

  const seek = (at: number) => {
    if (!canPlay) return;
    setMode("playback");
    engine.load(at);
    setView((v) => (at >= v.start && at <= endOf(v) ? v : viewAround(at, v.zoom, Date.now(), 0.5)));
  };

  // `?at=`: playback from that instant; without it and without live, five minutes ago.
  useEffect(() => {
    const at = atParam ? Date.parse(atParam) : NaN;
    if (Number.isFinite(at)) seek(at);
    else if (!canLive && canPlay) seek(Date.now() - 5 * MINUTE);
  }, [engine, atParam]);

  const instant = engine.instant.value;
  const playhead = mode === "playback" ? instant : now;

  // The window pages along when playing carries the playhead out of it.
  const previous = useRef<number | null>(null);
  useEffect(() => {
    const before = previous.current;
    previous.current = playhead;
    if (playhead === null || before === null) return;
    setView((v) => {
      const end = endOf(v);
      const wasIn = before >= v.start && before <= end;
      return wasIn && playhead > end ? viewAround(playhead, v.zoom, Date.now(), 0.25) : v;
    });
  }, [playhead]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (dialog || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey || mode !== "playback") return;
      const key = e.key.toLowerCase();
      if (key === " " || key === "k") engine.toggle();
      else if (key === "arrowleft") engine.step(-1);
      else if (key === "arrowright") engine.step(1);
      else if (key === "j") engine.setSpeed(nextSpeed(engine.speed.value, -1));
      else if (key === "l") engine.setSpeed(nextSpeed(engine.speed.value, 1));
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [engine, dialog, mode]);

  if (missing) return <p class="empty">{t("not_found")}</p>;

  // A mark at the playhead; the other end is kept when the range stays in order.
  const mark = (which: "start" | "end") => {
    if (playhead === null) return;
    setMarks((m) =>
      which === "start"
        ? { start: playhead, end: m.end !== null && m.end > playhead ? m.end : null }
        : { start: m.start !== null && m.start < playhead ? m.start : null, end: playhead },
    );
  };

  const openExport = () => {
    const at = playhead ?? now;
    const start = marks.start ?? at - 30 * SECOND;
    const end = marks.end ?? Math.min(start + MINUTE, now);
    setDialog({ start: Math.min(start, end), end: Math.max(start, end) });
  };

  return (
    <section class="camera-page">
      <header class="camera-head">
        <h1 data-testid="camera-name">{camera?.name ?? id}</h1>
        <span class="camera-commune">{camera?.commune_name}</span>
        {camera && <StatusBadge camera={camera} />}
        {camera?.below_legal_minima && <span class="badge warn">{t("minima")}</span>}
        <div class="camera-modes" role="group">
          {canLive && (
            <button
              type="button"
              class={mode === "live" ? "active" : ""}
              aria-pressed={mode === "live"}
              onClick={() => setMode("live")}
              data-testid="mode-live"
            >
              {t("live")}
            </button>
          )}
          {canPlay && (
            <button
              type="button"
              class={mode === "playback" ? "active" : ""}
              aria-pressed={mode === "playback"}
              onClick={() => mode !== "playback" && seek(instant ?? now - MINUTE)}
              data-testid="mode-playback"
            >
              {t("playback")}
            </button>
          )}
        </div>
        <span class="camera-clock" data-testid="paris-clock">
          {t("paris_now", { clock: parisClock(now) })}
        </span>
      </header>
      <div class="camera-picture">
        {mode === "live" && canLive ? (
          <LiveVideo camera={id} class="camera-live" />
        ) : canPlay ? (
          <Player engine={engine} canSnapshot={can("snapshot.read")} onJump={seek} />
        ) : (
          <p class="empty">{t("no_recording")}</p>
        )}
      </div>
      {canPlay && (
        <>
          <Timeline
            view={view}
            now={now}
            data={data}
            playhead={playhead}
            marks={marks}
            onView={setView}
            onSeek={seek}
            onMarks={(start, end) => setMarks({ start, end })}
          />
          <div class="toolbar camera-marks">
            <button type="button" disabled={playhead === null} onClick={() => mark("start")} data-testid="mark-in">
              {t("mark_in")}
            </button>
            <button type="button" disabled={playhead === null} onClick={() => mark("end")} data-testid="mark-out">
              {t("mark_out")}
            </button>
            <span class="camera-range" data-testid="marked-range">
              {marks.start !== null && marks.end !== null
                ? t("marked", { start: formatTime(marks.start), end: formatTime(marks.end) })
                : marks.start !== null
                  ? t("marked", { start: formatTime(marks.start), end: "…" })
                  : t("unmarked")}
            </span>
            {(marks.start !== null || marks.end !== null) && (
              <button type="button" class="link" onClick={() => setMarks({ start: null, end: null })}>
                {t("clear")}
              </button>
            )}
            {canExport ? (
              <button type="button" class="primary" onClick={openExport} data-testid="export-range">
                {t("export")}
              </button>
            ) : (
              <span class="muted" data-testid="export-reserved">
                {t("export_reserved")}
              </span>
            )}
          </div>
        </>
      )}
      {dialog && (
        <ExportDialog
          camera={id}
          cameraName={camera?.name ?? id}
          start={dialog.start}
          end={dialog.end}
          onChanged={() => setReload((n) => n + 1)}
          onClose={() => setDialog(null)}
        />
      )}
    </section>
  );
}
