import { describe, expect, it } from "vitest";

import { ApiError } from "./api";
import { accessCodeMessage, passwordChangeMessage, refusalMessage, sessionEnded } from "./auth";
import { lang } from "./i18n";

describe("sign-in refusals", () => {
  it("says why in French", () => {
    lang.value = "fr";
    expect(refusalMessage(new ApiError(401, "invalid credentials"))).toBe("Identifiant ou mot de passe incorrect.");
    expect(refusalMessage(new ApiError(429, "too_many_attempts", 120))).toContain("2 min");
    expect(refusalMessage(new TypeError("fetch failed"))).toBe("Serveur injoignable.");
  });
});

describe("access codes", () => {
  it("tells an unknown code and a password the policy refuses", () => {
    expect(accessCodeMessage(new ApiError(404, "invalid_code"))).toContain("Code d'accès inconnu");
    const weak = new ApiError(422, { code: "too_short", message: "password refused: too short" });
    expect(accessCodeMessage(weak)).toBe("Mot de passe trop court : 12 caractères au moins.");
    const unknown = new ApiError(422, { code: "new_rule", message: "password refused: new rule" });
    expect(accessCodeMessage(unknown)).toBe("password refused: new rule");
  });
});

describe("password change", () => {
  it("keeps a missing or wrong code a form error", () => {
    expect(passwordChangeMessage(new ApiError(401, "totp_required"))).toContain("code de votre application");
    expect(passwordChangeMessage(new ApiError(401, "totp_invalid"))).toContain("Code incorrect");
    expect(sessionEnded(new ApiError(401, "totp_required"))).toBe(false);
    expect(sessionEnded(new ApiError(401, "totp_invalid"))).toBe(false);
    expect(sessionEnded(new ApiError(403, "wrong_password"))).toBe(false);
  });

  it("tells the current password, a reused one and the policy apart", () => {
    expect(passwordChangeMessage(new ApiError(403, "wrong_password"))).toBe("Mot de passe actuel incorrect.");
    expect(passwordChangeMessage(new ApiError(422, "same_password"))).toContain("différer");
    const common = new ApiError(422, { code: "common", message: "password refused: common" });
    expect(passwordChangeMessage(common)).toContain("mots de passe courants");
  });

  it("says when the session itself is gone", () => {
    const gone = new ApiError(401, "session expired or invalid: log in again");
    expect(sessionEnded(gone)).toBe(true);
    expect(passwordChangeMessage(gone)).toContain("reconnectez-vous");
  });
});
