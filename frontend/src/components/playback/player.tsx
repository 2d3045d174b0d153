// The playback picture and its controls: play/pause, speeds, frame step, snapshot, jump
// to a Paris date and time. The instant on screen is the engine's, shared with the
// timeline's playhead.
import { useEffect, useRef, useState } from "preact/hooks";

import { apiUrl } from "../../lib/api";
import { formatTime, messages } from "../../lib/i18n";
import { iso, parisInputToUtc, utcToParisInput } from "../../lib/paris";
import type { PlaybackEngine } from "./engine";
import { SPEEDS } from "./instant";

const t = messages({
  fr: {
    play: "Lecture",
    pause: "Pause",
    back: "Image précédente (←)",
    forward: "Image suivante (→)",
    speed: "Vitesse",
    snapshot: "Capture PNG",
    jump: "Aller à",
    jump_label: "Date et heure (heure de Paris)",
    bad_date: "Date ou heure invalide.",
    loading: "Chargement…",
    ended: "Fin de l'enregistrement disponible",
    no_footage: "Aucun enregistrement à cet instant ni après dans la fenêtre demandée.",
    failed: "La relecture a échoué. Réessayez ou choisissez un autre instant.",
    instant: "Instant affiché",
    utc: "UTC",
    keys: "Espace : lecture/pause · ←/→ : image par image · J/L : vitesse",
  },
  en: {
    play: "Play",
    pause: "Pause",
    back: "Previous frame (←)",
    forward: "Next frame (→)",
    speed: "Speed",
    snapshot: "PNG snapshot",
    jump: "Go to",
    jump_label: "Date and time (Paris time)",
    bad_date: "Invalid date or time.",
    loading: "Loading…",
    ended: "End of the footage available",
    no_footage: "No recording at this instant nor after it in the window asked.",
    failed: "Playback failed. Try again or pick another instant.",
    instant: "Instant shown",
    utc: "UTC",
    keys: "Space: play/pause · ←/→: frame by frame · J/L: speed",
  },
});

function speedLabel(speed: number): string {
  return speed < 1 ? `1/${Math.round(1 / speed)}×` : `${speed}×`;
}

/** The speed buttons (1/4× … 16×); `testid` prefixes each button's data-testid. */
export function SpeedButtons(props: { speed: number; onSpeed: (speed: number) => void; label: string; testid?: string }) {
  const prefix = props.testid ?? "speed";
  return (
    <div class="speeds" role="group" aria-label={props.label}>
      {SPEEDS.map((s) => (
        <button
          key={s}
          type="button"
          class={props.speed === s ? "active" : ""}
          aria-pressed={props.speed === s}
          onClick={() => props.onSpeed(s)}
          data-testid={`${prefix}-${s}`}
        >
          {speedLabel(s)}
        </button>
      ))}
    </div>
  );
}

/** Downloads the recorded frame at `at` (lossless PNG, the camera's size). */
export function downloadFrame(camera: string, at: number): void {
  const a = document.createElement("a");
  a.href = apiUrl(`/api/cameras/${encodeURIComponent(camera)}/frame`, { at: iso(at), format: "png" });
  a.download = `${camera}_${iso(at).replace(/[-:]/g, "").replace(".", "-")}.png`;
  document.body.append(a);
  a.click();
  a.remove();
}

export interface PlayerProps {
  engine: PlaybackEngine;
  canSnapshot: boolean;
  /** Called when the operator jumps to a typed date and time. */
  onJump?: (at: number) => void;
  /** False: the picture and its instant only (the wall's tiles share one set of controls). */
  controls?: boolean;
  /** A message over the picture, in place of the engine's own (the wall: no footage at
   * the wall's instant); the instant is then not shown. */
  note?: string | null;
}

export function Player({ engine, canSnapshot, onJump, controls = true, note = null }: PlayerProps) {
  const video = useRef<HTMLVideoElement>(null);
  const [jump, setJump] = useState("");
  const [jumpError, setJumpError] = useState(false);

  useEffect(() => {
    if (video.current) engine.attach(video.current);
    return () => engine.detach();
  }, [engine]);

  const instant = note ? null : engine.instant.value;
  const status = engine.status.value;
  const problem = engine.problem.value;
  const playing = status === "playing" || status === "loading";

  const submitJump = (e: Event) => {
    e.preventDefault();
    const at = parisInputToUtc(jump);
    setJumpError(at === null);
    if (at !== null) onJump?.(at);
  };

  return (
    <div class="playback">
      <div class="playback-picture">
        <video ref={video} data-testid="playback-video" muted playsInline />
        <div class="playback-instant" data-testid="playback-instant" data-instant={instant ?? ""}>
          <span title={t("instant")}>{instant === null ? "—" : formatTime(instant)}</span>
          {instant !== null && (
            <small>
              {iso(instant).slice(11, 23)} {t("utc")}
            </small>
          )}
        </div>
        {note && (
          <div class="playback-note" data-testid="playback-note">
            {note}
          </div>
        )}
        {!note && status === "loading" && <div class="playback-note">{t("loading")}</div>}
        {!note && status === "ended" && <div class="playback-note">{t("ended")}</div>}
        {!note && problem && (
          <div class="playback-note error" role="alert">
            {t(problem)}
          </div>
        )}
      </div>
      {controls && (
        <div class="playback-controls toolbar">
          <button type="button" onClick={() => engine.step(-1)} title={t("back")} aria-label={t("back")} data-testid="step-back">
            |◀
          </button>
          <button
            type="button"
            class="primary"
            onClick={() => engine.toggle()}
            data-testid="play-pause"
            aria-label={playing ? t("pause") : t("play")}
          >
            {playing ? `❚❚ ${t("pause")}` : `▶ ${t("play")}`}
          </button>
          <button type="button" onClick={() => engine.step(1)} title={t("forward")} aria-label={t("forward")} data-testid="step-forward">
            ▶|
          </button>
          <SpeedButtons speed={engine.speed.value} onSpeed={(v) => engine.setSpeed(v)} label={t("speed")} />
          {canSnapshot && (
            <button
              type="button"
              disabled={instant === null}
              onClick={() => instant !== null && downloadFrame(engine.camera, instant)}
              data-testid="snapshot"
            >
              {t("snapshot")}
            </button>
          )}
          <form class="jump" onSubmit={submitJump}>
            <label>
              {t("jump_label")}
              <input
                type="datetime-local"
                step={1}
                value={jump}
                onFocus={() => !jump && instant !== null && setJump(utcToParisInput(instant))}
                onInput={(e) => setJump(e.currentTarget.value)}
                data-testid="jump-input"
              />
            </label>
            <button type="submit">{t("jump")}</button>
            {jumpError && <span class="error">{t("bad_date")}</span>}
          </form>
        </div>
      )}
      {controls && <p class="keys">{t("keys")}</p>}
    </div>
  );
}
