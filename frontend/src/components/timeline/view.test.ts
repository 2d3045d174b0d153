import { describe, expect, it } from "vitest";

import { DAY, HOUR, MINUTE, parisClock, parisDay } from "../../lib/paris";
import { clip, fetchWindow, follow, holes, panBy, ticks, timeToX, union, viewAround, xToTime, ZOOMS, zoomAt } from "./view";

const T = Date.UTC(2026, 10, 1, 8, 0, 0); // 1 Nov 2026 08:00 UTC = 09:00 Paris
const FAR = T + 365 * DAY; // a "now" far ahead: no clamping

describe("time and pixels", () => {
  it("maps the window's ends to the strip's ends at every zoom, and back", () => {
    for (let zoom = 0; zoom < ZOOMS.length; zoom++) {
      const view = { start: T, zoom };
      const span = ZOOMS[zoom].span;
      expect(timeToX(view, 1200, T)).toBe(0);
      expect(timeToX(view, 1200, T + span)).toBe(1200);
      expect(timeToX(view, 1200, T + span / 4)).toBeCloseTo(300, 9);
      expect(xToTime(view, 1200, 300)).toBeCloseTo(T + span / 4, 3);
      expect(xToTime(view, 1200, timeToX(view, 1200, T + 12_345))).toBeCloseTo(T + 12_345, 3);
    }
    // One pixel is 0.75 s at 15 minutes on 1200 px, 8.4 minutes at 7 days.
    expect(xToTime({ start: T, zoom: 0 }, 1200, 1) - T).toBe(750);
    expect(xToTime({ start: T, zoom: 4 }, 1200, 1) - T).toBe(504_000);
  });

  it("zooms around the instant under the cursor and keeps it under the same pixel", () => {
    const view = { start: T, zoom: 1 }; // 1 h
    const anchor = T + 15 * MINUTE; // a quarter in
    const wider = zoomAt(view, +1, anchor, FAR); // 6 h
    expect(wider.zoom).toBe(2);
    expect(timeToX(wider, 1000, anchor)).toBeCloseTo(250, 6);
    const narrower = zoomAt(view, -1, anchor, FAR);
    expect(narrower).toEqual({ zoom: 0, start: anchor - 0.25 * 15 * MINUTE });
    expect(zoomAt({ start: T, zoom: 0 }, -1, T, FAR)).toEqual({ start: T, zoom: 0 }); // no closer
    expect(zoomAt({ start: T, zoom: 4 }, +1, T, FAR)).toEqual({ start: T, zoom: 4 });
  });

  it("pans opposite to the drag and never shows more than a quarter of future", () => {
    const view = { start: T, zoom: 1 };
    expect(panBy(view, 1200, 600, FAR).start).toBe(T - 30 * MINUTE); // dragged right: earlier
    const now = T + 50 * MINUTE;
    expect(panBy(view, 1200, -1200, now).start).toBe(now - 45 * MINUTE);
    expect(viewAround(now, 0, now)).toEqual({ start: now - 11.25 * MINUTE, zoom: 0 });
  });

  it("pages the window when the playhead leaves it", () => {
    const view = { start: T, zoom: 1 };
    expect(follow(view, T + 30 * MINUTE, FAR)).toBe(view);
    expect(follow(view, T + 58 * MINUTE, FAR).start).toBe(T + 58 * MINUTE - 15 * MINUTE);
    expect(follow(view, T - MINUTE, FAR).start).toBe(T - MINUTE - 15 * MINUTE);
  });

  it("fetches aligned chunks: panning inside one asks nothing new", () => {
    const a = fetchWindow({ start: T, zoom: 2 });
    const b = fetchWindow({ start: T + HOUR, zoom: 2 });
    expect(a.key).toBe(b.key);
    expect(a.end - a.start).toBe(18 * HOUR);
    // Every window starting inside the chunk lies within what was fetched.
    const chunk = Math.floor(T / (6 * HOUR)) * 6 * HOUR;
    for (const v of [chunk, T, chunk + 6 * HOUR - 1]) {
      expect(fetchWindow({ start: v, zoom: 2 })).toEqual(a);
      expect(a.start).toBeLessThanOrEqual(v);
      expect(a.end).toBeGreaterThanOrEqual(v + 6 * HOUR);
    }
    expect(fetchWindow({ start: chunk + 6 * HOUR, zoom: 2 }).key).not.toBe(a.key);
    expect(fetchWindow({ start: T, zoom: 4 }).end - fetchWindow({ start: T, zoom: 4 }).start).toBe(21 * DAY);
  });
});

describe("clipping", () => {
  it("cuts ranges to the window and drops those outside", () => {
    const ranges = [
      [0, 10],
      [20, 30],
      [40, 50],
      [60, 70],
    ] as const;
    expect(clip(ranges, 25, 45)).toEqual([
      [25, 30],
      [40, 45],
    ]);
    expect(clip(ranges, 10, 20)).toEqual([]); // touching ends are empty
    expect(clip(ranges, -5, 100)).toEqual(ranges);
    expect(clip([[5, 5]], 0, 10)).toEqual([]);
  });
});

describe("Paris time ticks", () => {
  it("ticks on Paris wall-clock hours and midnights, across a DST change", () => {
    const start = Date.UTC(2026, 9, 24, 12); // 24 Oct 14:00 Paris (summer)
    const days = ticks(start, start + 3 * DAY, DAY);
    expect(days.map((t) => [parisDay(t), parisClock(t, false)])).toEqual([
      ["25/10", "00:00"],
      ["26/10", "00:00"],
      ["27/10", "00:00"],
    ]);
    expect(days[1] - days[0]).toBe(25 * HOUR); // the long day
    const night = Date.UTC(2026, 9, 24, 22); // 00:00 Paris
    const hours = ticks(night, night + 6 * HOUR, 3 * HOUR).map((t) => parisClock(t, false));
    expect(hours).toEqual(["00:00", "03:00"]);
    const minutes = ticks(T + 30_000, T + 16 * MINUTE, 5 * MINUTE).map((t) => parisClock(t, false));
    expect(minutes).toEqual(["09:05", "09:10", "09:15"]);
  });
});

describe("several cameras' ranges", () => {
  it("merge into their union, and the holes between", () => {
    const u = union([
      [
        [10, 20],
        [40, 50],
      ],
      [
        [15, 30],
        [50, 55],
        [70, 80],
      ],
      [],
    ]);
    expect(u).toEqual([
      [10, 30],
      [40, 55],
      [70, 80],
    ]);
    expect(holes(u)).toEqual([
      [30, 40],
      [55, 70],
    ]);
  });
});
