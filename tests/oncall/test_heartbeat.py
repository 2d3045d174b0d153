"""The dead man's switch: the centre calls an outside monitor while it works, and stays
silent when it does not. A real HTTP server plays the monitor; the runtime is the one
`beffroi run` starts, driven by the fake clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from beffroi.clock import FakeClock
from beffroi.ingest.state import CameraState, Reason, Status
from beffroi.journal.service import Journal
from beffroi.oncall.heartbeat import Heartbeat
from beffroi.oncall.runtime import OnCallRuntime
from beffroi.site.problems import SiteError
from tests.alarms.site import SITE, load
from tests.oncall.peers import HttpPeer
from tests.web.conftest import FakeRecorder


def with_heartbeat(lines: str) -> str:
    return SITE + "notifications:\n  heartbeat:\n" + lines


def recording(*cameras: str) -> dict[str, CameraState]:
    return {c: CameraState(camera_id=c, status=Status.RECORDING) for c in cameras}


@pytest.fixture
def started(
    engine: Engine, clock: FakeClock, data_dir: Path, http_peer: HttpPeer
) -> Iterator[tuple[OnCallRuntime, FakeRecorder, HttpPeer]]:
    recorder = FakeRecorder(recording("jlt-001", "jlt-002"))
    site = load(with_heartbeat(f"    url: {http_peer.url}/ping/abc\n    every_seconds: 60\n"))
    journal = Journal.open(engine, clock, data_dir)
    runtime = OnCallRuntime.start(site, engine, clock, journal, data_dir, recorder)
    try:
        yield runtime, recorder, http_peer
    finally:
        runtime.stop()


def rounds(beat: Heartbeat, clock: FakeClock, n: int) -> None:
    """Move the clock one period at a time until `n` more rounds have run."""
    for _ in range(n):
        done = beat.loop.rounds
        clock.advance(beat.settings.every_seconds)
        assert beat.loop.wait_rounds(done + 1, timeout=10)


def test_the_section_is_read_and_checked() -> None:
    hb = load(with_heartbeat("    url_env: BEFFROI_MONITOR\n")).notifications.heartbeat
    assert hb is not None and hb.method == "POST" and hb.every_seconds == 60
    for bad, words in [
        ("    every_seconds: 60\n", "give the monitor's address once"),
        ("    url: https://hc.example/p\n    url_env: X\n", "give the monitor's address once"),
        ("    url: hc.example/p\n", "not a web address"),
        ("    url_env: X\n    every_seconds: 5\n", "too small: the minimum is 10"),
        ("    url_env: X\n    method: PUT\n", "'POST' or 'GET'"),
    ]:
        with pytest.raises(SiteError, match=words):
            load(with_heartbeat(bad))


def test_a_working_centre_calls_every_period(started, clock: FakeClock) -> None:
    runtime, recorder, monitor = started
    beat = runtime.heartbeat
    assert beat is not None
    rounds(beat, clock, 3)
    assert beat.calls == 3 and len(monitor.requests) == 3
    first = monitor.requests[0]
    assert first.method == "POST" and first.path == "/ping/abc"
    body = json.loads(first.body)
    assert body["status"] == "ok" and body["cameras_recording"] == 2 and body["open_faults"] == 0
    # One camera down: the calls go on, saying so.
    recorder.states["jlt-002"] = CameraState(
        camera_id="jlt-002", status=Status.OFFLINE, reason=Reason.UNREACHABLE
    )
    rounds(beat, clock, 1)
    body = json.loads(monitor.requests[-1].body)
    assert body["status"] == "degraded" and body["cameras_recording"] == 1
    assert "1 camera(s) not recording" in body["why"]


def test_a_centre_recording_nothing_goes_silent_then_calls_again(started, clock: FakeClock) -> None:
    runtime, recorder, monitor = started
    beat = runtime.heartbeat
    assert beat is not None
    rounds(beat, clock, 1)
    for camera in ("jlt-001", "jlt-002"):
        recorder.states[camera] = CameraState(camera_id=camera, status=Status.OFFLINE)
    rounds(beat, clock, 4)
    assert len(monitor.requests) == 1 and beat.silent_rounds == 4
    assert beat.last_state is not None and "no camera records" in (beat.last_state.why or "")
    recorder.states.update(recording("jlt-001", "jlt-002"))
    rounds(beat, clock, 1)
    assert len(monitor.requests) == 2


def test_a_monitor_that_refuses_is_retried_next_period(started, clock: FakeClock) -> None:
    runtime, _, monitor = started
    beat = runtime.heartbeat
    assert beat is not None
    monitor.status = 503
    rounds(beat, clock, 2)
    assert beat.failed_calls == 2 and beat.calls == 0
    assert beat.last_error == "the monitor answered HTTP 503"
    monitor.status = 200
    rounds(beat, clock, 1)
    assert beat.calls == 1 and beat.last_error is None


def test_the_address_is_read_at_each_call_and_a_reload_applies(
    started, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, _, monitor = started
    address = tmp_path / "monitor-url"
    address.write_text(f"{monitor.url}/ping/first\n")
    runtime.reload(
        load(with_heartbeat(f"    url_file: {address}\n    method: GET\n    every_seconds: 30\n"))
    )
    beat = runtime.heartbeat
    assert beat is not None and beat.settings.every_seconds == 30
    rounds(beat, clock, 1)
    address.write_text(f"{monitor.url}/ping/rotated\n")  # a new token, no restart
    rounds(beat, clock, 1)
    assert [(r.method, r.path, r.body) for r in monitor.requests[-2:]] == [
        ("GET", "/ping/first", b""),
        ("GET", "/ping/rotated", b""),
    ]
    runtime.reload(load(SITE))  # the section removed: no more calls
    assert runtime.heartbeat is None and not beat.loop.running
