import { describe, expect, it } from "vitest";

import { DAY, HOUR, iso, MINUTE, parisClock, parisDay, parisInputToUtc, parisOffsetMs, recentParisTime, utcToParisInput } from "./paris";

const utc = (text: string) => Date.parse(text);
const T = Date.UTC(2026, 10, 1, 8, 0, 0); // 1 Nov 2026 08:00 UTC = 09:00 Paris

describe("Paris wall time to UTC", () => {
  it("is one hour ahead in winter, two in summer", () => {
    expect(iso(parisInputToUtc("2026-01-15T08:00")!)).toBe("2026-01-15T07:00:00.000Z");
    expect(iso(parisInputToUtc("2026-07-14T08:00:30")!)).toBe("2026-07-14T06:00:30.000Z");
    expect(parisOffsetMs(utc("2026-01-15T12:00:00Z"))).toBe(3_600_000);
    expect(parisOffsetMs(utc("2026-07-15T12:00:00Z"))).toBe(7_200_000);
  });

  it("takes the first of the hour that happens twice in October", () => {
    // 25 October 2026, 03:00 CEST → 02:00 CET: 02:30 happens at 00:30Z and at 01:30Z.
    expect(iso(parisInputToUtc("2026-10-25T02:30")!)).toBe("2026-10-25T00:30:00.000Z");
    expect(iso(parisInputToUtc("2026-10-25T03:30")!)).toBe("2026-10-25T02:30:00.000Z");
  });

  it("moves an hour that does not exist in March forward", () => {
    // 29 March 2026, 02:00 CET → 03:00 CEST: 02:30 never shows on a Paris clock.
    const t = parisInputToUtc("2026-03-29T02:30")!;
    expect(iso(t)).toBe("2026-03-29T01:30:00.000Z");
    expect(utcToParisInput(t, false)).toBe("2026-03-29T03:30");
    expect(iso(parisInputToUtc("2026-03-29T01:59")!)).toBe("2026-03-29T00:59:00.000Z");
  });

  it("refuses what is not a date and time", () => {
    expect(parisInputToUtc("")).toBeNull();
    expect(parisInputToUtc("2026-02-30T10:00")).toBeNull();
    expect(parisInputToUtc("2026-01-01T24:00")).toBeNull();
    expect(parisInputToUtc("26/01/2026 10:00")).toBeNull();
    expect(parisInputToUtc("0050-01-01T10:00")).toBeNull();
  });

  it("keeps the milliseconds a precise input gives", () => {
    expect(iso(parisInputToUtc("2026-07-14T08:00:30.25")!)).toBe("2026-07-14T06:00:30.250Z");
  });

  it("round-trips through the input's format", () => {
    for (const text of ["2026-01-01T00:00:00Z", "2026-03-29T01:00:00Z", "2026-10-25T00:59:59Z", "2026-12-31T23:30:00Z"]) {
      const local = utcToParisInput(utc(text));
      expect(parisInputToUtc(local)).toBe(utc(text));
    }
    expect(utcToParisInput(utc("2026-12-31T23:30:00Z"))).toBe("2027-01-01T00:30:00");
  });
});

describe("the time the police were called", () => {
  it("is today when already past", () => {
    const now = utc("2026-06-10T20:00:00Z"); // 22:00 in Paris
    expect(iso(recentParisTime("21:45", now)!)).toBe("2026-06-10T19:45:00.000Z");
  });

  it("is yesterday when the hour is still to come today", () => {
    const now = utc("2026-06-10T22:10:00Z"); // 00:10 on 11 June in Paris
    expect(iso(recentParisTime("23:50", now)!)).toBe("2026-06-10T21:50:00.000Z");
  });

  it("accepts a clock a few minutes ahead, and refuses malformed times", () => {
    const now = utc("2026-01-10T10:00:00Z"); // 11:00 in Paris
    expect(iso(recentParisTime("11:03", now)!)).toBe("2026-01-10T10:03:00.000Z");
    expect(recentParisTime("25:00", now)).toBeNull();
    expect(recentParisTime("9h30", now)).toBeNull();
  });
});

describe("Paris time", () => {
  it("reads a typed Paris date-time as UTC, in winter and in summer", () => {
    expect(parisInputToUtc("2026-11-01T09:00")).toBe(T);
    expect(parisInputToUtc("2026-07-14T12:30:15")).toBe(Date.UTC(2026, 6, 14, 10, 30, 15));
    expect(utcToParisInput(T)).toBe("2026-11-01T09:00:00");
    expect(utcToParisInput(Date.UTC(2026, 6, 14, 10, 30, 15, 900))).toBe("2026-07-14T12:30:15");
    expect(parisInputToUtc("2026-02-30T10:00")).toBeNull();
    expect(parisInputToUtc("2026-11-01T24:00")).toBeNull();
    expect(parisInputToUtc("hier")).toBeNull();
  });

  it("handles the daylight-saving changes", () => {
    // 29 March 2026: 02:00 Paris becomes 03:00 (01:00 UTC).
    expect(parisOffsetMs(Date.UTC(2026, 2, 29, 0, 59))).toBe(HOUR);
    expect(parisOffsetMs(Date.UTC(2026, 2, 29, 1, 0))).toBe(2 * HOUR);
    expect(parisInputToUtc("2026-03-29T01:59:59")).toBe(Date.UTC(2026, 2, 29, 0, 59, 59));
    expect(parisInputToUtc("2026-03-29T03:00")).toBe(Date.UTC(2026, 2, 29, 1, 0));
    // 02:30 does not exist that night: it is read as 03:30 summer time.
    expect(parisInputToUtc("2026-03-29T02:30")).toBe(Date.UTC(2026, 2, 29, 1, 30));
    // 25 October 2026: 03:00 Paris goes back to 02:00; 02:30 happens twice, the first is kept.
    expect(parisInputToUtc("2026-10-25T02:30")).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(parisInputToUtc("2026-10-25T03:30")).toBe(Date.UTC(2026, 9, 25, 2, 30));
    expect(parisInputToUtc("2026-10-25T01:30")).toBe(Date.UTC(2026, 9, 24, 23, 30));
    // Both 02:30 instants read back as 02:30.
    expect(parisClock(Date.UTC(2026, 9, 25, 0, 30))).toBe("02:30:00");
    expect(parisClock(Date.UTC(2026, 9, 25, 1, 30))).toBe("02:30:00");
  });
});

describe("Paris clock and day labels", () => {
  it("reads the wall clock and the date, summer and winter", () => {
    expect(parisClock(T)).toBe("09:00:00");
    expect(parisClock(T, false)).toBe("09:00");
    expect(parisDay(T)).toBe("01/11");
    expect(parisClock(Date.UTC(2026, 6, 14, 22, 30))).toBe("00:30:00");
    expect(parisDay(Date.UTC(2026, 6, 14, 22, 30))).toBe("15/07");
    expect(`${parisDay(T - DAY)} ${parisClock(T + 30 * MINUTE, false)}`).toBe("31/10 09:30");
  });
});
