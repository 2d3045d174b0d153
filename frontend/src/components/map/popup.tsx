// A camera's popup on the map: its name, place and status, the live picture (for the
// roles that may see it) and a link to the camera's page (live and recordings).
import { badges } from "../../lib/cameras";
import { messages } from "../../lib/i18n";
import { href } from "../../lib/router";
import { can } from "../../lib/session";
import { LiveVideo } from "../live-video";
import type { Camera } from "../../lib/cameras";

const t = messages({
  fr: {
    open: "Ouvrir la caméra (direct et enregistrements)",
    no_live: "Votre rôle ne permet pas de voir le direct.",
    disabled: "Caméra désactivée : pas de direct.",
  },
  en: {
    open: "Open the camera (live and recordings)",
    no_live: "Your role may not view live pictures.",
    disabled: "Camera disabled: no live view.",
  },
});

export function CameraPopup({ camera }: { camera: Camera }) {
  const place = [camera.commune_name, camera.district].filter(Boolean).join(" · ");
  const live = can("camera.view_live");
  return (
    <div class="map-popup-content" data-testid="map-popup" data-camera={camera.id}>
      <h3>{camera.name}</h3>
      <p class="map-popup-place">{place}</p>
      <p class="map-popup-badges">
        {badges(camera).map((b) => (
          <span key={b.text} class={`badge ${b.kind}`} data-testid="map-popup-status">
            {b.text}
          </span>
        ))}
      </p>
      {camera.status === "disabled" ? (
        <p class="map-popup-note">{t("disabled")}</p>
      ) : live ? (
        <div class="map-popup-video">
          <LiveVideo camera={camera.id} compact />
        </div>
      ) : (
        <p class="map-popup-note">{t("no_live")}</p>
      )}
      <a class="button" href={href(`camera/${encodeURIComponent(camera.id)}`)} data-testid="map-popup-open">
        {t("open")}
      </a>
    </div>
  );
}
