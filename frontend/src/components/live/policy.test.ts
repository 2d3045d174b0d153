import { describe, expect, it } from "vitest";

import {
  backoffS,
  closeReason,
  decide,
  emergencyTrim,
  isHevc,
  JUMP_S,
  KEEP_BEHIND_S,
  liveEdge,
  MAX_RATE,
  MIN_RATE,
  trimRange,
  unstick,
} from "./policy";

describe("live edge", () => {
  it("starts on the newest fragment, not at the oldest buffered byte", () => {
    // The hub sends the current GOP: 3 s buffered at once, 1 s fragments.
    expect(decide({ currentTime: 0, ranges: [[3600, 3603]], chunk: 1 })).toEqual({
      seek: 3602,
      playbackRate: 1,
      excess: null,
    });
    expect(liveEdge([[10, 10.4]], 1)).toBe(10); // never before the range
    expect(liveEdge([], 1)).toBeNull();
  });

  it("plays on when one fragment ahead: that is on time", () => {
    expect(decide({ currentTime: 3602, ranges: [[3600, 3603]], chunk: 1 })).toMatchObject({
      seek: null,
      playbackRate: 1,
      excess: 0,
    });
    // At the very end, waiting for the next fragment: on time too.
    expect(decide({ currentTime: 3603, ranges: [[3600, 3603]], chunk: 0 }).playbackRate).toBe(1);
  });

  it("speeds up a little when a little late, more when later", () => {
    const slightly = decide({ currentTime: 3601.7, ranges: [[3600, 3603]], chunk: 1 });
    expect(slightly.seek).toBeNull();
    expect(slightly.excess).toBeCloseTo(0.3, 9);
    expect(slightly.playbackRate).toBeCloseTo(1.3, 9);
    // Long fragments: a small excess still gets at least the minimum rate.
    const barely = decide({ currentTime: 3600.84, ranges: [[3600, 3603]], chunk: 2 });
    expect(barely.playbackRate).toBe(MIN_RATE);
    const late = decide({ currentTime: 3601, ranges: [[3600, 3603]], chunk: 1 });
    expect(late.playbackRate).toBe(MAX_RATE);
    // Short fragments: the same excess is caught up faster, still within the bounds.
    const short = decide({ currentTime: 3602.45, ranges: [[3600, 3603]], chunk: 0.25 });
    expect(short.playbackRate).toBe(MAX_RATE);
  });

  it("jumps to the live edge when too late to catch up by speed", () => {
    const d = decide({ currentTime: 3600, ranges: [[3595, 3603]], chunk: 1 });
    expect(d.excess).toBeGreaterThan(JUMP_S);
    expect(d).toMatchObject({ seek: 3602, playbackRate: 1 });
  });

  it("leaves a gap behind: an older range or a hole sends the playhead to the newest range", () => {
    const ranges = [
      [100, 110],
      [400, 401.5],
    ] as const;
    expect(decide({ currentTime: 109, ranges, chunk: 1 }).seek).toBe(400.5);
    expect(decide({ currentTime: 250, ranges, chunk: 1 }).seek).toBe(400.5);
    expect(decide({ currentTime: 400.6, ranges, chunk: 1 }).seek).toBeNull();
  });

  it("does nothing without media", () => {
    expect(decide({ currentTime: 0, ranges: [], chunk: 1 })).toEqual({ seek: null, playbackRate: 1, excess: null });
  });
});

describe("buffer trimming", () => {
  it("keeps a couple of seconds behind the playhead and removes in batches", () => {
    expect(trimRange([[100, 108]], 105)).toBeNull(); // 3 s played: not worth a removal
    expect(trimRange([[100, 112]], 111)).toEqual([100, 111 - KEEP_BEHIND_S]);
    // Older ranges (before a gap) go with it.
    expect(
      trimRange(
        [
          [10, 20],
          [400, 412],
        ],
        411,
      ),
    ).toEqual([10, 409]);
    expect(trimRange([], 5)).toBeNull();
  });

  it("frees all but half a second when the browser says the buffer is full", () => {
    expect(emergencyTrim([[100, 130]], 120)).toEqual([100, 119.5]);
    expect(emergencyTrim([[100, 130]], 100.2)).toBeNull();
  });
});

describe("stalls", () => {
  it("skips a hole the decoder is stuck on, but waits at the end for bytes", () => {
    const state = { currentTime: 50, ranges: [[45, 53]] as const, chunk: 1 };
    expect(unstick(state, 0.5)).toBeNull();
    expect(unstick(state, 2)).toBe(52);
    expect(unstick({ ...state, currentTime: 52.9 }, 5)).toBeNull();
    expect(unstick({ ...state, currentTime: 52.3 }, 5)).toBeCloseTo(52.5, 9);
  });
});

describe("reconnection", () => {
  it("backs off 1, 2, 4, 8 then 15 s", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(backoffS)).toEqual([1, 2, 4, 8, 15, 15, 15]);
  });

  it("gives up on refusals and retries on failures", () => {
    expect(closeReason(4401)).toEqual({ reason: "session_lost", retry: false });
    expect(closeReason(4403)).toEqual({ reason: "forbidden", retry: false });
    expect(closeReason(4404)).toEqual({ reason: "unknown_camera", retry: false });
    expect(closeReason(1011)).toEqual({ reason: "journal_failed", retry: true });
    expect(closeReason(1013)).toEqual({ reason: "unavailable", retry: true });
    expect(closeReason(1006)).toEqual({ reason: "lost", retry: true });
  });

  it("knows H.265 codec strings", () => {
    expect(isHevc('video/mp4; codecs="hvc1.1.6.L93.B0"')).toBe(true);
    expect(isHevc("hev1.1.6.L120.90")).toBe(true);
    expect(isHevc('video/mp4; codecs="avc1.64001f"')).toBe(false);
  });
});
