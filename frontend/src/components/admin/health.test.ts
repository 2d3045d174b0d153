import { describe, expect, it } from "vitest";

import { testCamera } from "../../lib/test-camera";

import { meanAvailability } from "./health";
import { cameraAlerts, storageAlerts } from "./health-alerts";
import type { HealthSummary, StorageReport } from "./model";

const summary = (camera: string, pct: number | null): HealthSummary => ({
  camera,
  name: camera,
  commune: "c",
  status: "recording",
  samples: 10,
  expected_samples: 1440,
  recording_samples: 10,
  availability_percent: pct,
  coverage_percent: 1,
  fps_mean: null,
  bitrate_mean_bps: null,
});

describe("meanAvailability", () => {
  it("averages the cameras that were measured, ignoring those never meant to record", () => {
    expect(meanAvailability([summary("a", 100), summary("b", 50), summary("c", null)])).toBe(75);
    expect(meanAvailability([summary("c", null)])).toBeNull();
    expect(meanAvailability([])).toBeNull();
  });
});

const camera = testCamera;

describe("alerts", () => {
  const NOW = Date.parse("2026-11-26T10:00:00Z");

  it("raises offline cameras and authorisations ending within 30 days", () => {
    expect(cameraAlerts([camera({})], NOW)).toEqual([]);
    const alerts = cameraAlerts(
      [
        camera({ status: "offline" }),
        camera({ id: "b", authorisation: { ref: "A", expires: "2026-12-20" } }),
        camera({ id: "c", authorisation: { ref: "B", expires: "2026-11-25" } }),
        camera({ id: "d", below_legal_minima: true }),
      ],
      NOW,
    );
    expect(alerts.map((a) => a.level)).toEqual(["bad", "warn", "bad", "warn"]);
    expect(alerts[1].text).toContain("24");
  });

  it("warns when the disk will not hold the longest retention", () => {
    const base: StorageReport = {
      total_bytes: 1,
      bytes_per_day: 1,
      disk_total_bytes: 100,
      disk_free_bytes: 50,
      floor_bytes: 10,
      forecast_days: 9.5,
      longest_retention_days: 15,
      covers_retention: false,
      cameras: [],
    };
    expect(storageAlerts(base)).toHaveLength(1);
    expect(storageAlerts({ ...base, covers_retention: true, forecast_days: 40 })).toEqual([]);
    expect(storageAlerts({ ...base, covers_retention: null, forecast_days: null, disk_free_bytes: 5 })).toHaveLength(1);
  });
});
