import { afterEach, describe, expect, it } from "vitest";

import { lang } from "../../lib/i18n";
import { checkDraft, coverage, type Draft, footageMessages, label, serverProblems, stateBadge } from "./model";

const NOW = Date.parse("2026-06-10T08:00:00Z"); // 10:00 in Paris

function draft(over: Partial<Draft> = {}): Draft {
  return {
    authorityName: "Lt Martin",
    authorityRank: "OPJ",
    authorityService: "Commissariat de Tours",
    authorityUnit: "",
    legalBasis: "60-1",
    legalBasisOther: "",
    procedure: "2026/123",
    receivedAt: "2026-06-10T09:55",
    notes: "",
    assignedTo: "",
    items: [{ camera: "jlt-001", start: "2026-06-10T09:40:00", end: "2026-06-10T09:42:00" }],
    ...over,
  };
}

afterEach(() => {
  lang.value = "fr";
});

describe("the new requisition form", () => {
  it("sends Paris times as UTC instants and leaves empty optionals out", () => {
    const { problems, body } = checkDraft(draft({ assignedTo: "enq.a, enq.b" }), NOW);
    expect(problems).toEqual({});
    expect(body).toMatchObject({
      authority: { name: "Lt Martin", rank: "OPJ", service: "Commissariat de Tours", unit: null },
      legal_basis: "60-1",
      legal_basis_other: null,
      received_at: "2026-06-10T07:55:00.000Z",
      items: [{ camera: "jlt-001", start: "2026-06-10T07:40:00.000Z", end: "2026-06-10T07:42:00.000Z" }],
      notes: null,
      assigned_to: ["enq.a", "enq.b"],
    });
  });

  it("names every field that the server would refuse", () => {
    const { problems, body } = checkDraft(
      draft({
        authorityName: " ",
        legalBasis: "other",
        receivedAt: "2026-06-10T10:30", // 30 min ahead of the clock
        items: [
          { camera: "", start: "2026-06-10T09:42", end: "2026-06-10T09:40" },
          { camera: "jlt-002", start: "2026-05-01T00:00", end: "2026-06-10T00:00" },
          { camera: "jlt-003", start: "nope", end: "2026-06-10T00:00" },
        ],
      }),
      NOW,
    );
    expect(body).toBeNull();
    expect(problems).toEqual({
      authorityName: "required",
      legalBasisOther: "required",
      receivedAt: "future",
      "items.0.camera": "required",
      "items.0.end": "end_before_start",
      "items.1.end": "too_long",
      "items.2.start": "bad_time",
    });
  });

  it("needs at least one camera", () => {
    expect(checkDraft(draft({ items: [] }), NOW).problems).toEqual({ items: "no_items" });
  });

  it("places the server's refusals next to their fields", () => {
    expect(
      serverProblems([
        { loc: ["body", "items", 1, "end"], msg: "range too long" },
        { loc: ["body", "authority", "name"], msg: "too short" },
        { loc: ["body"], msg: "legal_basis_other is required" },
      ]),
    ).toEqual({ "items.1.end": "range too long", authorityName: "too short", form: "legal_basis_other is required" });
    expect(serverProblems("assigned_to: unknown user 'x'")).toEqual({});
  });
});

describe("states", () => {
  it("shows open requisitions as waiting and closings by outcome", () => {
    expect(stateBadge("received")).toBe("warn");
    expect(stateBadge("extracting")).toBe("warn");
    expect(stateBadge("delivered")).toBe("ok");
    expect(stateBadge("refused")).toBe("bad");
    expect(stateBadge("no_footage")).toBe("");
  });

  it("names states in French first, unknown ones as they are", () => {
    expect(label("no_footage")).toBe("sans images");
    expect(label("77-1-1")).toContain("préliminaire");
    expect(label("archived")).toBe("archived");
    lang.value = "en";
    expect(label("delivered")).toBe("delivered");
  });
});

describe("footage in words", () => {
  const item = {
    camera: "jlt-001",
    start: "2026-06-10T07:40:00Z",
    end: "2026-06-10T07:42:00Z",
    footage: { recorded_seconds: 60, ranges: [], gaps: [], destroyed: [], messages: [] },
  };

  it("says when nothing was recorded, in Paris time", () => {
    const [msg] = footageMessages(item);
    expect(msg).toContain("Aucun enregistrement de jlt-001");
    expect(msg).toContain("09:40:00");
  });

  it("says what retention destroyed", () => {
    const destroyed = [
      {
        start: "2026-06-10T07:40:00Z",
        end: "2026-06-10T07:41:00Z",
        seconds: 60,
        reason: "retention",
        destroyed_at: "2026-06-11T00:00:00Z",
      },
    ];
    const range = { start: "2026-06-10T07:41:00Z", end: "2026-06-10T07:42:00Z", seconds: 60 };
    const msgs = footageMessages({ ...item, footage: { ...item.footage, ranges: [range], destroyed } });
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toContain("détruites par la durée de conservation");
    expect(coverage({ ...item, footage: { ...item.footage, ranges: [range] } })).toBe(0.5);
  });
});
