// A camera as the API describes it, for unit tests: every field the server sends, with
// ordinary values, and what a test is about changed by `over`.
import type { Camera } from "./cameras";

export function testCamera(over: Partial<Camera> = {}): Camera {
  return {
    id: "jlt-001",
    name: "Mairie",
    commune: "joue-les-tours",
    commune_name: "Joué-lès-Tours",
    district: null,
    location: null,
    field_of_view: null,
    view: "general",
    status: "recording",
    reason: null,
    detail: null,
    since: null,
    codec: "h264",
    width: 1280,
    height: 720,
    fps: 12,
    bitrate_bps: 1e6,
    last_packet_at: null,
    below_legal_minima: false,
    legal_minima: { width: 704, height: 576, fps: 12 },
    retention_days: 15,
    authorisation: { ref: "2024-0042", expires: "2029-06-30" },
    ...over,
  };
}
