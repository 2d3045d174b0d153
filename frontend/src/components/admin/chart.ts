// The health page's small charts, drawn as inline SVG without a chart library: the
// samples (one a minute, 1,440 a day) are averaged into as many buckets as the chart
// has pixels, scaled to a round maximum, and turned into a path that breaks where a
// camera was not measured, plus a strip of status runs.

export interface Point {
  /** Milliseconds since the epoch. */
  t: number;
  v: number | null;
}

export interface StatusPoint {
  t: number;
  status: string;
}

export interface Run {
  status: string;
  start: number;
  /** Exclusive: the run covers [start, end). */
  end: number;
}

/**
 * Average `points` into `buckets` equal slices of [start, end); a slice with no value
 * (no sample, or only nulls) is null, so the line breaks there instead of lying.
 */
export function downsample(points: Point[], start: number, end: number, buckets: number): (number | null)[] {
  const n = Math.max(1, Math.floor(buckets));
  const sums = new Array<number>(n).fill(0);
  const counts = new Array<number>(n).fill(0);
  const span = end - start;
  if (span <= 0) return new Array<number | null>(n).fill(null);
  for (const p of points) {
    if (p.v === null || !Number.isFinite(p.v) || p.t < start || p.t >= end) continue;
    const i = Math.min(n - 1, Math.floor(((p.t - start) * n) / span));
    sums[i] += p.v;
    counts[i] += 1;
  }
  return sums.map((s, i) => (counts[i] ? s / counts[i] : null));
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above `value` (1 for nothing to show). */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const exp = Math.floor(Math.log10(value));
  const base = 10 ** exp;
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * base;
    if (candidate >= value * (1 - 1e-9)) return Number(candidate.toPrecision(12));
  }
  return 10 * base;
}

/**
 * An SVG path of `values` over `width` × `height` (y grows downwards), one x step per
 * value, scaled so `max` touches the top; a null starts a new sub-path. A lone value
 * between two nulls is drawn as a short flat stroke so it stays visible.
 */
export function linePath(values: (number | null)[], width: number, height: number, max: number): string {
  if (values.length === 0 || max <= 0) return "";
  const step = width / values.length;
  const y = (v: number) => round(height - (Math.min(v, max) / max) * height);
  const parts: string[] = [];
  let open = false;
  values.forEach((v, i) => {
    if (v === null) {
      open = false;
      return;
    }
    const x0 = round(i * step);
    const x1 = round((i + 1) * step);
    parts.push(`${open ? "L" : "M"}${x0} ${y(v)}L${x1} ${y(v)}`);
    open = true;
  });
  return parts.join("");
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Consecutive samples of the same status merged into runs. A sample stands for one
 * `interval`; a missing sample (the server was stopped) ends the run, and the gap is
 * left out: nothing is known of it.
 */
export function statusRuns(samples: StatusPoint[], interval: number): Run[] {
  const runs: Run[] = [];
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    const last = runs[runs.length - 1];
    if (last && last.status === s.status && s.t <= last.end + interval / 2) {
      last.end = s.t + interval;
    } else {
      runs.push({ status: s.status, start: s.t, end: s.t + interval });
    }
  }
  return runs;
}

/** The x position and width of a run on a chart of `width` showing [start, end). */
export function runBox(run: Run, start: number, end: number, width: number): { x: number; w: number } | null {
  const a = Math.max(run.start, start);
  const b = Math.min(run.end, end);
  if (b <= a || end <= start) return null;
  const x = ((a - start) / (end - start)) * width;
  const w = ((b - a) / (end - start)) * width;
  return { x: round(x), w: Math.max(0.5, round(w)) };
}
