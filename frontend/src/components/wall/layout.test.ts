import { describe, expect, it } from "vitest";

import { testCamera } from "../../lib/test-camera";
import {
  emptyWall,
  firstWall,
  gridFor,
  loadWall,
  onlyKnown,
  saveWall,
  storedWall,
  visibleCameras,
  type WallState,
  wallReducer,
} from "./layout";

function wall(grid: 1 | 4 | 9 | 16, cameras: (string | null)[]): WallState {
  return wallReducer(emptyWall(), { type: "load", grid, cameras });
}

describe("wall reducer", () => {
  it("assigns a camera dropped on a tile, swapping if it was already on the wall", () => {
    let s = wall(4, ["a", "b", null, "d"]);
    s = wallReducer(s, { type: "assign", tile: 2, camera: "x" });
    expect(visibleCameras(s)).toEqual(["a", "b", "x", "d"]);
    s = wallReducer(s, { type: "assign", tile: 0, camera: "d" });
    expect(visibleCameras(s)).toEqual(["d", "b", "x", "a"]);
    expect(wallReducer(s, { type: "assign", tile: 4, camera: "z" })).toBe(s); // not on a 4-grid
  });

  it("fills the selected tile on a click and moves the selection on", () => {
    let s = wallReducer(wall(4, []), { type: "select", tile: 1 });
    s = wallReducer(s, { type: "place", camera: "a" });
    expect(s.selected).toBe(2);
    s = wallReducer(s, { type: "place", camera: "b" });
    s = wallReducer(s, { type: "place", camera: "c" });
    expect(visibleCameras(s)).toEqual([null, "a", "b", "c"]);
    expect(s.selected).toBeNull(); // past the last tile
    // Without a selection: the first empty tile; a camera already shown stays where it is.
    s = wallReducer(s, { type: "place", camera: "d" });
    expect(visibleCameras(s)).toEqual(["d", "a", "b", "c"]);
    expect(wallReducer(s, { type: "place", camera: "a" })).toBe(s);
    expect(wallReducer(s, { type: "place", camera: "e" })).toBe(s); // full: nothing moves
  });

  it("selecting the selected tile again unselects it", () => {
    const s = wallReducer(wall(4, []), { type: "select", tile: 3 });
    expect(s.selected).toBe(3);
    expect(wallReducer(s, { type: "select", tile: 3 }).selected).toBeNull();
    expect(wallReducer(s, { type: "select", tile: 9 }).selected).toBeNull();
  });

  it("swaps two tiles dragged onto each other", () => {
    const s = wallReducer(wall(4, ["a", null, "c"]), { type: "move", from: 0, to: 1 });
    expect(visibleCameras(s)).toEqual([null, "a", "c", null]);
  });

  it("keeps the hidden tiles when the grid shrinks, and shows them again", () => {
    let s = wall(16, ["a", "b", "c", "d", "e", "f"]);
    s = wallReducer(s, { type: "grid", grid: 4 });
    expect(visibleCameras(s)).toEqual(["a", "b", "c", "d"]);
    s = wallReducer(s, { type: "grid", grid: 9 });
    expect(visibleCameras(s).slice(0, 7)).toEqual(["a", "b", "c", "d", "e", "f", null]);
  });

  it("fills the wall with a commune's cameras on the smallest grid that shows them", () => {
    expect(gridFor(1)).toBe(1);
    expect(gridFor(5)).toBe(9);
    expect(gridFor(40)).toBe(16);
    const s = wallReducer(wall(16, ["z"]), { type: "fill", cameras: ["a", "b", "a", "c", "d", "e"] });
    expect(s.grid).toBe(9);
    expect(visibleCameras(s)).toEqual(["a", "b", "c", "d", "e", null, null, null, null]);
    expect(s.tiles.slice(9)).toEqual(Array(7).fill(null)); // the old hidden "z" is gone
    expect(wallReducer(s, { type: "fill", cameras: [] })).toBe(s);
  });

  it("opens a camera full screen, never an empty tile; clearing it closes full screen", () => {
    let s = wallReducer(wall(4, ["a", null]), { type: "full", tile: 1 });
    expect(s.full).toBeNull();
    s = wallReducer(s, { type: "full", tile: 0 });
    expect(s.full).toBe(0);
    expect(wallReducer(s, { type: "clear", tile: 0 })).toMatchObject({ full: null });
    expect(wallReducer(s, { type: "grid", grid: 1 }).full).toBeNull();
  });

  it("loads a saved layout as it was", () => {
    const s = wall(9, ["a", null, "c", "d", "e", "f", "g", "h", "i", "j"]);
    expect(s.grid).toBe(9);
    expect(visibleCameras(s)).toEqual(["a", null, "c", "d", "e", "f", "g", "h", "i"]);
    expect(s.tiles).toHaveLength(16);
  });

  it("drops the cameras the user does not see", () => {
    const s = wall(4, ["a", "b", "c"]);
    expect(visibleCameras(onlyKnown(s, new Set(["a", "c"])))).toEqual(["a", null, "c", null]);
    expect(onlyKnown(s, new Set(["a", "b", "c"]))).toBe(s);
  });
});

