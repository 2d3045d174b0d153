import { describe, expect, it } from "vitest";

import { lang } from "../../lib/i18n";
import { daysUntil, expiryLevel, formatBitrate, formatBytes, parisToday, refusal } from "./model";

// 2026-11-30 23:30 UTC is already 1 December in Paris (UTC+1 in winter).
const LATE = Date.parse("2026-11-30T23:30:00Z");

describe("dates of the agent record", () => {
  it("counts days from Paris's today, not UTC's", () => {
    expect(parisToday(LATE)).toBe("2026-12-01");
    expect(daysUntil("2026-12-01", LATE)).toBe(0);
    expect(daysUntil("2026-12-31", LATE)).toBe(30);
    expect(daysUntil("2026-11-30", LATE)).toBe(-1);
  });

  it("warns within 30 days and flags what has ended", () => {
    expect(expiryLevel("2026-12-31", LATE)).toBe("warn");
    expect(expiryLevel("2027-01-01", LATE)).toBe("ok");
    expect(expiryLevel("2026-12-01", LATE)).toBe("warn"); // the last valid day is today
    expect(expiryLevel("2026-11-30", LATE)).toBe("bad");
    expect(expiryLevel(null, LATE)).toBe("");
  });
});

describe("sizes and rates", () => {
  it("writes bytes in binary units, in French by default", () => {
    lang.value = "fr";
    expect(formatBytes(512)).toBe("512 o");
    expect(formatBytes(1536)).toBe("1,5 Kio");
    expect(formatBytes(3 * 1024 ** 4)).toBe("3 Tio");
    expect(formatBytes(null)).toBe("—");
    lang.value = "en";
    expect(formatBytes(1536)).toBe("1.5 KiB");
    lang.value = "fr";
  });

  it("writes bitrates in decimal units", () => {
    expect(formatBitrate(2_000_000)).toBe("2 Mbit/s");
    expect(formatBitrate(850_000)).toBe("850 kbit/s");
    expect(formatBitrate(undefined)).toBe("—");
  });
});

describe("refusal", () => {
  const policy = (code: string) => (code === "too_short" ? "Mot de passe trop court." : null);

  it("tells the password policy's reason in French when it knows the code", () => {
    const e = { status: 422, detail: { code: "too_short", message: "password refused: too short" } };
    expect(refusal(e, policy)).toBe("Mot de passe trop court.");
    const other = { status: 422, detail: { code: "new_rule", message: "password refused: new" } };
    expect(refusal(other, policy)).toBe("password refused: new");
  });

  it("reads a plain detail and FastAPI's validation list", () => {
    expect(refusal({ status: 409, detail: "user 'x' already exists" }, policy)).toBe("user 'x' already exists");
    const list = { status: 422, detail: [{ loc: ["body", "username"], msg: "too short" }] };
    expect(refusal(list, policy)).toBe("username: too short");
  });
});
