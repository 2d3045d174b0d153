// The timeline's window: which span of time the strip shows, at which zoom, and the
// conversions between instants and pixels. Pure functions: the component only draws.
import { DAY, HOUR, MINUTE, parisWallMs, parisWallToUtc } from "../../lib/paris";

export interface Zoom {
  id: string;
  /** Time the strip's width shows. */
  span: number;
  /** A small tick every… */
  tick: number;
  /** A labelled tick every… (a multiple of `tick`). */
  label: number;
}

export const ZOOMS: readonly Zoom[] = [
  { id: "15m", span: 15 * MINUTE, tick: MINUTE, label: 5 * MINUTE },
  { id: "1h", span: HOUR, tick: 5 * MINUTE, label: 15 * MINUTE },
  { id: "6h", span: 6 * HOUR, tick: 30 * MINUTE, label: HOUR },
  { id: "24h", span: DAY, tick: HOUR, label: 3 * HOUR },
  { id: "7d", span: 7 * DAY, tick: 6 * HOUR, label: DAY },
];

export interface View {
  /** First instant shown (UTC ms). */
  start: number;
  /** Index in ZOOMS. */
  zoom: number;
}

export type Interval = readonly [number, number];

export function spanOf(view: View): number {
  return ZOOMS[view.zoom].span;
}

export function endOf(view: View): number {
  return view.start + spanOf(view);
}

export function timeToX(view: View, width: number, t: number): number {
  return ((t - view.start) / spanOf(view)) * width;
}

export function xToTime(view: View, width: number, x: number): number {
  return view.start + (x / width) * spanOf(view);
}

/** How far the window may show the future: a quarter of its width past `now`. */
export function clampView(view: View, now: number): View {
  const latest = now - (spanOf(view) * 3) / 4;
  return view.start > latest ? { ...view, start: latest } : view;
}

/** A window at `zoom` with `t` at `fraction` of its width. */
export function viewAround(t: number, zoom: number, now: number, fraction = 0.75): View {
  const z = Math.max(0, Math.min(ZOOMS.length - 1, zoom));
  return clampView({ start: t - ZOOMS[z].span * fraction, zoom: z }, now);
}

/** Zoom in (-1) or out (+1) keeping the instant `anchor` under the same pixel. */
export function zoomAt(view: View, step: number, anchor: number, now: number): View {
  const zoom = Math.max(0, Math.min(ZOOMS.length - 1, view.zoom + step));
  if (zoom === view.zoom) return view;
  const fraction = (anchor - view.start) / spanOf(view);
  return clampView({ zoom, start: anchor - fraction * ZOOMS[zoom].span }, now);
}

/** Dragging the strip by `dx` pixels moves time the other way. */
export function panBy(view: View, width: number, dx: number, now: number): View {
  return clampView({ ...view, start: view.start - (dx / width) * spanOf(view) }, now);
}

/** When `t` (the playhead) leaves the window, the window pages to keep it in sight. */
export function follow(view: View, t: number, now: number): View {
  const span = spanOf(view);
  if (t >= view.start && t <= view.start + span * 0.95) return view;
  return clampView({ ...view, start: t - span * 0.25 }, now);
}

/** `intervals` cut to [start, end), the empty ones dropped; order kept. */
export function clip(intervals: readonly Interval[], start: number, end: number): Interval[] {
  const out: Interval[] = [];
  for (const [s, e] of intervals) {
    const cs = Math.max(s, start);
    const ce = Math.min(e, end);
    if (ce > cs) out.push([cs, ce]);
  }
  return out;
}

/**
 * Ticks of the window at Paris wall-clock multiples of `step` (midnight, every 3 h…),
 * as instants; across a DST change a wall time that happens twice appears once.
 */
export function ticks(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  let wall = Math.floor(parisWallMs(start) / step) * step;
  const last = parisWallMs(end) + step;
  while (wall <= last) {
    const t = parisWallToUtc(wall);
    if (t >= start && t <= end && out[out.length - 1] !== t) out.push(t);
    wall += step;
  }
  return out;
}

/** The API's window to fetch for `view`: the window's own span on each side, in chunks
 * aligned on the span so panning inside them fetches nothing new. */
export function fetchWindow(view: View): { start: number; end: number; key: string } {
  const span = spanOf(view);
  const chunk = Math.floor(view.start / span);
  return { start: (chunk - 1) * span, end: (chunk + 2) * span, key: `${view.zoom}:${chunk}` };
}

/** The union of interval lists (several cameras' recorded ranges), sorted, overlapping
 * and touching intervals merged. */
export function union(lists: readonly (readonly Interval[])[]): Interval[] {
  const all = lists
    .flat()
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of all) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** The holes between consecutive sorted, disjoint intervals. */
export function holes(intervals: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (let i = 1; i < intervals.length; i++) out.push([intervals[i - 1][1], intervals[i][0]]);
  return out;
}
