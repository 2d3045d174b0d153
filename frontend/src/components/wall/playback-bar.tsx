// Under the wall in playback: one play/pause, the speeds, back to live, and one timeline
// for every tile. The timeline draws the union of the wall's cameras' recorded ranges
// (green where at least one camera recorded); a click seeks every tile there.
import { useEffect, useRef, useState } from "preact/hooks";

import { formatTime, messages } from "../../lib/i18n";
import { SpeedButtons } from "../playback/player";
import { fetchRecordings, type TimelineData } from "../timeline/data";
import { Timeline } from "../timeline/timeline";
import { endOf, fetchWindow, holes, type Interval, union, type View, viewAround } from "../timeline/view";
import type { WallPlayback } from "./wall-playback";

const t = messages({
  fr: {
    play: "Lecture",
    pause: "Pause",
    speed: "Vitesse de tout le mur",
    live: "Maintenant (direct)",
    instant: "Instant du mur : {at}",
    label: "Chronologie du mur (enregistrements d'au moins une caméra)",
  },
  en: {
    play: "Play",
    pause: "Pause",
    speed: "Speed of the whole wall",
    live: "Now (live)",
    instant: "Wall instant: {at}",
    label: "Wall timeline (recordings of at least one camera)",
  },
});

const REFRESH_MS = 15_000;
const NO_MARKS = { start: null, end: null };

/** The union of the cameras' recorded ranges over the view's fetch window. */
function useWallTimelineData(cameras: string[], view: View): TimelineData {
  const [data, setData] = useState<{ ranges: Interval[]; failed: boolean }>({ ranges: [], failed: false });
  const [tick, setTick] = useState(0);
  const win = fetchWindow(view);
  const key = `${cameras.join(",")}:${win.key}`;

  useEffect(() => {
    const timer = window.setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    Promise.allSettled(cameras.map((c) => fetchRecordings(c, win.start, win.end, abort.signal))).then((all) => {
      if (abort.signal.aborted) return;
      const ok = all.flatMap((r) => (r.status === "fulfilled" ? [r.value.ranges] : []));
      setData({ ranges: union(ok), failed: ok.length < all.length });
    });
    return () => abort.abort();
  }, [key, tick]);

  return { ranges: data.ranges, gaps: holes(data.ranges), holds: [], incidents: [], failed: data.failed };
}

interface Props {
  playback: WallPlayback;
  cameras: string[];
  now: number;
  onLive: () => void;
}

export function WallPlaybackBar({ playback, cameras, now, onLive }: Props) {
  const [view, setView] = useState<View>(() => viewAround(playback.instant.value ?? now, 0, now, 0.6));
  const data = useWallTimelineData(cameras, view);
  const playhead = playback.instant.value;
  const playing = playback.playing.value;

  // The window pages along when playing carries the playhead out of it.
  const previous = useRef<number | null>(null);
  useEffect(() => {
    const before = previous.current;
    previous.current = playhead;
    if (playhead === null || before === null) return;
    setView((v) => {
      const wasIn = before >= v.start && before <= endOf(v);
      return wasIn && playhead > endOf(v) ? viewAround(playhead, v.zoom, Date.now(), 0.25) : v;
    });
  }, [playhead]);

  const seek = (at: number) => {
    playback.seek(at);
    setView((v) => (at >= v.start && at <= endOf(v) ? v : viewAround(at, v.zoom, Date.now(), 0.5)));
  };

  return (
    <div class="wall-playback" data-testid="wall-playback-bar">
      <div class="toolbar wall-playback-controls">
        <button
          type="button"
          class="primary"
          onClick={() => playback.toggle()}
          aria-label={playing ? t("pause") : t("play")}
          data-testid="wall-play-pause"
        >
          {playing ? `❚❚ ${t("pause")}` : `▶ ${t("play")}`}
        </button>
        <SpeedButtons speed={playback.speed.value} onSpeed={(v) => playback.setSpeed(v)} label={t("speed")} testid="wall-speed" />
        <span class="wall-instant" data-testid="wall-instant" data-instant={playhead ?? ""}>
          {playhead !== null && t("instant", { at: formatTime(playhead) })}
        </span>
        <button type="button" onClick={onLive} data-testid="wall-live">
          {t("live")}
        </button>
      </div>
      <Timeline
        view={view}
        now={now}
        data={data}
        playhead={playhead}
        marks={NO_MARKS}
        onView={setView}
        onSeek={seek}
        onMarks={() => undefined}
        label={t("label")}
      />
    </div>
  );
}
