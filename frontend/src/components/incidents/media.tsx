// What an incident shows of each camera: the pre/post-alarm clip (a <video> per part,
// its state while it is being made), the frame at the alarm instant, and the live view
// side by side with the clip.
import { useRef, useState } from "preact/hooks";

import { formatDuration, formatTime, messages } from "../../lib/i18n";
import { LiveVideo } from "../live-video";
import { type CameraMedia, type Clip, mediaBadge, word } from "./model";

const t = messages({
  fr: {
    clip: "Avant et après l'alarme",
    live: "En direct",
    snapshot: "Image à l'instant de l'alarme",
    no_snapshot: "Pas d'image à l'instant de l'alarme",
    part: "partie {n}",
    pending_until: "Le clip sera prêt après le {at} (fin de la période post-alarme).",
    no_footage: "Aucun enregistrement de cette caméra dans la fenêtre de l'alarme.",
    failed: "Le clip n'a pas pu être assemblé.",
    destroyed: "Le clip a été détruit avec les images qu'il copiait (durée de conservation).",
    no_right: "Vous n'avez pas le droit de voir les enregistrements de cette caméra.",
    no_live: "Direct non autorisé pour votre rôle.",
    at_alarm: "Aller à l'alarme",
    filmed: "Filmé le {at}",
    gaps: "Trous dans la fenêtre : {list}",
    lossless: "Image sans perte (PNG)",
    no_clip: "Pas de clip pour cette caméra.",
  },
  en: {
    clip: "Before and after the alarm",
    live: "Live",
    snapshot: "Frame at the alarm instant",
    no_snapshot: "No frame at the alarm instant",
    part: "part {n}",
    pending_until: "The clip will be ready after {at} (end of the post-alarm period).",
    no_footage: "No recording of this camera in the alarm's window.",
    failed: "The clip could not be assembled.",
    destroyed: "The clip was destroyed with the footage it copied (retention).",
    no_right: "You may not view this camera's recordings.",
    no_live: "Live view not allowed for your role.",
    at_alarm: "Go to the alarm",
    filmed: "Filmed {at}",
    gaps: "Gaps in the window: {list}",
    lossless: "Lossless frame (PNG)",
    no_clip: "No clip for this camera.",
  },
});

function ClipPart({ clip, alarmAt }: { clip: Clip; alarmAt: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const [clock, setClock] = useState<number | null>(null);
  const start = clip.start ? Date.parse(clip.start) : null;
  const alarmOffset = start !== null ? (Date.parse(alarmAt) - start) / 1000 : null;

  if (clip.state !== "ready") {
    const why =
      clip.state === "pending"
        ? t("pending_until", { at: formatTime(clip.requested_end) })
        : clip.state === "no_footage"
          ? t("no_footage")
          : clip.state === "destroyed"
            ? t("destroyed")
            : t("failed");
    return (
      <div class="clip-state" data-testid="clip-state" data-state={clip.state}>
        <span class={`badge ${mediaBadge(clip.state)}`}>{word(clip.state)}</span> {why}
        {clip.state === "failed" && clip.error && <div class="muted">{clip.error}</div>}
      </div>
    );
  }
  if (!clip.url) {
    return <p class="muted">{t("no_right")}</p>;
  }
  return (
    <div class="clip">
      <video
        ref={video}
        src={clip.url}
        controls
        muted
        autoplay
        playsInline
        preload="auto"
        data-testid="incident-clip"
        data-state="ready"
        onTimeUpdate={(e) => start !== null && setClock(start + (e.target as HTMLVideoElement).currentTime * 1000)}
      />
      <div class="clip-bar">
        <span class="badge ok">{word("ready")}</span>
        {clip.part > 0 && <span class="muted">{t("part", { n: clip.part })}</span>}
        {clock !== null && <span class="clock">{t("filmed", { at: formatTime(clock) })}</span>}
        {alarmOffset !== null && alarmOffset >= 0 && (
          <button
            type="button"
            class="link"
            onClick={() => {
              if (video.current) {
                video.current.currentTime = Math.max(0, alarmOffset - 2);
                void video.current.play().catch(() => undefined);
              }
            }}
          >
            {t("at_alarm")}
          </button>
        )}
      </div>
      {clip.gaps.length > 0 && (
        <p class="muted">{t("gaps", { list: clip.gaps.map((g) => `${formatTime(g.start)} (${formatDuration(g.seconds)})`).join(", ") })}</p>
      )}
    </div>
  );
}

export function CameraPanel({ media, name, alarmAt }: { media: CameraMedia; name: string; alarmAt: string }) {
  const snap = media.snapshot;
  return (
    <article class="camera-panel card" data-testid="incident-camera" data-camera={media.camera}>
      <h3>
        <code>{media.camera}</code> {name}
      </h3>
      <div class="side-by-side">
        <div class="pane">
          <h4>{t("clip")}</h4>
          {media.clips.length === 0 && <p class="muted">{t("no_clip")}</p>}
          {media.clips.map((c) => (
            <ClipPart key={`${c.part}-${c.state}`} clip={c} alarmAt={alarmAt} />
          ))}
        </div>
        <div class="pane">
          <h4>{t("live")}</h4>
          {media.live ? <LiveVideo camera={media.camera} compact /> : <p class="muted">{t("no_live")}</p>}
        </div>
      </div>
      <details class="snapshot" open>
        <summary>
          {snap ? t("snapshot") : t("no_snapshot")}
          {snap && (
            <>
              {" "}
              <span class={`badge ${mediaBadge(snap.state)}`}>{word(snap.state)}</span>
              {snap.at && <span class="muted"> {formatTime(snap.at)}</span>}
            </>
          )}
        </summary>
        {snap?.url && (
          <>
            <img src={snap.url} alt={t("snapshot")} data-testid="incident-snapshot" loading="lazy" />
            <a href={`${snap.url}?format=png`} target="_blank" rel="noopener">
              {t("lossless")}
            </a>
          </>
        )}
      </details>
    </article>
  );
}
