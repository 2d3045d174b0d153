// The scrubbable timeline of one camera (SVG): recorded ranges, gaps, holds, incidents,
// the range marked for export, the playhead and now. Click sets the playback instant,
// drag pans, shift-drag marks a range, the wheel zooms around the cursor.
import { useEffect, useRef, useState } from "preact/hooks";

import { formatTime, messages } from "../../lib/i18n";
import { MINUTE, parisClock, parisDay } from "../../lib/paris";
import type { TimelineData } from "./data";
import { clip, endOf, type Interval, panBy, spanOf, ticks, timeToX, type View, viewAround, xToTime, ZOOMS, zoomAt } from "./view";

const t = messages({
  fr: {
    zoom_in: "Zoom avant",
    zoom_out: "Zoom arrière",
    earlier: "Plus tôt",
    later: "Plus tard",
    now: "Maintenant",
    z15m: "15 min",
    z1h: "1 h",
    z6h: "6 h",
    z24h: "24 h",
    z7d: "7 j",
    recorded: "Enregistré",
    gap: "Sans enregistrement",
    hold: "Gel judiciaire",
    incident: "Incident",
    marked: "Plage marquée",
    failed: "Enregistrements illisibles",
    help: "Clic : lire à cet instant · glisser : déplacer · Maj + glisser : marquer une plage · molette : zoom",
    label: "Chronologie de la caméra",
  },
  en: {
    zoom_in: "Zoom in",
    zoom_out: "Zoom out",
    earlier: "Earlier",
    later: "Later",
    now: "Now",
    z7d: "7 d",
    recorded: "Recorded",
    gap: "No recording",
    hold: "Legal hold",
    incident: "Incident",
    marked: "Marked range",
    failed: "Recordings could not be read",
    help: "Click: play from there · drag: move · Shift + drag: mark a range · wheel: zoom",
    label: "Camera timeline",
  },
});

const HEIGHT = 100;
const LANE = { top: 22, rec: 34, hold: 60, holdH: 8, inc: 74 };

export interface TimelineProps {
  view: View;
  now: number;
  data: TimelineData;
  playhead: number | null;
  marks: { start: number | null; end: number | null };
  onView: (view: View) => void;
  onSeek: (at: number) => void;
  onMarks: (start: number, end: number) => void;
  /** The strip's accessible name (default: the camera's timeline). */
  label?: string;
}

interface Drag {
  x0: number;
  view0: View;
  select: boolean;
  moved: boolean;
}

function tickText(at: number, step: number): string {
  if (step >= 24 * 60 * MINUTE) return parisDay(at);
  const clock = parisClock(at, false);
  return clock === "00:00" ? parisDay(at) : clock;
}

