import { describe, expect, it } from "vitest";

import { downsample, linePath, niceMax, runBox, statusRuns } from "./chart";

const MIN = 60_000;

describe("downsample", () => {
  it("averages a day of minutes into as many buckets as pixels", () => {
    const points = Array.from({ length: 1440 }, (_, i) => ({ t: i * MIN, v: i % 2 ? 30 : 10 }));
    const out = downsample(points, 0, 1440 * MIN, 240);
    expect(out).toHaveLength(240);
    expect(out.every((v) => v === 20)).toBe(true); // six samples a bucket, half 10 half 30
  });

  it("leaves a bucket without a measure empty rather than zero", () => {
    const points = [
      { t: 0, v: 4 },
      { t: 1 * MIN, v: null },
      { t: 3 * MIN, v: 8 },
    ];
    expect(downsample(points, 0, 4 * MIN, 4)).toEqual([4, null, null, 8]);
  });

  it("ignores samples outside the window and puts the last instant in the last bucket", () => {
    const points = [
      { t: -MIN, v: 100 },
      { t: 10 * MIN - 1, v: 2 },
      { t: 10 * MIN, v: 100 },
    ];
    expect(downsample(points, 0, 10 * MIN, 5)).toEqual([null, null, null, null, 2]);
  });

  it("has more buckets than samples when the window is short", () => {
    const out = downsample([{ t: 0, v: 1 }], 0, MIN, 10);
    expect(out[0]).toBe(1);
    expect(out.slice(1).every((v) => v === null)).toBe(true);
  });
});

describe("niceMax", () => {
  it("rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect(niceMax(25)).toBe(25);
    expect(niceMax(25.1)).toBe(50);
    expect(niceMax(12.5)).toBe(20);
    expect(niceMax(3_999_999)).toBe(5_000_000);
    expect(niceMax(0.7)).toBe(1);
    expect(niceMax(0)).toBe(1);
    expect(niceMax(Number.NaN)).toBe(1);
  });
});

describe("linePath", () => {
  it("scales to the maximum with y downwards and breaks on gaps", () => {
    expect(linePath([10, 5, null, 0], 40, 20, 10)).toBe("M0 0L10 0L10 10L20 10M30 20L40 20");
  });

  it("clips values above the maximum to the top", () => {
    expect(linePath([30], 10, 20, 10)).toBe("M0 0L10 0");
  });

  it("draws nothing without values", () => {
    expect(linePath([], 10, 10, 1)).toBe("");
    expect(linePath([null, null], 10, 10, 1)).toBe("");
  });
});

describe("statusRuns", () => {
  it("merges consecutive samples and splits on a change or a missing minute", () => {
    const s = (m: number, status: string) => ({ t: m * MIN, status });
    const runs = statusRuns(
      [s(0, "recording"), s(1, "recording"), s(2, "offline"), s(3, "recording"), s(6, "recording"), s(7, "recording")],
      MIN,
    );
    expect(runs).toEqual([
      { status: "recording", start: 0, end: 2 * MIN },
      { status: "offline", start: 2 * MIN, end: 3 * MIN },
      { status: "recording", start: 3 * MIN, end: 4 * MIN },
      { status: "recording", start: 6 * MIN, end: 8 * MIN },
    ]);
  });

  it("places runs on the chart, clipped to the window", () => {
    expect(runBox({ status: "x", start: -MIN, end: MIN }, 0, 4 * MIN, 100)).toEqual({ x: 0, w: 25 });
    expect(runBox({ status: "x", start: 3 * MIN, end: 5 * MIN }, 0, 4 * MIN, 100)).toEqual({ x: 75, w: 25 });
    expect(runBox({ status: "x", start: 5 * MIN, end: 6 * MIN }, 0, 4 * MIN, 100)).toBeNull();
  });
});
