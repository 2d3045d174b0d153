import { describe, expect, it } from "vitest";

import { badges, type Camera, groupCameras, sinceText } from "./cameras";
import { testCamera } from "./test-camera";

function cam(id: string, commune: string, district: string | null, extra: Partial<Camera> = {}): Camera {
  const communeName = { jlt: "Joué-lès-Tours", bmi: "Ballan-Miré", cha: "Chambray-lès-Tours" }[commune] ?? commune;
  return testCamera({ id, name: `Caméra ${id}`, commune, commune_name: communeName, district, fps: 15, ...extra });
}

describe("side panel groups", () => {
  it("groups by commune then district, by name, cameras without district last", () => {
    const groups = groupCameras([
      cam("jlt-2", "jlt", "Centre"),
      cam("bmi-1", "bmi", "La Gare"),
      cam("jlt-1", "jlt", null),
      cam("jlt-3", "jlt", "Bretonnières"),
      cam("jlt-4", "jlt", "Centre"),
    ]);
    expect(groups.map((g) => g.name)).toEqual(["Ballan-Miré", "Joué-lès-Tours"]);
    const jlt = groups[1];
    expect(jlt.districts.map((d) => d.label)).toEqual(["Bretonnières", "Centre", "Sans quartier"]);
    expect(jlt.districts[1].cameras.map((c) => c.id)).toEqual(["jlt-2", "jlt-4"]);
    expect(jlt.cameras.map((c) => c.id)).toEqual(["jlt-1", "jlt-2", "jlt-3", "jlt-4"]);
  });
});

describe("status badges", () => {
  const now = new Date("2026-11-26T15:00:00Z");

  it("says recording, connecting, disabled", () => {
    expect(badges(cam("a", "jlt", null), now)).toEqual([{ kind: "ok", text: "enregistrement" }]);
    expect(badges(cam("a", "jlt", null, { status: "connecting" }), now)[0].kind).toBe("warn");
    expect(badges(cam("a", "jlt", null, { status: "disabled" }), now)[0].text).toBe("désactivée");
  });

  it("says since when and why a camera is offline, in Paris time", () => {
    const off = cam("a", "jlt", null, { status: "offline", reason: "unreachable", since: "2026-11-26T13:05:00Z" });
    expect(badges(off, now)).toEqual([{ kind: "bad", text: "hors ligne depuis 14:05 (injoignable)" }]);
    expect(sinceText("2026-11-24T13:05:00Z", now)).toBe("le 24/11 à 14:05");
    const unknown = cam("a", "jlt", null, { status: "offline", since: "1970-01-01T00:00:00Z" });
    expect(badges(unknown, now)[0].text).toBe("hors ligne");
  });

  it("adds a badge when below the legal minima", () => {
    const low = badges(cam("a", "jlt", null, { below_legal_minima: true }), now);
    expect(low.map((b) => b.text)).toEqual(["enregistrement", "sous les minima légaux"]);
  });
});
