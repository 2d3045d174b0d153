import { describe, expect, it } from "vitest";

import { type FragmentTime, footageAt, frameStep, instantAt, mediaTimeOf, nextSpeed, playbackWindow } from "./instant";

const T = Date.UTC(2026, 10, 1, 8, 0, 0);

// Three 1-second fragments, then a 10-second gap in the recording, then two more: hls.js
// lays them end to end, so media time 3 s is wall time T + 13 s.
const FRAGS: FragmentTime[] = [
  { start: 0, duration: 1, pdt: T },
  { start: 1, duration: 1, pdt: T + 1000 },
  { start: 2, duration: 1, pdt: T + 2000 },
  { start: 3, duration: 1, pdt: T + 13_000 },
  { start: 4, duration: 0.96, pdt: T + 14_000 },
];

describe("instant shown", () => {
  it("is the playing fragment's program date-time plus the time into it", () => {
    expect(instantAt(FRAGS, 0)).toBe(T);
    expect(instantAt(FRAGS, 0.5)).toBe(T + 500);
    expect(instantAt(FRAGS, 2.96)).toBeCloseTo(T + 2960, 6);
    // After the gap: media time 3.2 s is 13.2 s of wall time.
    expect(instantAt(FRAGS, 3.2)).toBeCloseTo(T + 13_200, 6);
    expect(instantAt(FRAGS, 4.5)).toBeCloseTo(T + 14_500, 6);
    expect(instantAt([], 1)).toBeNull();
  });

  it("maps an instant back to media time, and a gap to where footage resumes", () => {
    expect(mediaTimeOf(FRAGS, T + 1500)).toBeCloseTo(1.5, 9);
    expect(mediaTimeOf(FRAGS, T + 13_250)).toBeCloseTo(3.25, 9);
    expect(mediaTimeOf(FRAGS, T + 5000)).toBe(3); // in the gap
    expect(mediaTimeOf(FRAGS, T - 1)).toBeNull(); // before the playlist
    expect(mediaTimeOf(FRAGS, T + 14_960)).toBeNull(); // after it
    for (const at of [T, T + 700, T + 2999, T + 13_001, T + 14_900]) {
      expect(instantAt(FRAGS, mediaTimeOf(FRAGS, at)!)).toBeCloseTo(at, 6);
    }
  });
});

describe("controls", () => {
  it("steps one frame at the camera's rate", () => {
    expect(frameStep(10, 1, 25)).toBeCloseTo(10.04, 9);
    expect(frameStep(10, -1, 12.5)).toBeCloseTo(9.92, 9);
    expect(frameStep(0.01, -1, 25)).toBe(0);
    expect(frameStep(1, 1, null)).toBeCloseTo(1.04, 9); // unknown rate: 25 fps
  });

  it("moves through the speeds from 1/4 to 16", () => {
    expect(nextSpeed(1, 1)).toBe(2);
    expect(nextSpeed(16, 1)).toBe(16);
    expect(nextSpeed(0.5, -1)).toBe(0.25);
    expect(nextSpeed(0.25, -1)).toBe(0.25);
    expect(nextSpeed(3, -1)).toBe(0.5); // unknown: from 1
  });

  it("asks a playlist from the instant, never past what is recorded", () => {
    const now = T + 3_600_000;
    expect(playbackWindow(T, now)).toEqual({ start: T, end: T + 30 * 60_000 });
    expect(playbackWindow(now - 40_000, now)).toEqual({ start: now - 40_000, end: now - 3000 });
    // An instant too recent: the last seconds flushed to disk.
    expect(playbackWindow(now - 1000, now)).toEqual({ start: now - 8000, end: now - 3000 });
  });
});

describe("footage at an instant", () => {
  it("is inside a fragment, not in a gap; unknown outside the playlist", () => {
    expect(footageAt(FRAGS, T + 500)).toBe(true);
    expect(footageAt(FRAGS, T + 13_500)).toBe(true);
    expect(footageAt(FRAGS, T + 5000)).toBe(false);
    expect(footageAt(FRAGS, T - 1)).toBeNull();
    expect(footageAt(FRAGS, T + 15_000)).toBeNull();
    expect(footageAt([], T)).toBeNull();
  });
});
