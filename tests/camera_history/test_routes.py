"""The health routes: a camera's samples and every camera's availability, within the
caller's communes (a camera of another commune answers like a missing one)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from beffroi.camera_history.sampler import CameraSampler
from beffroi.clock import FakeClock
from beffroi.ingest.state import CameraState, Reason, Status
from beffroi.web.context import AppContext
from tests.web.conftest import FakeRecorder, token_for


def _sample_hour(ctx: AppContext, recorder: FakeRecorder) -> None:
    """An hour: jlt-001 records for 45 minutes, then is offline 15; cha-001 records."""
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    sampler = CameraSampler(ctx.engine, clock, recorder)
    for minute in range(60):
        if minute == 45:
            recorder.states["jlt-001"] = CameraState(
                "jlt-001", Status.OFFLINE, Reason.STALLED, since_ms=0
            )
        sampler.tick()
        clock.advance(60)


def _recording(recorder: FakeRecorder) -> None:
    for cid, fps in (("jlt-001", 25.0), ("cha-001", 12.5), ("jlt-002", 8.0)):
        recorder.states[cid] = CameraState(
            cid, Status.RECORDING, fps=fps, bitrate_bps=fps * 80_000, width=1280, height=720
        )


def test_camera_samples_and_availability(
    client: TestClient, ctx: AppContext, recorder: FakeRecorder
) -> None:
    _recording(recorder)
    _sample_hour(ctx, recorder)
    agent = token_for(ctx, "agent")  # a session opened now (an hour of fake time passed)
    r = client.get("/api/cameras/jlt-001/health", params={"hours": 2}, headers=agent)
    assert r.status_code == 200, r.text
    body = r.json()
    samples = body["samples"]
    assert len(samples) == 60
    assert samples[0]["status"] == "recording" and samples[0]["fps"] == 25.0
    assert samples[0]["bitrate_bps"] == 2_000_000
    assert samples[-1] == {
        "at": samples[-1]["at"],
        "status": "offline",
        "reason": "stalled",
        "fps": None,
        "bitrate_bps": None,
    }
    assert [s["at"] for s in samples] == sorted(s["at"] for s in samples)
    summary = body["summary"]
    assert summary["availability_percent"] == 75.0
    assert summary["recording_samples"] == 45 and summary["expected_samples"] == 120
    assert summary["coverage_percent"] == 50.0
    assert summary["status"] == "offline" and summary["fps_mean"] == 25.0
    # The window follows the clock: an hour later, with no sampling, half is gone.
    assert isinstance(ctx.clock, FakeClock)
    ctx.clock.advance(timedelta(minutes=30))
    agent = token_for(ctx, "agent")
    later = client.get("/api/cameras/jlt-001/health", params={"hours": 1}, headers=agent).json()
    assert len(later["samples"]) == 30
    assert later["summary"]["availability_percent"] == 50.0


def test_summary_of_every_camera_in_scope(
    client: TestClient,
    ctx: AppContext,
    recorder: FakeRecorder,
) -> None:
    _recording(recorder)
    _sample_hour(ctx, recorder)
    agent, admin = token_for(ctx, "agent"), token_for(ctx, "admin")
    mine = {c["camera"]: c for c in client.get("/api/camera-health", headers=agent).json()}
    # Joué-lès-Tours only; jlt-003 left the site.
    assert set(mine) == {"jlt-001", "jlt-002", "jlt-004"}
    assert mine["jlt-001"]["availability_percent"] == 75.0
    assert mine["jlt-002"]["availability_percent"] == 100.0
    assert mine["jlt-004"]["availability_percent"] is None  # disabled all along
    assert mine["jlt-004"]["samples"] == 60 and mine["jlt-004"]["status"] == "disabled"
    every = {c["camera"] for c in client.get("/api/camera-health", headers=admin).json()}
    assert every == {"jlt-001", "jlt-002", "jlt-004", "cha-001"}


def test_another_commune_s_camera_is_a_missing_one(
    client: TestClient, ctx: AppContext, recorder: FakeRecorder
) -> None:
    _recording(recorder)
    _sample_hour(ctx, recorder)
    agent = token_for(ctx, "agent")
    other = client.get("/api/cameras/cha-001/health", headers=agent)
    ghost = client.get("/api/cameras/nope-001/health", headers=agent)
    assert other.status_code == ghost.status_code == 404
    assert other.json()["detail"].replace("cha-001", "X") == ghost.json()["detail"].replace(
        "nope-001", "X"
    )
    for hours in (0, 193):
        bad = client.get("/api/cameras/jlt-001/health", params={"hours": hours}, headers=agent)
        assert bad.status_code == 422


def test_patrol_sees_only_designated_cameras(
    client: TestClient, ctx: AppContext, recorder: FakeRecorder
) -> None:
    patrol = token_for(ctx, "patrol")  # no designation: no camera at all
    assert client.get("/api/camera-health", headers=patrol).json() == []
    assert client.get("/api/cameras/jlt-001/health", headers=patrol).status_code == 404
