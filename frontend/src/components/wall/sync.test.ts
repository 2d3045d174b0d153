import { describe, expect, it } from "vitest";

import { correction, extrapolate, leaderOf, RETRY_MS, SETTLE_MS, STALL_MS, type TileState, tolerance } from "./sync";

const T = Date.UTC(2026, 10, 1, 8, 0, 0);
const tile = (over: Partial<TileState> = {}): TileState => ({
  instant: T,
  status: "playing",
  covers: true,
  held: false,
  sinceSeek: 10 * SETTLE_MS,
  ...over,
});

describe("the wall's clock", () => {
  it("advances at the wall's speed only while playing", () => {
    const anchor = { at: T, mono: 1000 };
    expect(extrapolate(anchor, 3000, 1, true)).toBe(T + 2000);
    expect(extrapolate(anchor, 3000, 4, true)).toBe(T + 8000);
    expect(extrapolate(anchor, 3000, 0.25, true)).toBe(T + 500);
    expect(extrapolate(anchor, 3000, 4, false)).toBe(T);
  });

  it("is the first tile playing near the expected instant", () => {
    const tiles = [tile({ status: "loading" }), tile({ instant: T + 300 }), tile({ instant: T + 100 })];
    expect(leaderOf(tiles, T, 1, true)).toBe(1);
  });

  it("is not a tile that jumped a hole in its recording, nor a held one", () => {
    const tiles = [tile({ instant: T + 60_000 }), tile({ held: true }), tile({ instant: T - 200 })];
    expect(leaderOf(tiles, T, 1, true)).toBe(2);
    expect(leaderOf([tile({ status: "loading" })], T, 1, true)).toBe(-1);
  });

  it("may be a paused tile when the wall is paused", () => {
    expect(leaderOf([tile({ status: "paused" })], T, 1, false)).toBe(0);
    expect(leaderOf([tile({ status: "paused" })], T, 1, true)).toBe(-1);
  });
});

describe("a following tile", () => {
  it("is left alone within half a second", () => {
    expect(correction(T + 400, tile(), 1, true)).toBe("none");
    expect(correction(T - 499, tile(), 0.25, true)).toBe("none");
  });

  it("seeks when it drifts more than half a second", () => {
    expect(correction(T + 600, tile(), 1, true)).toBe("seek");
    expect(correction(T - 700, tile(), 0.5, true)).toBe("seek");
  });

  it("gets a wider tolerance at high speeds", () => {
    expect(tolerance(16)).toBe(8000);
    expect(correction(T + 3000, tile(), 16, true)).toBe("none");
    expect(correction(T + 9000, tile(), 16, true)).toBe("seek");
  });

  it("waits after a seek before being judged again", () => {
    expect(correction(T + 5000, tile({ sinceSeek: SETTLE_MS - 1 }), 1, true)).toBe("none");
  });

  it("holds where its recording has a hole, and resumes where it has footage", () => {
    expect(correction(T, tile({ covers: false }), 1, true)).toBe("hold");
    expect(correction(T, tile({ covers: false, held: true }), 1, true)).toBe("none");
    expect(correction(T, tile({ covers: true, held: true }), 1, true)).toBe("seek");
  });

  it("loads another playlist when the instant is outside its own", () => {
    expect(correction(T, tile({ covers: null }), 1, true)).toBe("seek");
  });

  it("retries a failed playlist now and then only", () => {
    expect(correction(T, tile({ status: "error", sinceSeek: RETRY_MS - 1 }), 1, true)).toBe("none");
    expect(correction(T, tile({ status: "error", sinceSeek: RETRY_MS }), 1, true)).toBe("seek");
  });

  it("plays and pauses with the wall", () => {
    expect(correction(T, tile({ status: "paused" }), 1, true)).toBe("play");
    expect(correction(T, tile(), 1, false)).toBe("pause");
    expect(correction(T, tile({ status: "loading" }), 1, true)).toBe("none");
  });

  it("loads a tile again when it has been buffering too long, not at a brief wait", () => {
    expect(correction(T, tile({ status: "loading", stalled: 250 }), 1, true)).toBe("none");
    expect(correction(T, tile({ status: "loading", stalled: STALL_MS - 1 }), 1, true)).toBe("none");
    expect(correction(T, tile({ status: "loading", stalled: STALL_MS }), 1, true)).toBe("seek");
    // Right after a seek the tile is left alone, however long it loads.
    expect(correction(T, tile({ status: "loading", stalled: STALL_MS, sinceSeek: SETTLE_MS - 1 }), 1, true)).toBe("none");
  });
});
