import { describe, expect, it } from "vitest";

import { sessionLost } from "./api";

describe("session loss", () => {
  it("takes a 401 of an ordinary route for a lost session", () => {
    expect(sessionLost(401, "/api/cameras")).toBe(true);
    expect(sessionLost(403, "/api/cameras")).toBe(false);
  });

  it("leaves the answers of sign-in and password forms to the form", () => {
    // POST /api/auth/password answers 401 totp_required / totp_invalid: a form error.
    expect(sessionLost(401, "/api/auth/password")).toBe(false);
    expect(sessionLost(401, "/api/auth/login")).toBe(false);
    expect(sessionLost(401, "/api/auth/access-code/redeem")).toBe(false);
  });
});
