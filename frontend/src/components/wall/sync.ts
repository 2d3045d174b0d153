// Keeping the wall's playback tiles on one instant. Pure decisions, tested alone; the
// controller (wall-playback.ts) applies them to the tiles' engines every tick.
//
// The clock is the first tile that shows footage near the wall's instant; its picture's
// instant is the wall's. Without one (every tile loading, or without footage there) the
// clock runs on its own from the last known instant, at the wall's speed, once a tile
// plays. The other tiles follow: a drift beyond the tolerance is corrected by a seek; a
// tile whose recording has a hole at the wall's instant waits, paused, until it has; a
// tile that stalls buffering after it played is loaded again (STALL_MS).
import type { PlaybackStatus } from "../playback/engine";

/** Drift corrected by a seek at 1× and below (picture time). Above 1× it widens with
 * the speed: at 16× a seek costs more picture time than 0.5 s. */
export const TOLERANCE_MS = 500;
/** A tile is left alone this long after a seek (the seek itself takes time). */
export const SETTLE_MS = 1500;
/** A tile whose playlist failed (no footage in its window) retries this often. */
export const RETRY_MS = 10_000;
/** A tile buffering this long (a fragment that never came) is loaded again: the
 * others go on, so it would otherwise fall further behind for good. */
export const STALL_MS = 3000;

export function tolerance(speed: number): number {
  return TOLERANCE_MS * Math.max(1, speed);
}

export interface TileState {
  instant: number | null;
  status: PlaybackStatus;
  /** Whether the tile's loaded playlist has footage at the wall's instant (null: unknown,
   * outside the playlist). */
  covers: boolean | null;
  /** Paused for want of footage at the wall's instant. */
  held: boolean;
  /** Milliseconds since the tile's last seek. */
  sinceSeek: number;
  /** Milliseconds the tile has been loading without interruption (0: it is not). */
  stalled?: number;
}

export interface Anchor {
  /** The wall's instant (UTC ms)… */
  at: number;
  /** …at this moment of the page's monotonic clock (performance.now()). */
  mono: number;
}

/** The wall's instant at `mono` from `anchor`, `advancing` (playing, and a tile plays). */
export function extrapolate(anchor: Anchor, mono: number, speed: number, advancing: boolean): number {
  return advancing ? anchor.at + (mono - anchor.mono) * speed : anchor.at;
}

/** The clock tile: the first one showing footage (not held) within reach of `expected`. */
export function leaderOf(tiles: readonly TileState[], expected: number, speed: number, playing: boolean): number {
  const reach = 4 * tolerance(speed);
  return tiles.findIndex(
    (t) =>
      !t.held &&
      t.instant !== null &&
      (t.status === "playing" || (!playing && t.status === "paused")) &&
      Math.abs(t.instant - expected) <= reach,
  );
}

export type Correction = "none" | "seek" | "hold" | "play" | "pause";

/** What a following tile must do to show the wall's instant `clock`. */
export function correction(clock: number, tile: TileState, speed: number, playing: boolean): Correction {
  if (tile.status === "error") return tile.sinceSeek >= RETRY_MS ? "seek" : "none";
  if (tile.sinceSeek < SETTLE_MS) return "none";
  if (tile.covers === false) return tile.held ? "none" : "hold";
  if (tile.covers === null || tile.held || tile.instant === null) return "seek";
  if (tile.status === "loading") return (tile.stalled ?? 0) >= STALL_MS ? "seek" : "none";
  if (Math.abs(tile.instant - clock) > tolerance(speed)) return "seek";
  if (playing && tile.status !== "playing") return "play";
  if (!playing && tile.status === "playing") return "pause";
  return "none";
}
