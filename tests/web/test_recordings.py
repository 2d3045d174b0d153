"""Timeline and snapshot routes on real fMP4 segments, finished and being written."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import CameraState, FinishedSegment, LiveSegment, Status
from beffroi.web.context import AppContext
from tests.playback.segments import (
    index_of_level,
    index_segment,
    picture_level,
    truncate_mid_last_fragment,
    write_segment,
)
from tests.web.conftest import FakeRecorder

URL = "/api/cameras/jlt-001/recordings"


def _iso(ms: int) -> str:
    from beffroi.clock import from_ms

    return from_ms(ms).isoformat().replace("+00:00", "Z")


def test_ranges_merge_gaps_and_live_segment(
    client: TestClient,
    agent: dict[str, str],
    ctx: AppContext,
    recorder: FakeRecorder,
    clock: FakeClock,
) -> None:
    now = utc_ms(clock.now())
    t = now - 60_000
    # Three 4 s segments: the 2nd follows the 1st within the tolerance, the 3rd after a
    # 10 s outage; then the live one, 0.5 s after the 3rd, flushed up to 3 s.
    finished = [
        write_segment(ctx.archive_root, "jlt-001", t),
        write_segment(ctx.archive_root, "jlt-001", t + 4_400),
        write_segment(ctx.archive_root, "jlt-001", t + 18_400),
    ]
    ids = [index_segment(ctx.engine, s, now) for s in finished]
    live = write_segment(ctx.archive_root, "jlt-001", t + 22_900, part=True)
    recorder.states["jlt-001"] = CameraState(
        camera_id="jlt-001",
        status=Status.RECORDING,
        live=LiveSegment(live.relpath, live.start_ms, live.start_ms + 3_000),
    )
    r = client.get(URL, params={"start": _iso(t - 10_000), "end": _iso(now)}, headers=agent)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["camera"] == "jlt-001"
    ranges = [(x["start"], x["end"]) for x in body["ranges"]]
    assert ranges == [(_iso(t), _iso(t + 8_400)), (_iso(t + 18_400), _iso(t + 25_900))]
    gaps = [(x["start"], x["end"], x["seconds"]) for x in body["gaps"]]
    assert gaps == [(_iso(t - 10_000), _iso(t), 10.0), (_iso(t + 8_400), _iso(t + 18_400), 10.0)]
    segs = body["segments"]
    assert [s["id"] for s in segs] == [*ids, None]
    assert [s["in_progress"] for s in segs] == [False, False, False, True]
    assert segs[0]["bytes"] == finished[0].path.stat().st_size and len(segs[0]["sha256"]) == 64
    assert segs[3]["bytes"] == live.path.stat().st_size and segs[3]["sha256"] is None
    lean = client.get(
        URL,
        params={"start": _iso(t - 10_000), "end": _iso(now), "segments": "false"},
        headers=agent,
    ).json()
    assert lean["segments"] == []
    assert (lean["ranges"], lean["gaps"]) == (body["ranges"], body["gaps"])


def test_a_segment_just_finished_stays_in_sight_until_its_row_is_written(
    client: TestClient,
    agent: dict[str, str],
    ctx: AppContext,
    recorder: FakeRecorder,
    clock: FakeClock,
) -> None:
    # The recorder rolled over: the finished file is on disk, handed to the index writer,
    # whose batch is not written yet (or the database is away); the next one is live.
    now = utc_ms(clock.now())
    t = now - 30_000
    done = write_segment(ctx.archive_root, "jlt-001", t)
    live = write_segment(ctx.archive_root, "jlt-001", t + 4_000, part=True)
    data = done.path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    recorder.states["jlt-001"] = CameraState(
        camera_id="jlt-001",
        status=Status.RECORDING,
        live=LiveSegment(live.relpath, live.start_ms, live.start_ms + 3_000),
        finished=FinishedSegment(done.relpath, done.start_ms, done.end_ms, len(data), sha),
    )
    window = {"start": _iso(t - 1_000), "end": _iso(now)}
    body = client.get(URL, params=window, headers=agent).json()
    assert [(x["start"], x["end"]) for x in body["ranges"]] == [(_iso(t), _iso(t + 7_000))]
    assert [(s["id"], s["sha256"], s["in_progress"]) for s in body["segments"]] == [
        (None, sha, False),
        (None, None, True),
    ]
    at = {"at": _iso(t + 1_234)}
    snap = client.get("/api/cameras/jlt-001/snapshot", params=at, headers=agent)
    assert snap.status_code == 200, snap.text
    assert abs(_snapshot_index(snap.content) - 18) <= 1
    # Its row written: shown once, from the index.
    row = index_segment(ctx.engine, done, now)
    body = client.get(URL, params=window, headers=agent).json()
    assert [s["id"] for s in body["segments"]] == [row, None]


def test_window_accepts_offsets(client: TestClient, agent: dict[str, str]) -> None:
    r = client.get(
        URL,
        params={"start": "2026-11-01T08:00:00+01:00", "end": "2026-11-01T08:30:00+01:00"},
        headers=agent,
    )
    assert r.status_code == 200
    assert r.json()["start"].startswith("2026-11-01T07:00:00")
    assert r.json()["segments"] == [] and len(r.json()["gaps"]) == 1


def test_bad_windows_are_422_with_reasons(client: TestClient, agent: dict[str, str]) -> None:
    cases = [
        ({"start": "2026-11-01T08:00:00Z", "end": "2026-11-01T07:00:00Z"}, "before end"),
        ({"start": "yesterday", "end": "2026-11-01T07:00:00Z"}, "not an ISO 8601"),
        ({"start": "2026-11-01T07:00:00", "end": "2026-11-01T08:00:00Z"}, "timezone required"),
        ({"start": "2026-09-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "too long"),
    ]
    for params, reason in cases:
        r = client.get(URL, params=params, headers=agent)
        assert r.status_code == 422, params
        assert reason in r.json()["detail"], r.json()
    assert (
        client.get(URL, params={"start": "2026-11-01T07:00:00Z"}, headers=agent).status_code == 422
    )


def _snapshot_index(content: bytes) -> int:
    img = Image.open(io.BytesIO(content))
    assert img.format == "JPEG" and img.size == (320, 240)
    return index_of_level(picture_level(np.asarray(img.convert("L"))))


def test_snapshot_returns_the_frame_at_that_instant(
    client: TestClient, agent: dict[str, str], ctx: AppContext, clock: FakeClock
) -> None:
    t = utc_ms(clock.now()) - 60_000
    seg = write_segment(ctx.archive_root, "jlt-001", t)
    index_segment(ctx.engine, seg, t + 5_000)
    for offset_ms, frame in [(0, 0), (1_234, 18), (3_990, 59)]:
        r = client.get(
            "/api/cameras/jlt-001/snapshot", params={"at": _iso(t + offset_ms)}, headers=agent
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/jpeg"
        assert abs(_snapshot_index(r.content) - frame) <= 1
        shown = utc_ms(datetime.fromisoformat(r.headers["x-frame-time"]))
        assert t + offset_ms - 67 <= shown <= t + offset_ms


def test_snapshot_from_a_growing_part_file(
    client: TestClient,
    agent: dict[str, str],
    ctx: AppContext,
    recorder: FakeRecorder,
    clock: FakeClock,
) -> None:
    t = utc_ms(clock.now()) - 10_000
    live = write_segment(ctx.archive_root, "jlt-001", t, part=True)
    truncate_mid_last_fragment(live.path)
    recorder.states["jlt-001"] = CameraState(
        camera_id="jlt-001",
        status=Status.RECORDING,
        live=LiveSegment(live.relpath, t, t + 3_000),
    )
    url = "/api/cameras/jlt-001/snapshot"
    r = client.get(url, params={"at": _iso(t + 2_500)}, headers=agent)
    assert r.status_code == 200, r.text
    assert abs(_snapshot_index(r.content) - 37) <= 1
    # Past the flushed end: not footage yet.
    assert client.get(url, params={"at": _iso(t + 3_500)}, headers=agent).status_code == 404


def test_snapshot_without_footage_is_404(
    client: TestClient, agent: dict[str, str], clock: FakeClock
) -> None:
    r = client.get(
        "/api/cameras/jlt-001/snapshot", params={"at": "2026-11-01T07:00:00Z"}, headers=agent
    )
    assert r.status_code == 404
    assert r.json() == {"detail": "no recording of jlt-001 at 2026-11-01T07:00:00+00:00"}
    bad = client.get("/api/cameras/jlt-001/snapshot", params={"at": "7am"}, headers=agent)
    assert bad.status_code == 422
