import { describe, expect, it } from "vitest";

import { journalQuery } from "./journal";

describe("journalQuery", () => {
  it("reads the period in Paris time and sends UTC instants", () => {
    const q = journalQuery({ user: " dpo ", camera: "", action: "auth.*", start: "2026-11-01 08:00", end: "2026-07-01T08:00" });
    expect(q).toEqual({ user: "dpo", camera: "", action: "auth.*", start: "2026-11-01T07:00:00.000Z", end: "2026-07-01T06:00:00.000Z" });
  });

  it("refuses a time it cannot read rather than dropping the filter", () => {
    expect(journalQuery({ user: "", camera: "", action: "", start: "hier", end: "" })).toBeNull();
  });
});
