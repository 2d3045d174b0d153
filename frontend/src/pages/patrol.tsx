// The patrol view (#/patrol): on a phone, one camera at a time, live, full width, with
// large previous / next controls. A patrol agent gets only its designated cameras (the
// API scopes the list); anyone with live view may use it. #/patrol?camera=ID opens one.
import type { PageProps } from "../app";
import { LiveVideo } from "../components/live-video";
import { badges, groupCameras, useCameras } from "../lib/cameras";
import { messages } from "../lib/i18n";
import { href, navigate } from "../lib/router";
import { can } from "../lib/session";
import "./patrol.css";

const t = messages({
  fr: {
    loading: "Chargement des caméras…",
    none: "Aucune caméra ne vous est attribuée.",
    previous: "Caméra précédente",
    next: "Caméra suivante",
    choose: "Choisir une caméra",
    position: "{n} / {total}",
    error: "Liste des caméras indisponible : {error}",
    history: "Historique de cette caméra",
  },
  en: {
    loading: "Loading cameras…",
    none: "No camera is assigned to you.",
    previous: "Previous camera",
    next: "Next camera",
    choose: "Choose a camera",
    position: "{n} / {total}",
    error: "Camera list unavailable: {error}",
    history: "This camera's history",
  },
});

/** The index after stepping `step` from `index` in a ring of `total`. */
export function stepIndex(index: number, step: number, total: number): number {
  return total === 0 ? 0 : (((index + step) % total) + total) % total;
}

export function PatrolPage({ route }: PageProps) {
  const { cameras, error } = useCameras(5000);
  if (cameras === null) {
    return <p class={error ? "error" : "loading"}>{error ? t("error", { error }) : t("loading")}</p>;
  }
  // Commune, district, name: the order of the wall's side panel.
  const ordered = groupCameras(cameras).flatMap((g) => g.districts.flatMap((d) => d.cameras));
  if (ordered.length === 0) {
    return (
      <p class="empty" data-testid="patrol-empty">
        {t("none")}
      </p>
    );
  }
  const wanted = route.params.get("camera");
  const found = ordered.findIndex((c) => c.id === wanted);
  const index = Math.max(found, 0);
  const camera = ordered[index];
  const go = (step: number) => navigate("patrol", { camera: ordered[stepIndex(index, step, ordered.length)].id });

  return (
    <div class="patrol" data-testid="patrol" data-camera={camera.id}>
      <header class="patrol-head">
        <h1 data-testid="patrol-title">{camera.name}</h1>
        <p>
          {camera.commune_name}
          {camera.district ? ` · ${camera.district}` : ""}{" "}
          {badges(camera).map((b) => (
            <span key={b.text} class={`badge ${b.kind}`}>
              {b.text}
            </span>
          ))}
        </p>
      </header>
      <LiveVideo key={camera.id} camera={camera.id} class="patrol-video" />
      <div class="patrol-controls" role="group" aria-label={t("choose")}>
        <button type="button" class="big" aria-label={t("previous")} data-testid="patrol-prev" onClick={() => go(-1)}>
          ‹
        </button>
        <span class="patrol-position">{t("position", { n: index + 1, total: ordered.length })}</span>
        <button type="button" class="big" aria-label={t("next")} data-testid="patrol-next" onClick={() => go(1)}>
          ›
        </button>
      </div>
      <label class="patrol-pick">
        {t("choose")}
        <select
          value={camera.id}
          data-testid="patrol-select"
          onChange={(e) => navigate("patrol", { camera: (e.target as HTMLSelectElement).value })}
        >
          {ordered.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} — {c.commune_name}
            </option>
          ))}
        </select>
      </label>
      {can("recording.read") && (
        <p class="patrol-links">
          <a href={href(`camera/${encodeURIComponent(camera.id)}`)}>{t("history")}</a>
        </p>
      )}
    </div>
  );
}
