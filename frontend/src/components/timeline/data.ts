// What the timeline draws for one camera: recorded ranges and gaps of the window (ranges
// only: `segments=false`, a week is 10,080 one-minute segments), the legal holds (with
// `hold.manage`) and the camera's incidents (with `incident.read`).
import { useEffect, useState } from "preact/hooks";

import { api, type Schema } from "../../lib/api";
import { iso } from "../../lib/paris";
import { can } from "../../lib/session";
import { fetchWindow, type Interval, type View } from "./view";

export interface HoldMark {
  id: number;
  start: number;
  end: number;
  reason: string;
  active: boolean;
}

export interface IncidentMark {
  id: number;
  at: number;
  end: number | null;
  kind: string;
  state: string;
  place: string;
}

export interface TimelineData {
  ranges: Interval[];
  gaps: Interval[];
  holds: HoldMark[];
  incidents: IncidentMark[];
  /** The recordings could not be read. */
  failed: boolean;
}

type Recordings = Schema<"Recordings">;
type HoldOut = Schema<"HoldOut">;
type IncidentOut = Schema<"IncidentOut">;

const REFRESH_MS = 15_000;

function intervals(list: { start: string; end: string }[]): Interval[] {
  return list.map((r) => [Date.parse(r.start), Date.parse(r.end)] as const);
}

/** One camera's recorded ranges and gaps over [start, end]. */
export async function fetchRecordings(
  camera: string,
  start: number,
  end: number,
  signal?: AbortSignal,
): Promise<{ ranges: Interval[]; gaps: Interval[] }> {
  const r = await api<Recordings>(`/api/cameras/${encodeURIComponent(camera)}/recordings`, {
    query: { start: iso(start), end: iso(end), segments: false },
    signal,
  });
  return { ranges: intervals(r.ranges), gaps: intervals(r.gaps) };
}

/** `reload` changes when something was added (a hold by an export, say). */
export function useTimelineData(camera: string, view: View, now: number, reload: number): TimelineData {
  const [rec, setRec] = useState<{ key: string; ranges: Interval[]; gaps: Interval[] } | null>(null);
  const [failed, setFailed] = useState(false);
  const [holds, setHolds] = useState<HoldMark[]>([]);
  const [incidents, setIncidents] = useState<IncidentMark[]>([]);
  const [tick, setTick] = useState(0);
  const win = fetchWindow(view);
  const key = `${camera}:${win.key}`;
  const live = win.end > now - REFRESH_MS;

  useEffect(() => {
    if (!live) return;
    const timer = window.setInterval(() => setTick((n) => n + 1), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [key, live]);

  useEffect(() => {
    const abort = new AbortController();
    fetchRecordings(camera, win.start, win.end, abort.signal)
      .then((r) => {
        setRec({ key, ...r });
        setFailed(false);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setFailed(!(e instanceof DOMException));
      });
    return () => abort.abort();
  }, [key, tick, reload]);

  useEffect(() => {
    if (!can("hold.manage")) return;
    api<HoldOut[]>("/api/holds", { query: { camera } })
      .then((list) =>
        setHolds(
          list.map((h) => ({
            id: h.id,
            start: Date.parse(h.start),
            end: Date.parse(h.end),
            reason: h.reason,
            active: h.active,
          })),
        ),
      )
      .catch(() => setHolds([]));
  }, [camera, reload]);

  useEffect(() => {
    if (!can("incident.read")) return;
    api<IncidentOut[]>("/api/incidents", { query: { limit: 500 } })
      .then((list) =>
        setIncidents(
          list
            .filter((i) => i.cameras.includes(camera))
            .map((i) => ({
              id: i.id,
              at: Date.parse(i.opened_at),
              end: i.closed_at ? Date.parse(i.closed_at) : null,
              kind: i.kind,
              state: i.state,
              place: [i.building_name, i.zone_name].filter(Boolean).join(" · "),
            })),
        ),
      )
      .catch(() => setIncidents([]));
  }, [camera, reload]);

  return {
    ranges: rec?.ranges ?? [],
    gaps: rec?.gaps ?? [],
    holds,
    incidents,
    failed,
  };
}
