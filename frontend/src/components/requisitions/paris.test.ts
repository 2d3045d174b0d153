import { describe, expect, it } from "vitest";

import { isoUtc, parisLocalToUtcMs, parisOffsetMs, recentParisTime, utcToParisLocal } from "./paris";

const utc = (iso: string) => Date.parse(iso);

describe("Paris wall time to UTC", () => {
  it("is one hour ahead in winter, two in summer", () => {
    expect(isoUtc(parisLocalToUtcMs("2026-01-15T08:00")!)).toBe("2026-01-15T07:00:00.000Z");
    expect(isoUtc(parisLocalToUtcMs("2026-07-14T08:00:30")!)).toBe("2026-07-14T06:00:30.000Z");
    expect(parisOffsetMs(utc("2026-01-15T12:00:00Z"))).toBe(3_600_000);
    expect(parisOffsetMs(utc("2026-07-15T12:00:00Z"))).toBe(7_200_000);
  });

  it("takes the first of the hour that happens twice in October", () => {
    // 25 October 2026, 03:00 CEST → 02:00 CET: 02:30 happens at 00:30Z and at 01:30Z.
    expect(isoUtc(parisLocalToUtcMs("2026-10-25T02:30")!)).toBe("2026-10-25T00:30:00.000Z");
    expect(isoUtc(parisLocalToUtcMs("2026-10-25T03:30")!)).toBe("2026-10-25T02:30:00.000Z");
  });

  it("moves an hour that does not exist in March forward", () => {
    // 29 March 2026, 02:00 CET → 03:00 CEST: 02:30 never shows on a Paris clock.
    const t = parisLocalToUtcMs("2026-03-29T02:30")!;
    expect(isoUtc(t)).toBe("2026-03-29T01:30:00.000Z");
    expect(utcToParisLocal(t, false)).toBe("2026-03-29T03:30");
    expect(isoUtc(parisLocalToUtcMs("2026-03-29T01:59")!)).toBe("2026-03-29T00:59:00.000Z");
  });

  it("refuses what is not a date and time", () => {
    expect(parisLocalToUtcMs("")).toBeNull();
    expect(parisLocalToUtcMs("2026-02-30T10:00")).toBeNull();
    expect(parisLocalToUtcMs("2026-01-01T24:00")).toBeNull();
    expect(parisLocalToUtcMs("26/01/2026 10:00")).toBeNull();
  });

  it("round-trips through the input's format", () => {
    for (const iso of ["2026-01-01T00:00:00Z", "2026-03-29T01:00:00Z", "2026-10-25T00:59:59Z", "2026-12-31T23:30:00Z"]) {
      const local = utcToParisLocal(utc(iso));
      expect(parisLocalToUtcMs(local)).toBe(utc(iso));
    }
    expect(utcToParisLocal(utc("2026-12-31T23:30:00Z"))).toBe("2027-01-01T00:30:00");
  });
});

describe("the time the police were called", () => {
  it("is today when already past", () => {
    const now = utc("2026-06-10T20:00:00Z"); // 22:00 in Paris
    expect(isoUtc(recentParisTime("21:45", now)!)).toBe("2026-06-10T19:45:00.000Z");
  });

  it("is yesterday when the hour is still to come today", () => {
    const now = utc("2026-06-10T22:10:00Z"); // 00:10 on 11 June in Paris
    expect(isoUtc(recentParisTime("23:50", now)!)).toBe("2026-06-10T21:50:00.000Z");
  });

  it("accepts a clock a few minutes ahead, and refuses malformed times", () => {
    const now = utc("2026-01-10T10:00:00Z"); // 11:00 in Paris
    expect(isoUtc(recentParisTime("11:03", now)!)).toBe("2026-01-10T10:03:00.000Z");
    expect(recentParisTime("25:00", now)).toBeNull();
    expect(recentParisTime("9h30", now)).toBeNull();
  });
});
