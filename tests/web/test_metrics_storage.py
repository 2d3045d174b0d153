"""Prometheus exposition and the storage report."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import insert

from beffroi.access.tables import user_communes, users
from beffroi.clock import FakeClock, utc_ms
from beffroi.ingest.state import CameraState, Status
from beffroi.web.context import AppContext
from beffroi.web.routes.metrics import escape_label, format_value
from tests.archive.factory import add_segments
from tests.web.conftest import FakeRecorder, _pw_hash, token_for

SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>(?:[a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*)\})?'
    r" (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|NaN|Inf))$"
)


def _parse(text: str) -> dict[tuple[str, str], float]:
    samples: dict[tuple[str, str], float] = {}
    typed: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        assert m["name"] in typed, f"sample before its TYPE: {line!r}"
        samples[(m["name"], m["labels"] or "")] = float(m["value"])
    return samples


def test_metrics_text_parses_and_reports_cameras(
    client: TestClient, admin: dict[str, str], recorder: FakeRecorder, clock: FakeClock
) -> None:
    now = utc_ms(clock.now())
    recorder.states["jlt-001"] = CameraState(
        camera_id="jlt-001",
        status=Status.RECORDING,
        fps=14.9,
        bitrate_bps=2_000_000,
        reconnects=3,
        timestamp_jumps=1,
        last_packet_ms=now - 1_500,
        segment_write_lag_ms=250,
        time_source="rtcp",
        camera_clock_error_ms=-12.5,
    )
    r = client.get("/metrics", headers=admin)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = _parse(r.text)
    lab = 'camera="jlt-001",commune="joue-les-tours"'
    assert samples[("beffroi_camera_up", lab)] == 1
    assert samples[("beffroi_camera_fps", lab)] == 14.9
    assert samples[("beffroi_camera_bitrate_bps", lab)] == 2_000_000
    assert samples[("beffroi_camera_reconnects_total", lab)] == 3
    assert samples[("beffroi_camera_timestamp_jumps_total", lab)] == 1
    assert samples[("beffroi_camera_last_packet_age_seconds", lab)] == 1.5
    assert samples[("beffroi_camera_segment_write_lag_seconds", lab)] == 0.25
    assert samples[("beffroi_camera_time_from_rtcp", lab)] == 1
    assert samples[("beffroi_camera_clock_error_seconds", lab)] == -0.0125
    other = 'camera="cha-001",commune="chambray"'
    assert samples[("beffroi_camera_up", other)] == 0
    assert ("beffroi_camera_fps", other) not in samples  # unmeasured: absent, not 0
    assert samples[("beffroi_disk_total_bytes", "")] >= samples[("beffroi_disk_free_bytes", "")] > 0


def test_label_escaping_and_values() -> None:
    assert escape_label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert format_value(3.0) == "3" and format_value(0.25) == "0.25"
    assert format_value(float("nan")) == "NaN"


def test_storage_returns_the_report_in_the_reader_s_scope(
    client: TestClient, admin: dict[str, str], agent: dict[str, str], ctx: AppContext
) -> None:
    start = utc_ms(ctx.clock.now()) - 2 * 3_600_000
    add_segments(ctx.engine, ctx.archive_root, "jlt-001", start, 2, size=1000)
    add_segments(ctx.engine, ctx.archive_root, "cha-001", start, 1, size=5000)
    r = client.get("/api/storage", headers=admin)
    assert r.status_code == 200
    body = r.json()
    assert {c["camera_id"]: c["bytes"] for c in body["cameras"] if c["segments"]} == {
        "jlt-001": 2000,
        "cha-001": 5000,
    }
    assert body["total_bytes"] == 7000 and body["disk_total_bytes"] > 0
    # A supervisor of Joué-lès-Tours: its cameras only, totals over them; the disk's
    # figures stay the installation's.
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users).values(username="chef", password_hash=_pw_hash(), role="supervisor",
                                 disabled=False, created_ms=0).returning(users.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(insert(user_communes).values(user_id=uid, commune_id="joue-les-tours"))
    scoped = client.get("/api/storage", headers=token_for(ctx, "chef")).json()
    assert {c["camera_id"] for c in scoped["cameras"]} <= {
        "jlt-001",
        "jlt-002",
        "jlt-003",
        "jlt-004",
    }
    assert "jlt-001" in {c["camera_id"] for c in scoped["cameras"]}
    assert scoped["total_bytes"] == 2000 and scoped["total_segments"] == 2
    assert scoped["disk_total_bytes"] == body["disk_total_bytes"]
    # Operators have no storage.read.
    assert client.get("/api/storage", headers=agent).status_code == 403
    ctx.storage_report = None
    assert client.get("/api/storage", headers=admin).status_code == 503


def test_openapi_documents_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/api/cameras", "/api/cameras/{camera_id}/recordings", "/metrics"} <= set(spec["paths"])
    cam = spec["components"]["schemas"]["CameraOut"]["properties"]
    assert all("description" in p for p in cam.values())
