// The wall's side panel: the user's cameras by commune and district. A camera is dragged
// onto a tile, or clicked (it goes to the selected tile, else the first empty one); a
// commune or a district fills the wall at once.
import { type Camera, groupCameras } from "../../lib/cameras";
import { messages } from "../../lib/i18n";

export const CAMERA_MIME = "application/x-beffroi-camera";

const t = messages({
  fr: {
    cameras: "Caméras",
    fill: "Remplir",
    fill_commune: "Remplir le mur avec les caméras de {name}",
    fill_district: "Remplir le mur avec les caméras du quartier {name} ({commune})",
    none: "Aucune caméra dans votre périmètre.",
    hint: "Glissez une caméra sur une case, ou choisissez une case puis cliquez sur une caméra.",
  },
  en: {
    cameras: "Cameras",
    fill: "Fill",
    fill_commune: "Fill the wall with the cameras of {name}",
    fill_district: "Fill the wall with the cameras of the {name} district ({commune})",
    none: "No camera in your communes.",
    hint: "Drag a camera onto a tile, or pick a tile then click a camera.",
  },
});

interface Props {
  cameras: Camera[];
  onWall: ReadonlySet<string>;
  onPick: (camera: string) => void;
  onFill: (cameras: string[]) => void;
}

function CameraItem({ camera, onWall, onPick }: { camera: Camera; onWall: boolean; onPick: (id: string) => void }) {
  return (
    <li>
      <button
        type="button"
        class={`camera-item${onWall ? " on-wall" : ""}`}
        draggable
        data-testid="camera-item"
        data-camera={camera.id}
        title={camera.id}
        onDragStart={(e) => {
          e.dataTransfer?.setData(CAMERA_MIME, camera.id);
          e.dataTransfer?.setData("text/plain", camera.id);
          if (e.dataTransfer) e.dataTransfer.effectAllowed = "copyMove";
        }}
        onClick={() => onPick(camera.id)}
      >
        <span class={`dot ${camera.status}`} aria-hidden="true" />
        <span class="camera-name">{camera.name}</span>
      </button>
    </li>
  );
}

export function CameraSidebar({ cameras, onWall, onPick, onFill }: Props) {
  const groups = groupCameras(cameras);
  return (
    <aside class="wall-sidebar" aria-label={t("cameras")} data-testid="wall-sidebar">
      <p class="hint">{t("hint")}</p>
      {groups.length === 0 && <p class="empty">{t("none")}</p>}
      {groups.map((g) => (
        <section key={g.commune} class="commune" data-commune={g.commune}>
          <header>
            <h2>{g.name}</h2>
            <button
              type="button"
              class="fill"
              aria-label={t("fill_commune", { name: g.name })}
              title={t("fill_commune", { name: g.name })}
              onClick={() => onFill(g.cameras.map((c) => c.id))}
            >
              {t("fill")}
            </button>
          </header>
          {g.districts.map((d) => (
            <div key={d.district} class="district">
              <header>
                <h3>{d.label}</h3>
                <button
                  type="button"
                  class="fill"
                  aria-label={t("fill_district", { name: d.label, commune: g.name })}
                  title={t("fill_district", { name: d.label, commune: g.name })}
                  onClick={() => onFill(d.cameras.map((c) => c.id))}
                >
                  {t("fill")}
                </button>
              </header>
              <ul>
                {d.cameras.map((c) => (
                  <CameraItem key={c.id} camera={c} onWall={onWall.has(c.id)} onPick={onPick} />
                ))}
              </ul>
            </div>
          ))}
        </section>
      ))}
    </aside>
  );
}
