// The field-of-view cone of a camera on the map: from where it stands, `angle` degrees
// wide around its bearing, `range_m` metres deep. Plain maths (no Leaflet), so it is
// tested on its own.

export type LatLon = [number, number];

export interface FieldOfView {
  /** Degrees from north, clockwise. */
  bearing: number;
  /** Horizontal opening in degrees; null when the site file does not say. */
  angle: number | null;
  /** Useful depth in metres; null when the site file does not say. */
  range_m: number | null;
}

/** What the map assumes when the site file gives the bearing alone. */
export const DEFAULT_ANGLE = 60;
export const DEFAULT_RANGE_M = 50;

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** The point `distance` metres from `from` along `bearing` (degrees from north), on a sphere. */
export function destination(from: LatLon, bearing: number, distance: number): LatLon {
  const [lat1, lon1] = [rad(from[0]), rad(from[1])];
  const d = distance / EARTH_RADIUS_M;
  const b = rad(bearing);
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return [deg(lat2), ((deg(lon2) + 540) % 360) - 180];
}

export interface Cone {
  /** Polygon points [lat, lon]: the camera, the arc from left to right, (closed by the map). */
  points: LatLon[];
  /** True when the angle or the range was assumed, not given: drawn dashed. */
  approximate: boolean;
}

/** Metres one screen pixel covers at `lat` and a Leaflet/OSM `zoom` level (256 px tiles). */
export function metresPerPixel(lat: number, zoom: number): number {
  return (2 * Math.PI * 6_378_137 * Math.cos(rad(lat))) / 2 ** (zoom + 8);
}

/**
 * The cone of a field of view: the apex at the camera, then `steps` + 1 points along the
 * arc from `bearing - angle/2` to `bearing + angle/2`. A view of 360° is a circle (no apex).
 * `minRange` (metres) lengthens a short cone so its direction still shows when zoomed out.
 */
export function fovCone(at: LatLon, fov: FieldOfView, steps = 16, minRange = 0): Cone {
  const approximate = fov.angle === null || fov.range_m === null;
  const angle = Math.min(fov.angle ?? DEFAULT_ANGLE, 360);
  const range = Math.max(fov.range_m ?? DEFAULT_RANGE_M, minRange);
  // An even number of steps puts one point of the arc exactly on the bearing.
  const n = Math.max(2, 2 * Math.ceil((steps * angle) / 180));
  const start = fov.bearing - angle / 2;
  const arc: LatLon[] = [];
  const last = angle >= 360 ? n - 1 : n; // a full circle does not repeat its first point
  for (let i = 0; i <= last; i++) arc.push(destination(at, start + (angle * i) / n, range));
  return { points: angle >= 360 ? arc : [at, ...arc], approximate };
}