describe("wall persistence", () => {
  it("survives a reload, per user", () => {
    const s = wall(9, ["a", "b"]);
    saveWall(localStorage, "agent.mur", s);
    expect(loadWall(localStorage, "agent.mur")).toEqual({ ...s, selected: null, full: null });
    expect(loadWall(localStorage, "someone.else")).toEqual(emptyWall());
  });

  it("ignores what it cannot read", () => {
    for (const raw of ["{", "null", '{"grid": 5, "tiles": []}', '{"grid": 4, "tiles": "a"}']) {
      localStorage.setItem("beffroi.wall.u", raw);
      expect(loadWall(localStorage, "u")).toEqual(emptyWall());
    }
    localStorage.setItem("beffroi.wall.u", JSON.stringify({ grid: 4, tiles: ["a", 3, "", null] }));
    expect(visibleCameras(loadWall(localStorage, "u"))).toEqual(["a", null, null, null]);
  });
});

describe("a first wall", () => {
  const cam = (id: string, commune_name: string, over = {}) => testCamera({ id, name: id, commune: commune_name, commune_name, ...over });

  it("is known by nothing remembered for the user", () => {
    localStorage.clear();
    expect(storedWall(localStorage, "nouvel.agent")).toBeNull();
    saveWall(localStorage, "nouvel.agent", emptyWall());
    expect(storedWall(localStorage, "nouvel.agent")).toEqual(emptyWall()); // emptied on purpose: stays empty
  });

  it("shows the scope's cameras in the side panel's order, recording ones first, as many as four tiles hold", () => {
    const cameras = [
      cam("jlt-2", "Joué-lès-Tours"),
      cam("bmi-1", "Ballan-Miré", { status: "offline" }),
      cam("jlt-1", "Joué-lès-Tours"),
      cam("cha-1", "Chambray-lès-Tours", { status: "disabled" }),
      cam("bmi-2", "Ballan-Miré"),
      cam("sav-1", "Savonnières"),
      cam("sta-1", "Saint-Avertin", { status: "connecting" }),
    ];
    const s = firstWall(cameras);
    expect(s.grid).toBe(4);
    expect(visibleCameras(s)).toEqual(["bmi-2", "jlt-1", "jlt-2", "sav-1"]);
    expect(s.tiles).toHaveLength(16);
    expect(visibleCameras(firstWall(cameras, 9))).toEqual(["bmi-2", "jlt-1", "jlt-2", "sav-1", "bmi-1", "sta-1", null, null, null]);
  });

  it("fits the grid to a small scope, and is empty without a camera", () => {
    expect(firstWall([cam("jlt-1", "Joué")]).grid).toBe(1);
    expect(visibleCameras(firstWall([cam("jlt-1", "Joué"), cam("jlt-2", "Joué")]))).toEqual(["jlt-1", "jlt-2", null, null]);
    expect(firstWall([])).toEqual(emptyWall());
    expect(firstWall([cam("x", "Joué", { status: "disabled" })])).toEqual(emptyWall());
  });
});
