import { describe, expect, it } from "vitest";

import { stepIndex } from "./patrol";

describe("patrol navigation", () => {
  it("goes round the list both ways", () => {
    expect(stepIndex(0, 1, 3)).toBe(1);
    expect(stepIndex(2, 1, 3)).toBe(0);
    expect(stepIndex(0, -1, 3)).toBe(2);
    expect(stepIndex(0, 1, 0)).toBe(0);
  });
});
