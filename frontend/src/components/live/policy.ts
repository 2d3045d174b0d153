// The live-edge policy: where the playhead should be, how fast it should go, what part
// of the buffer can go. Pure functions of the <video>'s state, so they are tested alone.
//
// Bytes arrive one fragment at a time (the recorder flushes a fragment at each keyframe
// and at least every second). Just after a fragment lands, the newest picture on hand is
// one fragment ahead of a player that is exactly on time; the player then plays that
// fragment while the next one is being filmed. So the lag that says "late" is not
// `buffered.end − currentTime` but what is left of it once the newest fragment is set
// aside: the *excess*. Policy:
// - start, and come back after a gap, at the start of the newest fragment (live edge);
// - excess above SPEED_UP_S: play faster (1.1× to 1.5×, enough to catch up within about
//   one fragment), back to 1× once caught up;
// - excess above JUMP_S: jump to the live edge (a stall, a hidden tab, a slow decoder);
// - keep KEEP_BEHIND_S of played media, drop the rest (a short buffer: the wall has 16).

export type Range = readonly [number, number];

export const SPEED_UP_S = 0.15;
export const JUMP_S = 1.5;
export const MIN_RATE = 1.1;
export const MAX_RATE = 1.5;
export const KEEP_BEHIND_S = 2;
export const TRIM_SLACK_S = 4;
/** Media within this much of a range's edges counts as in it (rounding of frame times). */
export const EDGE_S = 0.05;

export interface LiveState {
  currentTime: number;
  ranges: readonly Range[];
  /** Duration of the newest fragment, seconds (the arrival step). */
  chunk: number;
}

export interface Decision {
  /** Set currentTime to this (null: leave it). */
  seek: number | null;
  playbackRate: number;
  /** buffered.end − currentTime − chunk, seconds; null when nothing is buffered. */
  excess: number | null;
}

export function rangesOf(buffered: TimeRanges): Range[] {
  const out: Range[] = [];
  for (let i = 0; i < buffered.length; i++) out.push([buffered.start(i), buffered.end(i)]);
  return out;
}

/** Where a viewer joining now starts: the newest fragment's start, in the newest range. */
export function liveEdge(ranges: readonly Range[], chunk: number): number | null {
  if (ranges.length === 0) return null;
  const [start, end] = ranges[ranges.length - 1];
  return Math.max(start, end - chunk);
}

export function decide(state: LiveState): Decision {
  const { currentTime, ranges, chunk } = state;
  const edge = liveEdge(ranges, chunk);
  if (edge === null) return { seek: null, playbackRate: 1, excess: null };
  const [lastStart, end] = ranges[ranges.length - 1];
  // Outside the newest range (before it, in an older one, in a gap): to the live edge.
  if (currentTime < lastStart - EDGE_S || currentTime > end + EDGE_S) {
    return { seek: edge, playbackRate: 1, excess: null };
  }
  const excess = end - currentTime - chunk;
  if (excess > JUMP_S) return { seek: edge, playbackRate: 1, excess };
  if (excess > SPEED_UP_S) {
    const rate = 1 + excess / Math.max(chunk, 0.25);
    return { seek: null, playbackRate: Math.min(MAX_RATE, Math.max(MIN_RATE, rate)), excess };
  }
  return { seek: null, playbackRate: 1, excess };
}

/** The part of the buffer to remove (played long enough ago), or null to keep it all:
 * only once there is TRIM_SLACK_S beyond KEEP_BEHIND_S, so removals are few. */
export function trimRange(ranges: readonly Range[], currentTime: number): Range | null {
  if (ranges.length === 0) return null;
  const start = ranges[0][0];
  const cut = currentTime - KEEP_BEHIND_S;
  if (cut - start < TRIM_SLACK_S) return null;
  return [start, cut];
}

/** After a QuotaExceededError: everything before the playhead but a fraction of a second. */
export function emergencyTrim(ranges: readonly Range[], currentTime: number): Range | null {
  if (ranges.length === 0) return null;
  const cut = currentTime - 0.5;
  return cut > ranges[0][0] ? [ranges[0][0], cut] : null;
}

/** A playhead that has not moved for `stalledS` although media lies ahead: the decoder is
 * stuck on a hole (a missing frame, a gap smaller than a range split). Where to go. */
export function unstick(state: LiveState, stalledS: number): number | null {
  if (stalledS < 1) return null;
  const edge = liveEdge(state.ranges, state.chunk);
  if (edge === null) return null;
  const end = state.ranges[state.ranges.length - 1][1];
  if (end - state.currentTime < 0.3) return null; // waiting for bytes: nothing to skip to
  return edge > state.currentTime + EDGE_S ? edge : Math.min(end - 0.1, state.currentTime + 0.2);
}

/** Seconds before reconnection attempt `attempt` (0-based): 1, 2, 4, 8, then 15. */
export function backoffS(attempt: number): number {
  return Math.min(15, 2 ** Math.max(0, attempt));
}

export type CloseReason = "session_lost" | "forbidden" | "unknown_camera" | "journal_failed" | "unavailable" | "lost";

/** What a WebSocket close code means for the viewer, and whether to try again. */
export function closeReason(code: number): { reason: CloseReason; retry: boolean } {
  switch (code) {
    case 4401:
      return { reason: "session_lost", retry: false };
    case 4403:
      return { reason: "forbidden", retry: false };
    case 4404:
      return { reason: "unknown_camera", retry: false };
    case 1011:
      return { reason: "journal_failed", retry: true };
    case 1013:
      return { reason: "unavailable", retry: true };
    default:
      return { reason: "lost", retry: true };
  }
}

/** H.265 / HEVC codec strings (RFC 6381) as the server announces them. */
export function isHevc(codecOrMime: string): boolean {
  return /\b(hev1|hvc1)\b|codecs="?(hev1|hvc1)/i.test(codecOrMime);
}
