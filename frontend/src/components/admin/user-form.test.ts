import { describe, expect, it } from "vitest";

import type { UserOut } from "./model";
import { userBody } from "./user-form";

const draft = {
  username: " agent.durand ",
  role: "operator",
  full_name: "Claire Durand",
  service: "",
  communes: ["joue-les-tours", "ballan-mire"],
  cameras: ["jlt-001"],
  is_police: false,
  approval_ref: "PREF-37-2026-118",
  approval_expires: "2027-06-30",
  training_date: "",
  account_expires: "",
};

const before: UserOut = {
  username: "agent.durand",
  role: "operator",
  communes: ["ballan-mire", "joue-les-tours"],
  cameras: [],
  full_name: "Claire Durand",
  service: null,
  is_police: false,
  approval_ref: "PREF-37-2026-118",
  approval_expires: "2027-06-30",
  training_date: null,
  account_expires: null,
  disabled: false,
  locked: false,
  locked_until: null,
  totp: true,
  password_set: true,
  last_login: null,
};

describe("userBody", () => {
  it("sends everything but a password for a creation, empty fields as null, cameras only for patrol", () => {
    expect(userBody(draft, null)).toEqual({
      username: "agent.durand",
      role: "operator",
      communes: ["ballan-mire", "joue-les-tours"],
      cameras: [],
      is_police: false,
      full_name: "Claire Durand",
      service: null,
      approval_ref: "PREF-37-2026-118",
      approval_expires: "2027-06-30",
      training_date: null,
      account_expires: null,
    });
  });

  it("sends only what changed for an edit (the order of communes is no change)", () => {
    expect(userBody(draft, before)).toEqual({});
    const changed = { ...draft, role: "patrol", approval_expires: "2028-01-31", full_name: "" };
    expect(userBody(changed, before)).toEqual({
      role: "patrol",
      cameras: ["jlt-001"],
      approval_expires: "2028-01-31",
      full_name: null,
    });
  });
});
