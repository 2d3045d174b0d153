import { afterEach, describe, expect, it } from "vitest";

import { lang } from "../../lib/i18n";
import { arrivals, checkClose, type Incident, type IncidentDetail, mediaPending, stateBadge, timeline, word } from "./model";

const NOW = Date.parse("2026-11-26T22:30:00Z"); // 23:30 in Paris (winter)

function incident(over: Partial<IncidentDetail> = {}): IncidentDetail {
  return {
    id: 7,
    state: "new",
    kind: "intrusion",
    commune: "joue-les-tours",
    building: "gymnase-jean-bigot",
    building_name: "Gymnase Jean Bigot",
    zone: 1,
    zone_name: "Hall",
    cameras: ["jlt-003"],
    opened_at: "2026-11-26T22:00:00Z",
    last_alarm_at: "2026-11-26T22:00:00Z",
    alarms: 1,
    acknowledged_at: null,
    acknowledged_by: null,
    closed_at: null,
    closed_by: null,
    disposition: null,
    police_called_at: null,
    notes: null,
    procedure: [],
    alarm_list: [],
    history: [{ at: "2026-11-26T22:00:00.100Z", action: "opened", by: "system", detail: null }],
    fault: null,
    media: [],
    ...over,
  };
}

afterEach(() => {
  lang.value = "fr";
});

describe("labels and badges", () => {
  it("names states, kinds and dispositions in French first", () => {
    expect(word("acknowledged")).toBe("pris en charge");
    expect(word("camera_offline")).toBe("Caméra hors service");
    expect(word("false_alarm")).toBe("Fausse alarme");
    expect(word("pending")).toBe("en préparation");
    expect(word("some_new_kind")).toBe("some_new_kind");
    expect(word(null)).toBe("—");
    lang.value = "en";
    expect(word("acknowledged")).toBe("acknowledged");
  });

  it("makes what nobody took in charge stand out", () => {
    expect(stateBadge("new")).toBe("bad");
    expect(stateBadge("notified")).toBe("warn");
    expect(stateBadge("acknowledged")).toBe("info");
    expect(stateBadge("closed")).toBe("ok");
  });
});

describe("the state timeline", () => {
  it("says who and when for each step reached", () => {
    const steps = timeline(
      incident({
        state: "closed",
        history: [
          { at: "2026-11-26T22:00:00Z", action: "opened", by: "system", detail: null },
          { at: "2026-11-26T22:00:01Z", action: "notified", by: "system", detail: { to: "astreinte.a", channel: "email", step: 0 } },
          { at: "2026-11-26T22:03:00Z", action: "acknowledged", by: "astreinte.a", detail: null },
          { at: "2026-11-26T22:09:00Z", action: "closed", by: "astreinte.a", detail: null },
        ],
        acknowledged_at: "2026-11-26T22:03:00Z",
        acknowledged_by: "astreinte.a",
        closed_at: "2026-11-26T22:09:00Z",
        closed_by: "astreinte.a",
      }),
    );
    expect(steps.map((s) => [s.state, s.by])).toEqual([
      ["new", "system"],
      ["notified", "astreinte.a"],
      ["acknowledged", "astreinte.a"],
      ["closed", "astreinte.a"],
    ]);
    expect(steps[1].at).toBe("2026-11-26T22:00:01Z");
  });

  it("leaves the steps not reached empty", () => {
    const steps = timeline(incident({ state: "acknowledged", acknowledged_at: "2026-11-26T22:01:00Z", acknowledged_by: "agent.mur" }));
    expect(steps[1]).toEqual({ state: "notified", at: null, by: null });
    expect(steps[2].by).toBe("agent.mur");
    expect(steps[3].at).toBeNull();
  });
});

describe("closing an incident", () => {
  it("sends a false alarm with its notes and no police time", () => {
    expect(checkClose({ disposition: "false_alarm", policeAt: "23:10", notes: " chat dans le hall " }, NOW)).toEqual({
      problem: null,
      body: { disposition: "false_alarm", police_called_at: null, notes: "chat dans le hall" },
    });
  });

  it("needs a disposition", () => {
    expect(checkClose({ disposition: "", policeAt: "", notes: "" }, NOW).problem).toBe("disposition");
  });

  it("needs the time the police were called for a confirmed intrusion, as a Paris time", () => {
    expect(checkClose({ disposition: "confirmed_intrusion", policeAt: "", notes: "" }, NOW).problem).toBe("police_time");
    expect(checkClose({ disposition: "confirmed_intrusion", policeAt: "2310", notes: "" }, NOW).problem).toBe("police_time");
    const { body } = checkClose({ disposition: "confirmed_intrusion", policeAt: "23:10", notes: "" }, NOW);
    expect(body).toEqual({ disposition: "confirmed_intrusion", police_called_at: "2026-11-26T22:10:00.000Z", notes: null });
  });

  it("needs a note for other, and not more than the server keeps", () => {
    expect(checkClose({ disposition: "other", policeAt: "", notes: "  " }, NOW).problem).toBe("notes_needed");
    expect(checkClose({ disposition: "other", policeAt: "", notes: "x".repeat(4001) }, NOW).problem).toBe("notes_too_long");
    expect(checkClose({ disposition: "other", policeAt: "", notes: "essai de la sirène" }, NOW).problem).toBeNull();
  });
});

describe("the list", () => {
  const row = (id: number) => ({ ...incident(), id }) as Incident;

  it("spots incidents that arrived since the last refresh, not those of the first load", () => {
    expect(arrivals(null, [row(3), row(2)])).toEqual([]);
    expect(arrivals(new Set([2, 3]), [row(5), row(4), row(3), row(2)])).toEqual([5, 4]);
    expect(arrivals(new Set([2, 3]), [row(3), row(2)])).toEqual([]);
  });

  it("keeps looking while a clip is being made", () => {
    const clip = {
      part: 0,
      state: "pending",
      requested_start: "",
      requested_end: "",
      start: null,
      end: null,
      frames: null,
      bytes: null,
      sha256: null,
      gaps: [],
      error: null,
      url: null,
    };
    const media = [{ camera: "jlt-003", snapshot: null, clips: [clip], live: null }];
    expect(mediaPending(incident({ media }))).toBe(true);
    expect(mediaPending(incident({ media: [{ ...media[0], clips: [{ ...clip, state: "ready" }] }] }))).toBe(false);
  });
});
