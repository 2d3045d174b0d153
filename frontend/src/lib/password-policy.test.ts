import { describe, expect, it } from "vitest";

import { confirmationProblem, policyMessage } from "./password-policy";

describe("policyMessage", () => {
  it("tells the policy's refusals in French and leaves unknown codes to the server", () => {
    expect(policyMessage("too_short")).toContain("12 caractères");
    expect(policyMessage("contains_username")).toContain("identifiant");
    expect(policyMessage("something_new")).toBeNull();
  });
});

describe("confirmationProblem", () => {
  it("accepts two equal entries and explains two different ones", () => {
    expect(confirmationProblem("Vigie-Centre-Ville-2026!", "Vigie-Centre-Ville-2026!")).toBeNull();
    expect(confirmationProblem("Vigie-Centre-Ville-2026!", "Vigie-Centre-Ville-2026?")).toContain("diffèrent");
  });
});
