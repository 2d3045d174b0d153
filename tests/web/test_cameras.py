"""Camera list and detail: status from the recorder, legal minima, commune scope."""

from __future__ import annotations

from fastapi.testclient import TestClient

from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import CameraState, Reason, Status
from tests.web.conftest import FakeRecorder


def test_list_is_scoped_to_the_users_communes(
    client: TestClient, agent: dict[str, str], admin: dict[str, str]
) -> None:
    ids = [c["id"] for c in client.get("/api/cameras", headers=agent).json()]
    assert ids == ["jlt-001", "jlt-002", "jlt-003", "jlt-004"]
    all_ids = [c["id"] for c in client.get("/api/cameras", headers=admin).json()]
    assert "cha-001" in all_ids and len(all_ids) == 5


def test_other_communes_camera_is_404_like_a_missing_one(
    client: TestClient, agent: dict[str, str], admin: dict[str, str]
) -> None:
    r = client.get("/api/cameras/cha-001", headers=agent)
    assert r.status_code == 404 and r.json() == {"detail": "unknown camera cha-001"}
    r = client.get("/api/cameras/jlt-999", headers=agent)
    assert r.status_code == 404 and r.json() == {"detail": "unknown camera jlt-999"}
    assert client.get("/api/cameras/cha-001", headers=admin).status_code == 200
    url = "/api/cameras/cha-001/recordings?start=2026-11-01T07:00:00Z&end=2026-11-01T08:00:00Z"
    assert client.get(url, headers=agent).status_code == 404
    snap = "/api/cameras/cha-001/snapshot?at=2026-11-01T07:00:00Z"
    assert client.get(snap, headers=agent).json() == {"detail": "unknown camera cha-001"}


def test_status_comes_from_recorder_and_site(
    client: TestClient, agent: dict[str, str], recorder: FakeRecorder, clock: FakeClock
) -> None:
    now = utc_ms(clock.now())
    recorder.states["jlt-001"] = CameraState(
        camera_id="jlt-001",
        status=Status.RECORDING,
        since_ms=now - 60_000,
        codec="h264",
        width=640,
        height=480,
        fps=15.0,
        bitrate_bps=2e6,
        last_packet_ms=now - 200,
    )
    recorder.states["jlt-002"] = CameraState(
        camera_id="jlt-002",
        status=Status.OFFLINE,
        reason=Reason.UNAUTHORIZED,
        detail="401 Unauthorized",
        since_ms=now - 5_000,
    )
    # The site file outranks the recorder's last word on a removed camera.
    recorder.states["jlt-003"] = CameraState(camera_id="jlt-003", status=Status.RECORDING)
    cams = {c["id"]: c for c in client.get("/api/cameras", headers=agent).json()}
    c1 = cams["jlt-001"]
    assert c1["status"] == "recording" and c1["reason"] is None
    assert c1["since"].startswith("2026-11-01T07:59:00")
    assert c1["last_packet_at"].startswith("2026-11-01T07:59:59.8")
    assert (c1["width"], c1["height"], c1["fps"], c1["codec"]) == (640, 480, 15.0, "h264")
    # Close-up needs 704x576: 640x480 is below the legal minimum.
    assert c1["below_legal_minima"] is True
    assert c1["legal_minima"] == {"width": 704, "height": 576, "fps": 12.0}
    assert c1["location"] == {"lat": 47.35, "lon": 0.66}
    assert c1["authorisation"] == {"ref": "2024-0042", "expires": "2029-06-30"}
    assert c1["retention_days"] == 15
    assert c1["commune"] == "joue-les-tours" and c1["commune_name"] == "Joué-lès-Tours"
    c2 = cams["jlt-002"]
    assert (c2["status"], c2["reason"], c2["detail"]) == (
        "offline",
        "unauthorized",
        "401 Unauthorized",
    )
    assert c2["location"] is None and c2["below_legal_minima"] is False
    assert c2["legal_minima"] == {"width": 352, "height": 288, "fps": 6.0}
    assert (cams["jlt-003"]["status"], cams["jlt-003"]["reason"]) == ("disabled", "removed")
    assert (cams["jlt-004"]["status"], cams["jlt-004"]["reason"]) == ("disabled", "disabled")


def test_camera_unknown_to_recorder_is_connecting(
    client: TestClient, agent: dict[str, str]
) -> None:
    c = client.get("/api/cameras/jlt-002", headers=agent).json()
    assert c["status"] == "connecting" and c["fps"] is None and c["below_legal_minima"] is False
