// The wall's state: which camera on which tile, the grid, the selected and the full-screen
// tile. A reducer of plain data, tested alone; the page only dispatches. A user's first
// wall (nothing remembered) shows the cameras of its scope rather than empty tiles.
import { type Camera, groupCameras } from "../../lib/cameras";

export const GRIDS = [1, 4, 9, 16] as const;
export type Grid = (typeof GRIDS)[number];
export const MAX_TILES = 16;

export interface WallState {
  grid: Grid;
  /** Always 16 entries: a smaller grid shows the first ones and keeps the others, so
   * going from 16 to 4 and back loses nothing. */
  tiles: (string | null)[];
  /** The tile a click on a camera fills (keyboard and mouse alike). */
  selected: number | null;
  /** The tile shown full screen. */
  full: number | null;
}

export type WallAction =
  | { type: "grid"; grid: Grid }
  | { type: "assign"; tile: number; camera: string }
  | { type: "place"; camera: string }
  | { type: "move"; from: number; to: number }
  | { type: "clear"; tile: number }
  | { type: "fill"; cameras: string[] }
  | { type: "load"; grid: Grid; cameras: (string | null)[] }
  | { type: "select"; tile: number | null }
  | { type: "full"; tile: number | null };

export function emptyWall(grid: Grid = 4): WallState {
  return { grid, tiles: Array(MAX_TILES).fill(null), selected: null, full: null };
}

export function isGrid(value: unknown): value is Grid {
  return (GRIDS as readonly unknown[]).includes(value);
}

/** The smallest grid that shows `n` tiles (16 at most). */
export function gridFor(n: number): Grid {
  return GRIDS.find((g) => g >= n) ?? 16;
}

function inGrid(state: WallState, tile: number): boolean {
  return Number.isInteger(tile) && tile >= 0 && tile < state.grid;
}

function withTiles(cameras: (string | null)[]): (string | null)[] {
  return [...cameras, ...Array(MAX_TILES).fill(null)].slice(0, MAX_TILES);
}

export function wallReducer(state: WallState, action: WallAction): WallState {
  switch (action.type) {
    case "grid": {
      const selected = state.selected !== null && state.selected < action.grid ? state.selected : null;
      return { ...state, grid: action.grid, selected, full: null };
    }
    case "assign": {
      if (!inGrid(state, action.tile)) return state;
      const tiles = [...state.tiles];
      // A camera already on the wall moves here; what was here takes its place.
      const already = tiles.findIndex((c, i) => c === action.camera && i < state.grid);
      if (already >= 0) tiles[already] = tiles[action.tile];
      tiles[action.tile] = action.camera;
      // Filling by clicks goes on to the next tile.
      const next = action.tile + 1 < state.grid ? action.tile + 1 : null;
      return { ...state, tiles, selected: state.selected === action.tile ? next : state.selected };
    }
    case "place": {
      // A click on a camera: the selected tile, else the first empty one.
      if (state.selected !== null) return wallReducer(state, { type: "assign", tile: state.selected, camera: action.camera });
      const visible = state.tiles.slice(0, state.grid);
      if (visible.includes(action.camera)) return state;
      const empty = visible.indexOf(null);
      return empty < 0 ? state : wallReducer(state, { type: "assign", tile: empty, camera: action.camera });
    }
    case "move": {
      if (!inGrid(state, action.from) || !inGrid(state, action.to) || action.from === action.to) return state;
      const tiles = [...state.tiles];
      [tiles[action.from], tiles[action.to]] = [tiles[action.to], tiles[action.from]];
      return { ...state, tiles };
    }
    case "clear": {
      if (!inGrid(state, action.tile)) return state;
      const tiles = [...state.tiles];
      tiles[action.tile] = null;
      return { ...state, tiles, full: state.full === action.tile ? null : state.full };
    }
    case "fill": {
      const cameras = [...new Set(action.cameras)].slice(0, MAX_TILES);
      if (cameras.length === 0) return state;
      return { grid: gridFor(cameras.length), tiles: withTiles(cameras), selected: null, full: null };
    }
    case "load":
      return { grid: action.grid, tiles: withTiles(action.cameras.slice(0, action.grid)), selected: null, full: null };
    case "select":
      return {
        ...state,
        selected: action.tile !== null && inGrid(state, action.tile) && action.tile !== state.selected ? action.tile : null,
      };
    case "full":
      return { ...state, full: action.tile !== null && inGrid(state, action.tile) && state.tiles[action.tile] ? action.tile : null };
  }
}

/** The cameras of the visible tiles, as a layout saves them. */
export function visibleCameras(state: WallState): (string | null)[] {
  return state.tiles.slice(0, state.grid);
}

// The current wall survives a reload: kept per user in localStorage.
const KEY = "beffroi.wall.";

export function saveWall(storage: Storage, user: string, state: WallState): void {
  try {
    storage.setItem(KEY + user, JSON.stringify({ grid: state.grid, tiles: state.tiles }));
  } catch {
    /* storage full or refused: the wall still works, it just is not remembered */
  }
}

/** The wall this user last had in this browser; null when none is remembered (a first
 * sign-in here) or what is stored cannot be read. */
export function storedWall(storage: Storage, user: string): WallState | null {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(KEY + user) ?? "null");
  } catch {
    raw = null;
  }
  if (!raw || typeof raw !== "object") return null;
  const { grid, tiles } = raw as { grid?: unknown; tiles?: unknown };
  if (!isGrid(grid) || !Array.isArray(tiles)) return null;
  const clean = tiles.map((c) => (typeof c === "string" && c.length > 0 && c.length <= 64 ? c : null));
  return { ...emptyWall(grid), tiles: withTiles(clean) };
}

/** The wall remembered for this user, else an empty one. */
export function loadWall(storage: Storage, user: string): WallState {
  return storedWall(storage, user) ?? emptyWall();
}

/** The grid of a first wall: four tiles, or one for a scope of one camera. */
export const FIRST_GRID: Grid = 4;

/** A first wall: the cameras of the user's scope (the list the API gives it) in the side
 * panel's order (commune, district, name), those recording before the others, disabled
 * ones left out; as many as the grid holds. No camera: an empty wall. */
export function firstWall(cameras: readonly Camera[], most: Grid = FIRST_GRID): WallState {
  const ordered = groupCameras(cameras.filter((c) => c.status !== "disabled")).flatMap((g) => g.districts.flatMap((d) => d.cameras));
  const chosen = [...ordered.filter((c) => c.status === "recording"), ...ordered.filter((c) => c.status !== "recording")]
    .slice(0, most)
    .map((c) => c.id);
  if (chosen.length === 0) return emptyWall(most);
  return { ...emptyWall(gridFor(chosen.length)), tiles: withTiles(chosen) };
}

/** Cameras the user no longer sees (another scope, removed) leave the wall. */
export function onlyKnown(state: WallState, known: ReadonlySet<string>): WallState {
  if (state.tiles.every((c) => c === null || known.has(c))) return state;
  return { ...state, tiles: state.tiles.map((c) => (c !== null && known.has(c) ? c : null)) };
}
