import { describe, expect, it } from "vitest";

import { codeFromRoute } from "./access";
import { parseHash } from "./router";

describe("access-code links", () => {
  it("reads the code of an #/access link", () => {
    expect(codeFromRoute(parseHash("#/access?code=ABCD-EFGH-2345"))).toBe("ABCD-EFGH-2345");
    expect(codeFromRoute(parseHash("#/access?code=%20abcd%20efgh%20"))).toBe("abcd efgh");
  });

  it("opens the code form empty without a code, and not at all elsewhere", () => {
    expect(codeFromRoute(parseHash("#/access"))).toBe("");
    expect(codeFromRoute(parseHash("#/wall?code=ABCD"))).toBeNull();
    expect(codeFromRoute(parseHash(""))).toBeNull();
  });
});
