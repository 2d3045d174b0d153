// The map's side panel: the legend (with counts), the communes shown (tick to show or
// hide, click the name to zoom on it) and the cameras of those communes (click: the map
// goes to the camera and opens its popup).
import { lang, messages } from "../../lib/i18n";
import type { Camera } from "../../lib/cameras";
import { countStates, MARKER_STATES, markerColour, type MapCommune, STATE_COLOURS } from "./model";

const t = messages({
  fr: {
    legend: "Légende",
    recording: "Enregistre",
    minima: "Sous les minima légaux",
    connecting: "Connexion en cours",
    offline: "Hors ligne",
    disabled: "Désactivée",
    cone: "Champ de vision (pointillés : estimé)",
    communes: "Communes",
    all: "Toutes",
    zoom_on: "Centrer la carte sur {name}",
    cameras: "Caméras",
    no_position: "sans position",
    none: "Aucune caméra dans les communes affichées.",
  },
  en: {
    legend: "Legend",
    recording: "Recording",
    minima: "Below legal minima",
    connecting: "Connecting",
    offline: "Offline",
    disabled: "Disabled",
    cone: "Field of view (dashed: estimated)",
    communes: "Communes",
    all: "All",
    zoom_on: "Centre the map on {name}",
    cameras: "Cameras",
    no_position: "no position",
    none: "No camera in the communes shown.",
  },
});

interface Props {
  communes: MapCommune[];
  /** Every camera of the user (for the counts per commune). */
  cameras: Camera[];
  hidden: ReadonlySet<string>;
  onToggle: (commune: string) => void;
  onShowAll: () => void;
  onCommune: (commune: string) => void;
  onCamera: (camera: string) => void;
  selected: string | null;
}

export function MapPanel({ communes, cameras, hidden, onToggle, onShowAll, onCommune, onCamera, selected }: Props) {
  const shown = cameras.filter((c) => !hidden.has(c.commune));
  const counts = countStates(shown);
  const cmp = new Intl.Collator(lang.value, { sensitivity: "base", numeric: true }).compare;
  return (
    <aside class="map-panel" data-testid="map-panel">
      <section class="map-legend" data-testid="map-legend">
        <h2>{t("legend")}</h2>
        <ul>
          {MARKER_STATES.map((state) => (
            <li key={state} data-state={state}>
              <span class="map-swatch" style={{ background: STATE_COLOURS[state] }} aria-hidden="true" />
              <span class="map-legend-label">{t(state)}</span>
              <span class="map-count">{counts[state]}</span>
            </li>
          ))}
          <li>
            <span class="map-swatch cone" aria-hidden="true" />
            <span class="map-legend-label">{t("cone")}</span>
          </li>
        </ul>
      </section>
      <section class="map-communes">
        <header>
          <h2>{t("communes")}</h2>
          {hidden.size > 0 && (
            <button type="button" class="link" onClick={onShowAll}>
              {t("all")}
            </button>
          )}
        </header>
        <ul>
          {communes.map((c) => (
            <li key={c.id} data-testid="map-commune" data-commune={c.id}>
              <input type="checkbox" checked={!hidden.has(c.id)} onChange={() => onToggle(c.id)} aria-label={c.name} />
              <button type="button" class="link map-commune-name" title={t("zoom_on", { name: c.name })} onClick={() => onCommune(c.id)}>
                {c.name}
              </button>
              <span class="map-count">{cameras.filter((cam) => cam.commune === c.id).length}</span>
            </li>
          ))}
        </ul>
      </section>
      <section class="map-cameras">
        <h2>{t("cameras")}</h2>
        {shown.length === 0 && <p class="map-none">{t("none")}</p>}
        <ul>
          {[...shown]
            .sort((a, b) => cmp(a.commune_name, b.commune_name) || cmp(a.name, b.name))
            .map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  class={`map-camera-item${selected === c.id ? " selected" : ""}`}
                  data-testid="map-camera-item"
                  data-camera={c.id}
                  disabled={!c.location}
                  onClick={() => onCamera(c.id)}
                >
                  <span class="map-swatch" style={{ background: markerColour(c) }} aria-hidden="true" />
                  <span class="map-camera-name">{c.name}</span>
                  <span class="map-camera-place">{c.location ? (c.district ?? c.commune_name) : t("no_position")}</span>
                </button>
              </li>
            ))}
        </ul>
      </section>
    </aside>
  );
}
