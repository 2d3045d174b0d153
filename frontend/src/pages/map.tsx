// The map (#/map): the user's communes with their districts, the cameras coloured by
// status (refreshed every 5 s) with their field of view, and live view in a popup.
// #/map?camera=jlt-001 opens that camera's popup; #/map?commune=ID shows that commune.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import type { PageProps } from "../app";
import { CameraPopup } from "../components/map/popup";
import { type Focus, LeafletMap } from "../components/map/leaflet-map";
import type { CommunesAnswer } from "../components/map/model";
import { MapPanel } from "../components/map/panel";
import { api, ApiError } from "../lib/api";
import { type Camera, useCameras } from "../lib/cameras";
import { messages } from "../lib/i18n";
import "./map.css";

const t = messages({
  fr: {
    title: "Carte",
    loading: "Chargement de la carte…",
    failed: "La carte n'a pas pu être chargée : {error}",
    cameras_failed: "État des caméras non rafraîchi : {error}",
    summary: "{cameras} caméras · {communes} communes",
    no_commune: "Aucune commune dans votre périmètre.",
  },
  en: {
    title: "Map",
    loading: "Loading the map…",
    failed: "The map could not be loaded: {error}",
    cameras_failed: "Camera status not refreshed: {error}",
    summary: "{cameras} cameras · {communes} communes",
    no_commune: "No commune in your scope.",
  },
});

const popup = (camera: Camera) => <CameraPopup camera={camera} />;

export function MapPage({ route }: PageProps) {
  const [answer, setAnswer] = useState<CommunesAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { cameras, error: camerasError } = useCameras(5000);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [focus, setFocus] = useState<Focus | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    const controller = new AbortController();
    api<CommunesAnswer>("/api/communes", { signal: controller.signal })
      .then(setAnswer)
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e instanceof ApiError ? e.message : String(e));
      });
    return () => controller.abort();
  }, []);

  const ask = (what: Omit<Focus, "seq">) => setFocus({ ...what, seq: ++seq.current });

  const wantedCamera = route.params.get("camera");
  const wantedCommune = route.params.get("commune");
  useEffect(() => {
    if (wantedCamera) ask({ camera: wantedCamera });
    else if (wantedCommune) ask({ commune: wantedCommune });
  }, [wantedCamera, wantedCommune]);

  const all = cameras ?? [];
  const shownCameras = useMemo(() => all.filter((c) => !hidden.has(c.commune)), [cameras, hidden]);
  const shownCommunes = useMemo(() => (answer?.communes ?? []).filter((c) => !hidden.has(c.id)), [answer, hidden]);

  if (error)
    return (
      <p class="error" role="alert">
        {t("failed", { error })}
      </p>
    );
  if (!answer) return <p class="loading">{t("loading")}</p>;

  const toggle = (commune: string) => {
    const next = new Set(hidden);
    if (next.has(commune)) next.delete(commune);
    else next.add(commune);
    setHidden(next);
  };

  return (
    <div class="map-page" data-testid="map-page">
      <div class="toolbar map-toolbar">
        <h1>{t("title")}</h1>
        <span class="map-summary">{t("summary", { cameras: all.length, communes: answer.communes.length })}</span>
        {camerasError && (
          <span class="error" role="status">
            {t("cameras_failed", { error: camerasError })}
          </span>
        )}
      </div>
      {answer.communes.length === 0 && <p class="empty">{t("no_commune")}</p>}
      <div class="map-body">
        <LeafletMap communes={shownCommunes} config={answer.map} cameras={shownCameras} focus={focus} popup={popup} onOpen={setSelected} />
        <MapPanel
          communes={answer.communes}
          cameras={all}
          hidden={hidden}
          onToggle={toggle}
          onShowAll={() => setHidden(new Set())}
          onCommune={(commune) => {
            if (hidden.has(commune)) toggle(commune);
            ask({ commune });
          }}
          onCamera={(camera) => ask({ camera })}
          selected={selected}
        />
      </div>
    </div>
  );
}
