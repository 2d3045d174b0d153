// The video wall (#/wall): 1, 4, 9 or 16 live cameras, chosen by drag and drop or by
// click from the side panel, by commune or district, or from a saved layout. The wall
// as it is survives a reload and the next sign-in (localStorage, per user); a user's
// first wall shows the first cameras of its scope instead of empty tiles.
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import type { PageProps } from "../app";
import { WallPlaybackBar } from "../components/wall/playback-bar";
import { emptyWall, firstWall, GRIDS, onlyKnown, saveWall, storedWall, visibleCameras, wallReducer } from "../components/wall/layout";
import { SavedLayouts } from "../components/wall/saved";
import { CameraSidebar } from "../components/wall/sidebar";
import { WallTile } from "../components/wall/tile";
import { WallPlayback } from "../components/wall/wall-playback";
import { useCameras } from "../lib/cameras";
import { messages } from "../lib/i18n";
import { MINUTE, SECOND } from "../lib/paris";
import { can, session } from "../lib/session";
import "./wall.css";

const t = messages({
  fr: {
    title: "Mur d'images",
    grid: "Disposition de la grille",
    tiles: "{n} case(s)",
    loading: "Chargement des caméras…",
    error: "Liste des caméras indisponible : {error}",
    exit: "Échap ou double-clic pour revenir au mur",
    playback: "Relecture du mur",
    playback_title: "Relire toutes les caméras du mur au même instant",
  },
  en: {
    title: "Video wall",
    grid: "Grid layout",
    tiles: "{n} tile(s)",
    loading: "Loading cameras…",
    error: "Camera list unavailable: {error}",
    exit: "Escape or double-click to go back to the wall",
    playback: "Wall playback",
    playback_title: "Play back every camera of the wall at one instant",
  },
});

function useNow(on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const timer = window.setInterval(() => setNow(Date.now()), SECOND);
    return () => window.clearInterval(timer);
  }, [on]);
  return now;
}

export function WallPage(_props: PageProps) {
  const user = session.value?.username ?? "";
  const [stored] = useState(() => storedWall(localStorage, user));
  const [state, dispatch] = useReducer(wallReducer, undefined, () => stored ?? emptyWall());
  const { cameras, error } = useCameras(5000);
  const byId = useMemo(() => new Map((cameras ?? []).map((c) => [c.id, c])), [cameras]);

  // Nothing remembered: the first wall is the scope's cameras, put up before the paint
  // that shows the list (so no click lands on an empty wall about to be filled), and
  // nothing is saved until then.
  // A wall stored meanwhile (another tab of the same user, while this one waited for
  // the list) wins over the first wall: it is what the operator last set up.
  const awaitingFirst = useRef(stored === null);
  useLayoutEffect(() => {
    if (!awaitingFirst.current || cameras === null) return;
    awaitingFirst.current = false;
    const first = storedWall(localStorage, user) ?? firstWall(cameras);
    dispatch({ type: "load", grid: first.grid, cameras: first.tiles });
  }, [cameras]);

  // In the commit that shows the change, not after the paint: a reload right after a
  // change (the page closed, a test) must find it saved.
  useLayoutEffect(() => {
    if (!awaitingFirst.current) saveWall(localStorage, user, state);
  }, [user, state.grid, state.tiles]);

  // Cameras the user does not (or no longer) see leave the wall once the list is known.
  const shown = cameras ? onlyKnown(state, new Set(byId.keys())) : state;
  const tiles = visibleCameras(shown);
  const onWall = useMemo(() => new Set(tiles.filter((c): c is string => c !== null)), [tiles.join(",")]);

  // Wall playback: every occupied tile plays its camera's recording at one instant.
  const canPlay = can("recording.read");
  const [playback, setPlayback] = useState<WallPlayback | null>(null);
  const now = useNow(playback !== null);
  const occupied = tiles.filter((c): c is string => c !== null);
  useEffect(() => playback?.setCameras(occupied), [playback, occupied.join(",")]);
  useEffect(() => {
    if (!playback) return;
    playback.start();
    return () => playback.stop();
  }, [playback]);
  const startPlayback = () => {
    const wall = new WallPlayback();
    wall.setCameras(occupied);
    wall.seek(Date.now() - MINUTE);
    setPlayback(wall);
  };
  const held = playback?.held.value;

  useEffect(() => {
    if (state.full === null) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") dispatch({ type: "full", tile: null });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [state.full]);

  return (
    <div class={`wall-page${state.full !== null ? " has-full" : ""}`} data-testid="wall">
      <div class="wall-toolbar toolbar">
        <h1>{t("title")}</h1>
        <div class="grid-choice" role="group" aria-label={t("grid")}>
          {GRIDS.map((g) => (
            <button
              key={g}
              type="button"
              aria-pressed={state.grid === g}
              class={state.grid === g ? "primary" : ""}
              title={t("tiles", { n: g })}
              data-testid={`grid-${g}`}
              onClick={() => dispatch({ type: "grid", grid: g })}
            >
              {g}
            </button>
          ))}
        </div>
        <SavedLayouts grid={state.grid} cameras={tiles} onLoad={(l) => dispatch({ type: "load", grid: l.grid, cameras: l.cameras })} />
        {canPlay && (
          <button
            type="button"
            class={playback ? "primary" : ""}
            aria-pressed={playback !== null}
            title={t("playback_title")}
            data-testid="wall-playback"
            onClick={() => (playback ? setPlayback(null) : startPlayback())}
          >
            {t("playback")}
          </button>
        )}
        {error && (
          <span class="error" role="alert">
            {t("error", { error })}
          </span>
        )}
      </div>
      <div class="wall-body">
        {cameras === null ? (
          <p class="loading">{t("loading")}</p>
        ) : (
          <CameraSidebar
            cameras={cameras}
            onWall={onWall}
            onPick={(camera) => dispatch({ type: "place", camera })}
            onFill={(list) => dispatch({ type: "fill", cameras: list })}
          />
        )}
        <div class={`wall-grid g${state.grid}`} data-testid="wall-grid" data-grid={state.grid}>
          {cameras !== null &&
            tiles.map((cameraId, index) => (
              <WallTile
                key={index}
                index={index}
                cameraId={cameraId}
                camera={cameraId ? byId.get(cameraId) : undefined}
                selected={state.selected === index}
                full={state.full === index}
                compact={state.grid >= 9}
                onSelect={() => dispatch({ type: "select", tile: index })}
                onDropCamera={(camera) => dispatch({ type: "assign", tile: index, camera })}
                onDropTile={(from) => dispatch({ type: "move", from, to: index })}
                onClear={() => dispatch({ type: "clear", tile: index })}
                onFull={() => dispatch({ type: "full", tile: state.full === index ? null : index })}
                engine={playback && cameraId ? playback.engine(cameraId) : undefined}
                noFootage={cameraId !== null && (held?.has(cameraId) ?? false)}
              />
            ))}
        </div>
      </div>
      {playback && <WallPlaybackBar playback={playback} cameras={occupied} now={now} onLive={() => setPlayback(null)} />}
      {state.full !== null && (
        <p class="full-hint" role="status">
          {t("exit")}
        </p>
      )}
    </div>
  );
}
