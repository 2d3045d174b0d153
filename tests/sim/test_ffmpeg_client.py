"""Interoperability with FFmpeg's RTSP client (through PyAV), as the recorder will use it."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import av
import numpy as np
import pytest

from beffroi.sim import Credentials, Fault, SimulatedCameraServer, make_cameras
from beffroi.sim.probe import probe

from .sizes import SMALL


def test_decodes_moving_frames_in_real_time(sim_server: SimulatedCameraServer) -> None:
    result = probe(sim_server.url("cam0"), seconds=2.0)
    assert (result.codec, result.width, result.height) == ("h264", 320, 240)
    assert result.fps == pytest.approx(15, rel=0.05)
    assert result.decoded >= 25
    frames = [f.astype(np.int16) for f in result.frames]
    assert frames[0].shape == (240, 320)
    assert all(np.abs(a - b).mean() > 2 for a, b in itertools.pairwise(frames))
    assert frames[0].std() > 20, "the picture must not be uniform"
    # Media time reaches 2 s about 2 s after the session started: no burst, no lag.
    media_end = result.pts[-1] - result.pts[0]
    wall_end = result.arrival[-1]
    assert media_end >= 2.0
    assert media_end - 0.15 <= wall_end <= media_end + 0.6


def test_h265_camera(make_server: Any) -> None:
    server = make_server(make_cameras(1, codec="h265", **SMALL))
    result = probe(server.url("cam0"), seconds=1.0)
    assert (result.codec, result.width, result.height) == ("hevc", 320, 240)
    assert result.decoded >= 10
    assert np.abs(result.frames[0].astype(int) - result.frames[1].astype(int)).mean() > 2


def test_digest_auth(make_server: Any) -> None:
    cameras = make_cameras(2, **SMALL)
    server = make_server(cameras, credentials=Credentials("operator", "pw"))
    good = server.url("cam0", Credentials("operator", "pw"))
    assert probe(good, seconds=0.5, decode=False).pts
    for url in (server.url("cam1", Credentials("operator", "bad")), server.url("cam1")):
        with pytest.raises(av.error.FFmpegError) as info:
            probe(url, seconds=0.5, decode=False)
        assert "401" in str(info.value) or "Unauthorized" in str(info.value)


def test_per_camera_credentials_override(make_server: Any) -> None:
    cameras = make_cameras(2, **SMALL)
    cameras[1] = cameras[1].__class__(
        **{**cameras[1].__dict__, "credentials": Credentials("a", "b")}
    )
    server = make_server(cameras)
    assert probe(server.url("cam0"), seconds=0.3, decode=False).pts
    with pytest.raises(av.error.FFmpegError):
        probe(server.url("cam1"), seconds=0.3, decode=False)
    assert probe(server.url("cam1", Credentials("a", "b")), seconds=0.3, decode=False).pts


def test_unknown_path_fails(sim_server: SimulatedCameraServer) -> None:
    with pytest.raises(av.error.FFmpegError) as info:
        probe(sim_server.url("cam42"), seconds=0.5)
    assert "404" in str(info.value) or "Not Found" in str(info.value)


def test_drop_after_closes_the_stream(make_server: Any) -> None:
    server = make_server(make_cameras(1, **SMALL, fault=Fault(drop_after=2.0)))
    started = time.monotonic()
    result = probe(server.url("cam0"), seconds=10.0, decode=False, timeout=3.0)
    elapsed = time.monotonic() - started
    assert result.ended
    assert 1.8 <= elapsed <= 5.0
    assert 1.5 <= result.media_span <= 2.2


def test_runtime_fault_affects_playing_session(make_server: Any) -> None:
    server = make_server(make_cameras(1, **SMALL))
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(probe, server.url("cam0"), 10.0, decode=False, timeout=3.0)
        time.sleep(3.0)
        set_at = time.monotonic()
        server.set_fault("cam0", Fault(drop_after=0.5))
        result = future.result(timeout=10)
    assert result.ended
    assert time.monotonic() - set_at < 4.0
    assert result.media_span >= 2.0


@pytest.mark.parametrize("jump", [30.0, -20.0])
def test_jump_after_shows_a_pts_jump(make_server: Any, jump: float) -> None:
    fault = Fault(jump_after=1.0, jump_seconds=jump)
    server = make_server(make_cameras(1, **SMALL, fault=fault))
    result = probe(server.url("cam0"), seconds=100.0, decode=False, wall_limit=2.5)
    steps = np.diff(result.pts)
    big = [float(s) for s in steps if abs(s - 1 / 15) > 0.01]
    assert len(big) == 1, steps
    assert big[0] == pytest.approx(jump + 1 / 15, abs=0.01)


def test_twenty_cameras_concurrently(make_server: Any) -> None:
    server = make_server(make_cameras(20, **SMALL))

    def read(name: str) -> int:
        return len(probe(server.url(name), seconds=1.0, decode=False, wall_limit=10).pts)

    with ThreadPoolExecutor(20) as pool:
        counts = list(pool.map(read, [f"cam{i}" for i in range(20)]))
    assert all(count >= 14 for count in counts), counts
    assert server.stats.late_frames == 0


def test_several_clients_on_one_camera(sim_server: SimulatedCameraServer) -> None:
    with ThreadPoolExecutor(3) as pool:
        results = list(
            pool.map(lambda _: probe(sim_server.url("cam1"), 1.0, decode=False), range(3))
        )
    assert all(len(r.pts) >= 14 for r in results)
