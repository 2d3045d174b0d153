import { describe, expect, it } from "vitest";

import { href, parseHash } from "./router";

describe("hash routes", () => {
  it("splits path and query", () => {
    const r = parseHash("#/camera/jlt-001?at=2026-11-26T08%3A00%3A00Z");
    expect(r.path).toEqual(["camera", "jlt-001"]);
    expect(r.params.get("at")).toBe("2026-11-26T08:00:00Z");
  });

  it("reads an empty hash as the home screen", () => {
    expect(parseHash("").path).toEqual([]);
  });

  it("builds links that parse back", () => {
    const link = href("requisitions", { state: "received", year: 2026, empty: "" });
    expect(link).toBe("#/requisitions?state=received&year=2026");
    expect(parseHash(link).params.get("year")).toBe("2026");
  });
});
