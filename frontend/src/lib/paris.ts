// Paris wall-clock time ↔ UTC instants. Instants are UTC milliseconds; what operators
// type and read is Paris local time (the courts' time, the paper requisition, the police
// call), across both daylight-saving changes. The browser's own zone is irrelevant: a
// console opened on a laptop set to UTC must mean the same hour.

const PARIS = "Europe/Paris";
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

let parts: Intl.DateTimeFormat | null = null;

function partsFormat(): Intl.DateTimeFormat {
  parts ??= new Intl.DateTimeFormat("en-GB", {
    timeZone: PARIS,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  return parts;
}

/** Paris wall-clock time of `utcMs`, written as if it were UTC (milliseconds kept). */
export function parisWallMs(utcMs: number): number {
  const p: Record<string, number> = {};
  for (const part of partsFormat().formatToParts(new Date(utcMs))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const whole = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return whole + (((utcMs % SECOND) + SECOND) % SECOND);
}

/** Offset of Paris from UTC at `utcMs`: 1 h in winter, 2 h in summer. */
export function parisOffsetMs(utcMs: number): number {
  return parisWallMs(utcMs) - utcMs;
}

/**
 * The instant of a Paris wall-clock time (given as if UTC). Like Temporal's
 * "compatible": a time that happens twice (the October hour) is its first occurrence
 * (summer time); a time that never happens (the March hour) moves forward by the gap,
 * as the clocks were.
 */
export function parisWallToUtc(wallMs: number): number {
  const before = parisOffsetMs(wallMs - 12 * HOUR);
  const after = parisOffsetMs(wallMs + 12 * HOUR);
  for (const offset of [Math.max(before, after), Math.min(before, after)]) {
    const t = wallMs - offset;
    if (parisOffsetMs(t) === offset) return t;
  }
  return wallMs - before;
}

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * `<input type="datetime-local">` value, "2026-03-29T14:05[:30[.250]]", read as Paris
 * time → the UTC instant (ms); null when the text is not a valid date-time.
 */
export function parisInputToUtc(value: string): number | null {
  const m = LOCAL_INPUT.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s = "0", frac = "0"] = m.slice(1);
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const wall = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), Number(frac.padEnd(3, "0")));
  const check = new Date(wall);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return parisWallToUtc(wall);
}

/** UTC ms → `<input type="datetime-local">` value in Paris time, with or without seconds. */
export function utcToParisInput(utcMs: number, withSeconds = true): string {
  const wall = new Date(parisWallMs(Math.floor(utcMs / SECOND) * SECOND)).toISOString();
  return wall.slice(0, withSeconds ? 19 : 16);
}

/** ISO 8601 with "Z" and milliseconds, what the API reads, stores and answers. */
export function iso(utcMs: number): string {
  return new Date(Math.round(utcMs)).toISOString();
}

/** Paris time "HH:MM:SS" or "HH:MM" of an instant. */
export function parisClock(utcMs: number, seconds = true): string {
  const wall = new Date(parisWallMs(utcMs)).toISOString();
  return seconds ? wall.slice(11, 19) : wall.slice(11, 16);
}

/** Paris date "DD/MM" of an instant. */
export function parisDay(utcMs: number): string {
  const wall = new Date(parisWallMs(utcMs)).toISOString();
  return `${wall.slice(8, 10)}/${wall.slice(5, 7)}`;
}

/**
 * "HH:MM" said by the agent (the police were called at 23:50) → the latest such Paris
 * instant not after `nowMs` (with a small tolerance for a clock a little ahead):
 * closing at 00:10 an incident whose call was at 23:50 means yesterday. Null when the
 * text is not a time of day.
 */
export function recentParisTime(hhmm: string, nowMs: number, toleranceMs = 5 * MINUTE): number | null {
  if (!/^\d{2}:\d{2}$/.test(hhmm.trim())) return null;
  const today = utcToParisInput(nowMs).slice(0, 10);
  const at = parisInputToUtc(`${today}T${hhmm.trim()}`);
  if (at === null) return null;
  if (at <= nowMs + toleranceMs) return at;
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - DAY).toISOString().slice(0, 10);
  return parisInputToUtc(`${yesterday}T${hhmm.trim()}`);
}
