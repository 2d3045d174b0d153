// Live video of one camera (MSE over the API's WebSocket): the <video> and, over it, why
// there is no picture when there is none. The engine is live/mse-player.ts.
import { useEffect, useRef, useState } from "preact/hooks";

import { messages } from "../lib/i18n";
import { LivePlayer, type PlayerState } from "./live/mse-player";
import "./live/live-video.css";

const t = messages({
  fr: {
    connecting: "Connexion…",
    waiting: "En attente d'images…",
    paused: "Direct suspendu (onglet masqué)",
    session_lost: "Session expirée : reconnectez-vous.",
    forbidden: "Vous n'êtes pas autorisé à voir cette caméra en direct.",
    unknown_camera: "Caméra inconnue ou hors de votre périmètre.",
    journal_failed: "Le journal n'a pas pu enregistrer le visionnage : image non affichée.",
    unavailable: "Le direct n'est pas disponible sur ce serveur.",
    lost: "Connexion au direct perdue.",
    retry: "{reason} Nouvelle tentative dans {s} s.",
    hevc: "Ce navigateur ne sait pas décoder le H.265 de cette caméra.",
    codec: "Ce navigateur ne sait pas décoder le flux de cette caméra ({codec}).",
  },
  en: {
    connecting: "Connecting…",
    waiting: "Waiting for pictures…",
    paused: "Live paused (hidden tab)",
    session_lost: "Session expired: sign in again.",
    forbidden: "You may not view this camera live.",
    unknown_camera: "Unknown camera, or outside your communes.",
    journal_failed: "The journal could not record the viewing: no picture shown.",
    unavailable: "Live view is not available on this server.",
    lost: "Live connection lost.",
    retry: "{reason} Trying again in {s} s.",
    hevc: "This browser cannot decode this camera's H.265.",
    codec: "This browser cannot decode this camera's stream ({codec}).",
  },
});

export interface LiveVideoProps {
  camera: string;
  /** Smaller overlay text, for wall tiles and side-by-side views. */
  compact?: boolean;
  /** Called with a French sentence when the picture cannot be shown. */
  onError?: (message: string) => void;
  class?: string;
  /** Every change of the player's state (connecting, playing, retrying…). */
  onState?: (state: PlayerState) => void;
}

/** The sentence for a state without a picture; null while the picture plays. */
export function stateMessage(state: PlayerState): string | null {
  switch (state.state) {
    case "playing":
      return null;
    case "connecting":
    case "waiting":
    case "paused":
      return t(state.state);
    case "retrying":
      return t("retry", { reason: t(state.reason), s: state.inS });
    case "failed":
      return t(state.reason);
    case "unsupported":
      return state.hevc ? t("hevc") : t("codec", { codec: state.codec });
  }
}

export function LiveVideo(props: LiveVideoProps) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>({ state: "connecting" });
  const callbacks = useRef(props);
  callbacks.current = props;

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    const player = new LivePlayer(element, props.camera, {
      onState: (next) => {
        setState(next);
        callbacks.current.onState?.(next);
        if (next.state === "failed" || next.state === "unsupported") {
          callbacks.current.onError?.(stateMessage(next) ?? "");
        }
      },
    });
    player.start();
    return () => player.stop();
  }, [props.camera]);

  const message = stateMessage(state);
  const fatal = state.state === "failed" || state.state === "unsupported";
  return (
    <div class={`live-video${props.compact ? " compact" : ""}${props.class ? ` ${props.class}` : ""}`}>
      <video ref={video} data-testid="live-video" data-camera={props.camera} muted autoplay playsInline disablePictureInPicture />
      {message && (
        <p class={`live-status${fatal ? " fatal" : ""}`} role={fatal ? "alert" : "status"} data-testid="live-status">
          {message}
        </p>
      )}
    </div>
  );
}
