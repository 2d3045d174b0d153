import { describe, expect, it } from "vitest";

import type { AccessRequestOut } from "../../lib/access";
import { accessError, pendingText, reasonText } from "./access-model";

const request: AccessRequestOut = {
  id: 7,
  username: "agent.durand",
  role: "operator",
  communes: ["joue-les-tours"],
  purpose: "invitation",
  requested_by: "admin",
  requested_at: "2026-12-07T09:00:00Z",
  approved_by: null,
  expires_at: "2026-12-14T09:00:00Z",
  two_person: true,
  may_approve: false,
  refusal: "a second person must approve the request",
};

describe("pending requests", () => {
  it("tells the administrator who must approve an invitation", () => {
    expect(pendingText(request, "admin")).toMatch(
      /^Invitation en attente : un superviseur de la commune ou un second administrateur doit l'approuver\./,
    );
    expect(pendingText({ ...request, communes: ["joue-les-tours", "ballan-mire"] }, "admin")).toContain(
      "un superviseur de toutes ses communes",
    );
  });

  it("names only administrators for an administrator's account or a supervisor's request", () => {
    expect(pendingText({ ...request, role: "admin", communes: [] }, "admin")).toContain("un second administrateur doit l'approuver");
    expect(pendingText({ ...request, purpose: "reset" }, "supervisor")).toMatch(
      /^Réinitialisation en attente : un administrateur doit l'approuver/,
    );
  });
});

describe("refusals", () => {
  it("translates the server's reasons and keeps an unknown one", () => {
    expect(reasonText("a second person must approve the request")).toContain("vous avez fait cette demande");
    expect(reasonText("a brand new rule")).toBe("a brand new rule");
  });

  it("reads the {code, message} detail of a refused request", () => {
    const second = { status: 403, detail: { code: "second_person", message: "nobody approves a request for their own account" } };
    expect(accessError(second)).toBe("Personne n'approuve une demande pour son propre compte.");
    const open = { status: 409, detail: { code: "already_open", message: "a request for x is already open" } };
    expect(accessError(open)).toContain("déjà ouverte");
    expect(accessError({ status: 404, detail: "user not found" })).toBe("user not found");
  });
});
