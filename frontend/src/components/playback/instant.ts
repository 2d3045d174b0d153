// Which instant a player shows. hls.js lays a playlist's fragments end to end (a gap in
// the recording is a discontinuity, not a pause), so media time is not wall time: each
// fragment carries its own EXT-X-PROGRAM-DATE-TIME, and the instant of media time `t` is
// that of the fragment playing plus the time into it.
import { MINUTE, SECOND } from "../../lib/paris";

export interface FragmentTime {
  /** Media time where the fragment starts (s). */
  start: number;
  /** Its length (s). */
  duration: number;
  /** Wall time of its first frame (UTC ms), from EXT-X-PROGRAM-DATE-TIME. */
  pdt: number;
}

export const SPEEDS: readonly number[] = [0.25, 0.5, 1, 2, 4, 8, 16];

/** The fragment playing at media time `t`: the last one starting at or before it. */
function fragmentAt(frags: readonly FragmentTime[], t: number): number {
  let lo = 0;
  let hi = frags.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frags[mid].start <= t + 1e-6) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Wall time (UTC ms) of media time `t`; null without fragments. */
export function instantAt(frags: readonly FragmentTime[], t: number): number | null {
  if (frags.length === 0) return null;
  const f = frags[fragmentAt(frags, t)];
  const into = Math.max(0, t - f.start);
  return f.pdt + into * SECOND;
}

/**
 * Media time (s) showing wall time `at`: inside a fragment, the time into it; in a gap
 * between fragments, the start of the next (footage resumes there); null when `at`
 * lies before the first fragment or after the last (another playlist must be loaded).
 */
export function mediaTimeOf(frags: readonly FragmentTime[], at: number): number | null {
  if (frags.length === 0) return null;
  const first = frags[0];
  const last = frags[frags.length - 1];
  if (at < first.pdt || at >= last.pdt + last.duration * SECOND) return null;
  const lo = fragmentAtWall(frags, at);
  const f = frags[lo];
  const into = (at - f.pdt) / SECOND;
  if (into < f.duration || lo === frags.length - 1) return f.start + into;
  return frags[lo + 1].start; // in a gap: where the footage resumes
}

/** Whether footage of wall time `at` lies inside one of the fragments (not in a gap),
 * null when `at` is outside the fragments' span (another playlist would tell). */
export function footageAt(frags: readonly FragmentTime[], at: number): boolean | null {
  if (frags.length === 0) return null;
  const last = frags[frags.length - 1];
  if (at < frags[0].pdt || at >= last.pdt + last.duration * SECOND) return null;
  const f = frags[fragmentAtWall(frags, at)];
  return at - f.pdt < f.duration * SECOND;
}

function fragmentAtWall(frags: readonly FragmentTime[], at: number): number {
  let lo = 0;
  let hi = frags.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frags[mid].pdt <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The media time one frame before (-1) or after (+1) `t`. */
export function frameStep(t: number, direction: -1 | 1, fps: number | null | undefined): number {
  const rate = fps && fps > 0 && Number.isFinite(fps) ? fps : 25;
  return Math.max(0, t + direction / rate);
}

/** The next speed down (-1) or up (+1), staying within SPEEDS. */
export function nextSpeed(current: number, direction: -1 | 1): number {
  let i = SPEEDS.indexOf(current);
  if (i < 0) i = SPEEDS.indexOf(1);
  return SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i + direction))];
}

// A playlist covers this much from the chosen instant; its end is chained to the next.
export const PLAYLIST_SPAN = 30 * MINUTE;
// Footage newer than this may not be flushed to disk yet.
export const NEWEST_PLAYABLE = 3 * SECOND;

/** The playlist window from `at`: up to PLAYLIST_SPAN, never past what is recorded. */
export function playbackWindow(at: number, now: number): { start: number; end: number } {
  const end = Math.min(at + PLAYLIST_SPAN, now - NEWEST_PLAYABLE);
  const start = Math.min(at, end - 5 * SECOND);
  return { start, end };
}
