import { describe, expect, it } from "vitest";

import { DEFAULT_ANGLE, DEFAULT_RANGE_M, destination, fovCone, type LatLon, metresPerPixel } from "./geometry";

const JOUE: LatLon = [47.3522, 0.6633];

/** Metres between two points (haversine), to check distances independently. */
function metres(a: LatLon, b: LatLon): number {
  const r = (x: number) => (x * Math.PI) / 180;
  const dLat = r(b[0] - a[0]);
  const dLon = r(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(r(a[0])) * Math.cos(r(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

/** Bearing from a to b in degrees from north (0..360), computed on a local flat plane. */
function bearingTo(a: LatLon, b: LatLon): number {
  const north = b[0] - a[0];
  const east = (b[1] - a[1]) * Math.cos((a[0] * Math.PI) / 180);
  return ((Math.atan2(east, north) * 180) / Math.PI + 360) % 360;
}

describe("destination", () => {
  it("goes north, east, south and west by the distance asked", () => {
    const north = destination(JOUE, 0, 1000);
    expect(north[1]).toBeCloseTo(JOUE[1], 9);
    expect(north[0] - JOUE[0]).toBeCloseTo(1000 / 111_195, 5); // one degree of latitude ≈ 111.2 km
    const east = destination(JOUE, 90, 1000);
    expect(east[1]).toBeGreaterThan(JOUE[1]);
    expect(east[0]).toBeCloseTo(JOUE[0], 5);
    expect(destination(JOUE, 180, 1000)[0]).toBeLessThan(JOUE[0]);
    expect(destination(JOUE, 270, 1000)[1]).toBeLessThan(JOUE[1]);
    for (const b of [0, 45, 135, 200, 315]) expect(metres(JOUE, destination(JOUE, b, 80))).toBeCloseTo(80, 3);
  });
});

describe("fovCone", () => {
  it("starts at the camera and spans bearing ± angle/2 at the range", () => {
    const cone = fovCone(JOUE, { bearing: 135, angle: 60, range_m: 80 });
    expect(cone.approximate).toBe(false);
    expect(cone.points[0]).toEqual(JOUE);
    const arc = cone.points.slice(1);
    for (const p of arc) expect(metres(JOUE, p)).toBeCloseTo(80, 3);
    expect(bearingTo(JOUE, arc[0])).toBeCloseTo(105, 0);
    expect(bearingTo(JOUE, arc[arc.length - 1])).toBeCloseTo(165, 0);
    const middle = arc[(arc.length - 1) / 2];
    expect(bearingTo(JOUE, middle)).toBeCloseTo(135, 0);
    // The arc turns clockwise, evenly.
    const bearings = arc.map((p) => bearingTo(JOUE, p));
    for (let i = 1; i < bearings.length; i++) expect(bearings[i]).toBeGreaterThan(bearings[i - 1]);
  });

  it("crosses north without a jump", () => {
    const arc = fovCone(JOUE, { bearing: 0, angle: 90, range_m: 100 }).points.slice(1);
    expect(bearingTo(JOUE, arc[0])).toBeCloseTo(315, 0);
    expect(bearingTo(JOUE, arc[arc.length - 1])).toBeCloseTo(45, 0);
    for (const p of arc) expect(p[0]).toBeGreaterThan(JOUE[0]); // all of it north of the camera
  });

  it("assumes a default angle and range, and says so", () => {
    const cone = fovCone(JOUE, { bearing: 90, angle: null, range_m: null });
    expect(cone.approximate).toBe(true);
    const arc = cone.points.slice(1);
    expect(metres(JOUE, arc[0])).toBeCloseTo(DEFAULT_RANGE_M, 3);
    expect(bearingTo(JOUE, arc[0])).toBeCloseTo(90 - DEFAULT_ANGLE / 2, 0);
    expect(fovCone(JOUE, { bearing: 90, angle: 60, range_m: null }).approximate).toBe(true);
  });

  it("draws a dome's 360° view as a circle around the camera", () => {
    const cone = fovCone(JOUE, { bearing: 0, angle: 360, range_m: 30 });
    expect(cone.points).not.toContainEqual(JOUE);
    for (const p of cone.points) expect(metres(JOUE, p)).toBeCloseTo(30, 3);
    const bearings = cone.points.map((p) => bearingTo(JOUE, p));
    expect(new Set(bearings.map((b) => Math.round(b))).size).toBe(cone.points.length);
  });

  it("uses more points for a wider view", () => {
    const narrow = fovCone(JOUE, { bearing: 0, angle: 30, range_m: 50 }).points.length;
    const wide = fovCone(JOUE, { bearing: 0, angle: 180, range_m: 50 }).points.length;
    expect(wide).toBeGreaterThan(narrow);
    expect(narrow).toBeGreaterThanOrEqual(4);
  });
});

describe("cones zoomed out", () => {
  it("knows how many metres a pixel covers", () => {
    // Zoom 0: the equator's 40,075 km over 256 px; each zoom level halves it.
    expect(metresPerPixel(0, 0)).toBeCloseTo(156_543.03, 1);
    expect(metresPerPixel(47.3522, 16)).toBeCloseTo(metresPerPixel(47.3522, 15) / 2, 6);
    expect(metresPerPixel(47.3522, 16)).toBeCloseTo(1.6183, 3);
  });

  it("lengthens a short cone to a minimum, never shortens a long one", () => {
    const fov = { bearing: 45, angle: 60, range_m: 80 };
    const far = fovCone(JOUE, fov, 16, 500).points.slice(1);
    for (const p of far) expect(metres(JOUE, p)).toBeCloseTo(500, 2);
    const near = fovCone(JOUE, fov, 16, 10).points.slice(1);
    for (const p of near) expect(metres(JOUE, p)).toBeCloseTo(80, 3);
    expect(fovCone(JOUE, fov, 16, 500).approximate).toBe(false);
  });
});
