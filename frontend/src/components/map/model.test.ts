import { describe, expect, it } from "vitest";

import { countStates, markerColour, markerState, STATE_COLOURS } from "./model";

type Status = "recording" | "connecting" | "offline" | "disabled";
const cam = (status: Status, below_legal_minima = false) => ({ status, below_legal_minima });

describe("marker state and colour", () => {
  it("tells recording, below the legal minima, connecting, offline and disabled apart", () => {
    expect(markerState(cam("recording"))).toBe("recording");
    expect(markerState(cam("recording", true))).toBe("minima");
    expect(markerState(cam("connecting"))).toBe("connecting");
    expect(markerState(cam("offline"))).toBe("offline");
    expect(markerState(cam("disabled"))).toBe("disabled");
    // Offline outranks the minima: a camera that sends nothing is not "below" anything.
    expect(markerState(cam("offline", true))).toBe("offline");
  });

  it("gives each state its own colour: green, orange, blue, red, grey", () => {
    expect(markerColour(cam("recording"))).toBe("#3fb950");
    expect(markerColour(cam("recording", true))).toBe("#f0883e");
    expect(markerColour(cam("connecting"))).toBe("#4ea1ff");
    expect(markerColour(cam("offline"))).toBe("#f85149");
    expect(markerColour(cam("disabled"))).toBe("#8b949e");
    expect(new Set(Object.values(STATE_COLOURS)).size).toBe(5);
  });

  it("an unknown status (a newer server) is shown as offline, not as recording", () => {
    expect(markerState({ status: "paused" as Status, below_legal_minima: false })).toBe("offline");
  });

  it("counts the states for the legend", () => {
    const counts = countStates([cam("recording"), cam("recording"), cam("recording", true), cam("offline")]);
    expect(counts).toEqual({ recording: 2, minima: 1, connecting: 0, offline: 1, disabled: 0 });
  });
});
