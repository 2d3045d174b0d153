// One tile of the wall: the camera's name, commune, status badges and live picture, or
// an empty drop target. Double-click: full screen (and back).
import { useState } from "preact/hooks";

import { badges, type Camera } from "../../lib/cameras";
import { messages } from "../../lib/i18n";
import { href } from "../../lib/router";
import { can } from "../../lib/session";
import { LiveVideo } from "../live-video";
import type { PlaybackEngine } from "../playback/engine";
import { Player } from "../playback/player";
import { CAMERA_MIME } from "./sidebar";

export const TILE_MIME = "application/x-beffroi-tile";

const t = messages({
  fr: {
    empty: "Case {n} : glissez une caméra ici",
    selected: "Case {n} choisie : cliquez sur une caméra",
    history: "Historique",
    history_of: "Historique de {name}",
    remove: "Retirer {name} du mur",
    gone: "Caméra {id} indisponible",
    tile: "Case {n}",
    no_footage: "Pas d'enregistrement à cet instant",
  },
  en: {
    empty: "Tile {n}: drop a camera here",
    selected: "Tile {n} selected: click a camera",
    history: "History",
    history_of: "History of {name}",
    remove: "Remove {name} from the wall",
    gone: "Camera {id} unavailable",
    tile: "Tile {n}",
    no_footage: "No recording at this instant",
  },
});

interface Props {
  index: number;
  cameraId: string | null;
  camera: Camera | undefined;
  selected: boolean;
  full: boolean;
  compact: boolean;
  onSelect: () => void;
  onDropCamera: (camera: string) => void;
  onDropTile: (from: number) => void;
  onClear: () => void;
  onFull: () => void;
  /** In the wall's playback: this camera's engine (the picture instead of live)… */
  engine?: PlaybackEngine;
  /** …and whether it has no footage at the wall's instant. */
  noFootage?: boolean;
}

export function WallTile(props: Props) {
  const { index, cameraId, camera } = props;
  const [over, setOver] = useState(false);
  const n = index + 1;
  const classes = ["tile", props.selected && "selected", props.full && "full", over && "drop", !cameraId && "empty"]
    .filter(Boolean)
    .join(" ");

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const dt = e.dataTransfer;
    if (!dt) return;
    const from = dt.getData(TILE_MIME);
    if (from !== "") return props.onDropTile(Number(from));
    const id = dt.getData(CAMERA_MIME) || dt.getData("text/plain");
    if (id) props.onDropCamera(id);
  };

  return (
    <div
      class={classes}
      data-testid="wall-tile"
      data-tile={index}
      data-camera={cameraId ?? ""}
      role="group"
      aria-label={camera ? `${t("tile", { n })} · ${camera.name}` : t("tile", { n })}
      aria-current={props.selected ? "true" : undefined}
      tabIndex={0}
      onClick={(e) => {
        if ((e.target as HTMLElement).closest("a, button")) return;
        props.onSelect();
      }}
      onKeyDown={(e) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          props.onSelect();
        }
      }}
      onDblClick={(e) => {
        if ((e.target as HTMLElement).closest("a, button")) return;
        props.onFull();
      }}
      onDragOver={(e) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
        if (!over) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      {cameraId ? (
        <>
          {props.engine ? (
            <Player
              key={cameraId}
              engine={props.engine}
              canSnapshot={false}
              controls={false}
              note={props.noFootage || props.engine.problem.value === "no_footage" ? t("no_footage") : null}
            />
          ) : (
            <LiveVideo key={cameraId} camera={cameraId} compact={props.compact} class="tile-video" />
          )}
          <div
            class="tile-bar"
            draggable
            onDragStart={(e) => {
              e.dataTransfer?.setData(TILE_MIME, String(index));
              if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
            }}
          >
            <span class="tile-title" data-testid="tile-title">
              <strong>{camera?.name ?? t("gone", { id: cameraId })}</strong>
              {camera && <span class="tile-commune">{camera.commune_name}</span>}
            </span>
            <span class="tile-badges" data-testid="tile-status">
              {camera &&
                badges(camera).map((b) => (
                  <span key={b.text} class={`badge ${b.kind}`}>
                    {b.text}
                  </span>
                ))}
            </span>
            {can("recording.read") && (
              <a
                href={href(`camera/${encodeURIComponent(cameraId)}`)}
                class="tile-link"
                title={t("history_of", { name: camera?.name ?? cameraId })}
              >
                {t("history")}
              </a>
            )}
            <button
              type="button"
              class="link tile-remove"
              aria-label={t("remove", { name: camera?.name ?? cameraId })}
              title={t("remove", { name: camera?.name ?? cameraId })}
              onClick={props.onClear}
            >
              ×
            </button>
          </div>
        </>
      ) : (
        <p class="tile-empty">{props.selected ? t("selected", { n }) : t("empty", { n })}</p>
      )}
    </div>
  );
}
