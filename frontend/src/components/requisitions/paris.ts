// Paris wall-clock time ↔ UTC instants. Operators type and read Paris time (the paper
// requisition, the police call); the API takes instants with a zone. The browser's own
// zone is irrelevant: a console opened on a laptop set to UTC must mean the same hour.

const PARIS = "Europe/Paris";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const parts = new Intl.DateTimeFormat("en-GB", {
  timeZone: PARIS,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function wallOf(ms: number): Wall {
  const p: Record<string, number> = {};
  for (const part of parts.formatToParts(new Date(ms))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return { y: p.year, mo: p.month, d: p.day, h: p.hour, mi: p.minute, s: p.second };
}

/** Paris's offset from UTC at an instant, in ms (+1 h in winter, +2 h in summer). */
export function parisOffsetMs(ms: number): number {
  const w = wallOf(ms);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * "2026-03-29T14:05[:30]" read as Paris time → the UTC instant (ms); null when the text
 * is not a valid date-time. An hour that occurs twice (last Sunday of October) is the
 * first one; an hour that does not exist (last Sunday of March) is moved forward by the
 * gap, as the clocks were.
 */
export function parisLocalToUtcMs(local: string): number | null {
  const m = LOCAL.exec(local.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0));
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    h > 23 ||
    mi > 59 ||
    s > 59
  ) {
    return null;
  }
  const candidates = [wall - 2 * HOUR, wall - HOUR].filter((t) => t + parisOffsetMs(t) === wall);
  if (candidates.length > 0) return candidates[0];
  return wall - parisOffsetMs(wall - DAY);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A UTC instant as Paris wall time for an `<input type="datetime-local">`. */
export function utcToParisLocal(ms: number, withSeconds = true): string {
  const w = wallOf(ms);
  const date = `${pad(w.y, 4)}-${pad(w.mo)}-${pad(w.d)}`;
  const time = `${pad(w.h)}:${pad(w.mi)}${withSeconds ? `:${pad(w.s)}` : ""}`;
  return `${date}T${time}`;
}

/** ISO 8601 in UTC, what the API stores and answers. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** The Paris calendar date of the day before `date` ("YYYY-MM-DD"). */
function dayBefore(date: string): string {
  const [y, mo, d] = date.split("-").map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d) - DAY);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/**
 * "HH:MM" said by the agent (the police were called at 23:50) → the latest such Paris
 * instant not after `nowMs` (with a small tolerance for a clock a little ahead):
 * closing at 00:10 an incident whose call was at 23:50 means yesterday. Null when the
 * text is not a time of day.
 */
export function recentParisTime(hhmm: string, nowMs: number, toleranceMs = 5 * 60_000): number | null {
  if (!/^\d{2}:\d{2}$/.test(hhmm.trim())) return null;
  const today = utcToParisLocal(nowMs).slice(0, 10);
  const at = parisLocalToUtcMs(`${today}T${hhmm.trim()}`);
  if (at === null) return null;
  if (at <= nowMs + toleranceMs) return at;
  return parisLocalToUtcMs(`${dayBefore(today)}T${hhmm.trim()}`);
}
