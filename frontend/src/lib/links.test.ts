import { describe, expect, it } from "vitest";

import { hashForPath } from "./links";

describe("signed incident links", () => {
  it("become the incident's hash route, token kept", () => {
    expect(hashForPath("/incidents/42", "?link=abc-_DEF")).toBe("#/incidents/42?link=abc-_DEF");
    expect(hashForPath("/incidents/7/", "")).toBe("#/incidents/7");
  });

  it("leave other paths alone", () => {
    expect(hashForPath("/", "")).toBeNull();
    expect(hashForPath("/incidents/x", "")).toBeNull();
  });
});
