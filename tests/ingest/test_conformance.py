"""Faithful recording from an RTSP stack Beffroi did not write, and from the simulator
with injected clock quirks: short runs of what `bench/conformance.py` runs for ten
minutes each. For every source: `beffroi check` clean, one whole picture per sample,
every sample decodes, pictures move, no sound, and (where the sender stamps its
pictures) every frame's archive time within ±100 ms of the sender's own clock.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.sim.faults import Fault
from beffroi.sim.runner import ShardedServer
from beffroi.sim.specs import CameraSpec
from tests.ingest.conformance import Verdict, record_camera
from tests.peers.gst_camera import gst_camera
from tests.peers.vlc_camera import vlc_camera

pytestmark = pytest.mark.slow
SECONDS = 20.0
# Every TCP source is recorded by both RTSP clients: FFmpeg's and ours (`ingest/rtsp`).
READERS = ["ffmpeg", "native"]


def assert_faithful(v: Verdict, stamped: bool = True, bound_ms: float = 100) -> None:
    summary = v.summary()
    assert v.check.ok, summary
    assert len(v.rows) >= 3, summary
    assert v.samples >= SECONDS * 5, summary
    assert v.not_one_picture == 0, summary
    assert v.decode_errors == 0 and v.decoded == v.samples, summary
    assert v.moving, summary
    assert v.audio_tracks == 0, summary
    if stamped:
        assert len(v.time_errors_ms) >= v.samples * 0.9, summary
        assert v.error_p99_ms() <= bound_ms, summary


def simulator(camera: CameraSpec, cache: Path) -> ShardedServer:
    """The simulator in a process of its own: in a thread of the recording process, the
    recorder's work would delay its sending, and its send-time stamps (the reference the
    archive's times are judged against) with it."""
    return ShardedServer([camera], port=0, processes=1, cache_dir=cache)


GST_CASES = {
    "two-packet-keyframes": {},  # the pipeline, as GStreamer's defaults give it
    "sliced": {"slices": 4},
    "b-frames": {"bframes": 2},
    "h265": {"codec": "h265"},
    "aac-audio": {"audio": "aac"},
    "g711-audio": {"audio": "pcma"},
    "send-time-reports": {"rtcp_time": "send"},
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("case", list(GST_CASES))
def test_gstreamer_camera(case: str, reader: str, rec_engine, tmp_path: Path) -> None:
    with gst_camera(**GST_CASES[case]) as url:  # type: ignore[arg-type]
        v = record_camera(rec_engine, tmp_path / "archive", url, SECONDS, reader=reader)
    assert v.time_sources == {"rtcp"}, v.summary()
    if case == "send-time-reports":
        # rtpsession's default (`rtcp-sync-send-time`): its reports map RTP time to when
        # packets are sent, 120 ms after the capture its stamps give (one frame of live
        # source plus the encoder). They agree with arrival, so they are believed: the
        # sender's own delay is the error, which no receiver can see.
        assert_faithful(v, bound_ms=250)
        return
    # Reports of the capture instant, as ONVIF cameras send: the frame times are the
    # camera's, and its encoding delay (what arrival alone would add) is published as
    # the gap between its clock and arrival.
    assert_faithful(v)
    assert -1000 < v.state.camera_clock_error_ms < 0, v.summary()


VLC_CASES = {
    "b-frames-aac": {"bframes": 2, "audio": "aac"},
    "sliced": {"bframes": 0, "slices": 4},
}


@pytest.mark.parametrize("case", list(VLC_CASES))
def test_vlc_camera_over_udp(case: str, rec_engine, tmp_path: Path) -> None:
    """VLC's RTSP server, its own packetizer, RTP over UDP only (`transport: udp`). It
    loops a clip made by FFmpeg, so there are no capture stamps to judge times by."""
    with vlc_camera(tmp_path, **VLC_CASES[case]) as url:  # type: ignore[arg-type]
        v = record_camera(rec_engine, tmp_path / "archive", url, SECONDS, transport="udp")
    assert_faithful(v, stamped=False)


SIM_QUIRKS = {
    "drift-fast": Fault(clock_drift_ppm=5000),
    "drift-slow-no-rtcp": Fault(clock_drift_ppm=-5000, send_sender_reports=False),
    "rtp-wrap": Fault(rtp_start=2**32 - 90_000 * 5),
    "repeated-timestamps": Fault(repeat_timestamp_every=7, send_sender_reports=False),
    "steps": Fault(jump_after=6, jump_every=6, jump_seconds=-2.5, send_sender_reports=False),
    "rtcp-an-hour-off": Fault(sr_offset_seconds=3600),
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("quirk", list(SIM_QUIRKS))
def test_simulated_camera_quirk(
    quirk: str, reader: str, rec_engine, sim_cache: Path, tmp_path: Path
) -> None:
    camera = CameraSpec(
        name="cam0", width=320, height=240, fps=15, bitrate=300_000, stamp_send_time=True,
        fault=SIM_QUIRKS[quirk],
    )  # fmt: skip
    with simulator(camera, sim_cache) as sim:
        v = record_camera(rec_engine, tmp_path / "archive", sim.url("cam0"), SECONDS, reader=reader)
    assert_faithful(v)
    fault = SIM_QUIRKS[quirk]
    if not fault.send_sender_reports or fault.sr_offset_seconds:
        assert v.time_sources == {"arrival"}, v.summary()
    if fault.sr_offset_seconds:
        assert v.state.camera_clock_error_ms == pytest.approx(3_600_000, abs=1000)


@pytest.mark.parametrize("reader", READERS)
def test_a_smart_codec_with_long_gops(
    reader: str, rec_engine, sim_cache: Path, tmp_path: Path
) -> None:
    camera = CameraSpec(
        name="cam0", width=320, height=240, fps=15, bitrate=300_000, stamp_send_time=True,
        duration=20.0, gop_seconds=10.0, vfr_idle_fps=1.0, vfr_period_s=5.0,
    )  # fmt: skip
    with simulator(camera, sim_cache) as sim:
        v = record_camera(rec_engine, tmp_path / "archive", sim.url("cam0"), SECONDS, reader=reader)
    assert_faithful(v)
