// What the map shows, as the API gives it (`GET /api/communes`, `GET /api/cameras`), and
// the colour of a camera's marker for its status. No Leaflet here: tested on its own.
import type { Schema } from "../../lib/api";
import type { MultiPolygon, Polygon } from "geojson";

import type { Camera } from "../../lib/cameras";

export interface GeoFeature {
  type: "Feature";
  properties: { commune: string; name: string; district?: string };
  geometry: Polygon | MultiPolygon;
}

export interface MapCommune {
  id: string;
  name: string;
  insee: string | null;
  districts: string[];
  outline: GeoFeature | null;
  district_outlines: { type: "FeatureCollection"; features: GeoFeature[] };
}

export type MapConfig = Schema<"MapOut">;

export interface CommunesAnswer {
  communes: MapCommune[];
  map: MapConfig;
}

/** The states a marker tells apart, most urgent first. */
export type MarkerState = "offline" | "minima" | "connecting" | "recording" | "disabled";

export const MARKER_STATES: readonly MarkerState[] = ["recording", "minima", "connecting", "offline", "disabled"];

export const STATE_COLOURS: Record<MarkerState, string> = {
  recording: "#3fb950",
  minima: "#f0883e",
  connecting: "#4ea1ff",
  offline: "#f85149",
  disabled: "#8b949e",
};

/** A camera's marker state: recording below the legal minima is its own (orange) state. */
export function markerState(camera: Pick<Camera, "status" | "below_legal_minima">): MarkerState {
  switch (camera.status) {
    case "recording":
      return camera.below_legal_minima ? "minima" : "recording";
    case "connecting":
      return "connecting";
    case "disabled":
      return "disabled";
    default:
      return "offline";
  }
}

export function markerColour(camera: Pick<Camera, "status" | "below_legal_minima">): string {
  return STATE_COLOURS[markerState(camera)];
}

/** Counts per state, for the legend. */
export function countStates(cameras: readonly Pick<Camera, "status" | "below_legal_minima">[]): Record<MarkerState, number> {
  const out: Record<MarkerState, number> = { recording: 0, minima: 0, connecting: 0, offline: 0, disabled: 0 };
  for (const camera of cameras) out[markerState(camera)] += 1;
  return out;
}