export function Timeline(props: TimelineProps) {
  const { view, now, data, playhead, marks } = props;
  const box = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const [width, setWidth] = useState(1000);
  const [hover, setHover] = useState<number | null>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [selecting, setSelecting] = useState<Interval | null>(null);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(200, el.clientWidth)));
    observer.observe(el);
    setWidth(Math.max(200, el.clientWidth));
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const p = latest.current;
      const x = e.clientX - el.getBoundingClientRect().left;
      p.onView(zoomAt(p.view, e.deltaY > 0 ? 1 : -1, xToTime(p.view, el.clientWidth, x), p.now));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);

  const x = (at: number) => timeToX(view, width, at);
  const start = view.start;
  const end = endOf(view);
  const zoom = ZOOMS[view.zoom];
  const localX = (e: PointerEvent) => e.clientX - (svg.current?.getBoundingClientRect().left ?? 0);

  const onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    (e.currentTarget as Element).setPointerCapture(e.pointerId);
    setDrag({ x0: localX(e), view0: view, select: e.shiftKey, moved: false });
  };
  const onMove = (e: PointerEvent) => {
    const px = localX(e);
    setHover(xToTime(view, width, px));
    if (!drag) return;
    const moved = drag.moved || Math.abs(px - drag.x0) > 4;
    if (!moved) return;
    if (!drag.moved) setDrag({ ...drag, moved: true });
    if (drag.select) {
      const a = xToTime(drag.view0, width, drag.x0);
      const b = Math.min(xToTime(drag.view0, width, px), now);
      setSelecting([Math.min(a, b), Math.max(a, b)]);
    } else {
      props.onView(panBy(drag.view0, width, px - drag.x0, now));
    }
  };
  const onUp = (e: PointerEvent) => {
    if (!drag) return;
    if (!drag.moved) props.onSeek(Math.min(xToTime(view, width, localX(e)), now));
    else if (drag.select && selecting) props.onMarks(Math.round(selecting[0]), Math.round(selecting[1]));
    setDrag(null);
    setSelecting(null);
  };

  const marked: Interval | null = selecting ?? (marks.start !== null && marks.end !== null ? [marks.start, marks.end] : null);
  const rect = (iv: Interval, y: number, h: number, cls: string, key: string | number, title?: string) => (
    <rect key={key} class={cls} x={x(iv[0])} y={y} width={Math.max(1, x(iv[1]) - x(iv[0]))} height={h}>
      {title && <title>{title}</title>}
    </rect>
  );
  const zoomBy = (step: number) => props.onView(zoomAt(view, step, playhead ?? (start + end) / 2, now));
  const minor = ticks(start, end, zoom.tick);
  const major = ticks(start, end, zoom.label);

  return (
    <div class="timeline">
      <div class="timeline-bar">
        <button type="button" onClick={() => props.onView(panBy(view, width, width / 2, now))} aria-label={t("earlier")}>
          ◀
        </button>
        <button type="button" onClick={() => zoomBy(-1)} aria-label={t("zoom_in")}>
          +
        </button>
        <div class="zooms" role="group">
          {ZOOMS.map((z, i) => (
            <button
              key={z.id}
              type="button"
              class={view.zoom === i ? "active" : ""}
              aria-pressed={view.zoom === i}
              data-testid={`zoom-${z.id}`}
              onClick={() => props.onView(viewAround(playhead ?? now, i, now, 0.5))}
            >
              {t(`z${z.id}` as "z15m")}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => zoomBy(1)} aria-label={t("zoom_out")}>
          −
        </button>
        <button type="button" onClick={() => props.onView(panBy(view, width, -width / 2, now))} aria-label={t("later")}>
          ▶
        </button>
        <button type="button" onClick={() => props.onView(viewAround(now, view.zoom, now))}>
          {t("now")}
        </button>
        <span class="timeline-legend">
          <i class="rec" /> {t("recorded")} <i class="gap" /> {t("gap")} <i class="hold" /> {t("hold")} <i class="inc" /> {t("incident")}{" "}
          <i class="mark" /> {t("marked")}
        </span>
        {data.failed && <span class="error">{t("failed")}</span>}
      </div>
      <div class="timeline-strip" ref={box}>
        <svg
          ref={svg}
          width={width}
          height={HEIGHT}
          role="slider"
          aria-label={props.label ?? t("label")}
          aria-valuemin={start}
          aria-valuemax={end}
          aria-valuenow={playhead ?? now}
          aria-valuetext={formatTime(playhead ?? now)}
          data-testid="timeline"
          data-start={start}
          data-span={spanOf(view)}
          data-playhead={playhead ?? ""}
          onPointerDown={onDown}
          onPointerMove={onMove}
          onPointerUp={onUp}
          onPointerLeave={() => setHover(null)}
        >
          <rect class="bg" x={0} y={LANE.top} width={width} height={HEIGHT - LANE.top} />
          {now < end && <rect class="future" x={x(now)} y={LANE.top} width={width - x(now)} height={HEIGHT - LANE.top} />}
          {minor.map((at) => (
            <line key={`m${at}`} class="tick" x1={x(at)} x2={x(at)} y1={LANE.top} y2={LANE.top + 6} />
          ))}
          {major.map((at) => (
            <g key={`M${at}`}>
              <line class="tick major" x1={x(at)} x2={x(at)} y1={LANE.top} y2={HEIGHT} />
              <text class="tick-label" x={x(at) + 3} y={14}>
                {tickText(at, zoom.label)}
              </text>
            </g>
          ))}
          {clip(data.gaps, start, end).map((iv, i) => rect(iv, LANE.rec, 20, "gap", `g${i}`, t("gap")))}
          {clip(data.ranges, start, end).map((iv, i) => rect(iv, LANE.rec, 20, "rec", `r${i}`))}
          {data.holds.map((h) =>
            clip([[h.start, h.end]], start, end).map((iv) =>
              rect(iv, LANE.hold, LANE.holdH, h.active ? "hold" : "hold released", `h${h.id}`, `${t("hold")} : ${h.reason}`),
            ),
          )}
          {data.incidents
            .filter((i) => i.at >= start && i.at <= end)
            .map((i) => (
              <path key={`i${i.id}`} class={`incident ${i.state}`} d={`M${x(i.at)},${LANE.inc} l6,12 h-12 z`}>
                <title>{`${t("incident")} #${i.id} · ${i.kind} · ${i.place} · ${formatTime(i.at)}`}</title>
              </path>
            ))}
          {marked && clip([marked], start, end).map((iv) => rect(iv, LANE.top, HEIGHT - LANE.top, "marked", "mark"))}
          {now >= start && now <= end && <line class="now" x1={x(now)} x2={x(now)} y1={LANE.top} y2={HEIGHT} />}
          {hover !== null && !drag && (
            <g class="hover">
              <line x1={x(hover)} x2={x(hover)} y1={LANE.top} y2={HEIGHT} />
              <text x={Math.min(x(hover) + 4, width - 60)} y={HEIGHT - 4}>
                {parisClock(hover)}
              </text>
            </g>
          )}
          {playhead !== null && playhead >= start && playhead <= end && (
            <g class="playhead" data-testid="playhead">
              <line x1={x(playhead)} x2={x(playhead)} y1={LANE.top - 4} y2={HEIGHT} />
              <path d={`M${x(playhead) - 6},${LANE.top - 8} h12 l-6,8 z`} />
            </g>
          )}
        </svg>
      </div>
      <p class="timeline-help">{t("help")}</p>
    </div>
  );
}
