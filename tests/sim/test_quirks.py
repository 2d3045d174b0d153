"""Camera clock and encoder quirks, proved from the wire with a raw RTSP client.

Frames go out one per 1/15 s of wall time whatever the quirk; the SEI send-time stamps
(``stamp_send_time``) give each frame's true send time, against which RTP timestamps and
RTCP sender reports are checked.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import av
import numpy as np
import pytest

from beffroi.sim import CameraSpec, Fault, SimulatedCameraServer, make_cameras
from beffroi.sim.clips import ClipSpec
from beffroi.sim.pattern import PatternGenerator

from .rawrtsp import (
    AccessUnit,
    RawRtsp,
    SenderReport,
    access_units,
    frame_count,
    sender_reports,
    ticks,
)
from .sizes import SMALL

FRAME = 6000  # 90 kHz ticks per frame at 15 fps
# 50 ms of 90 kHz ticks: how late a frame may leave after the report that precedes it on
# a loaded machine (the server shares the GIL with the reading test); the quirks checked
# against it are larger (steps of 1 s, offsets of 0.5 s, a wrap).
TOLERANCE = 4500


def camera(**kwargs: Any) -> list[CameraSpec]:
    return make_cameras(1, **{**SMALL, "stamp_send_time": True, **kwargs})


@contextmanager
def playing(server: SimulatedCameraServer, name: str = "cam0") -> Iterator[RawRtsp]:
    client = RawRtsp(server.port)
    try:
        client.play(server.url(name))
        yield client
    finally:
        client.close()


def read_units(client: RawRtsp, frames: int, reports: int = 0, timeout: float = 6.0) -> None:
    """Read until ``frames`` access units and ``reports`` sender reports have arrived."""
    assert client.read_until(
        lambda: frame_count(client) >= frames and len(sender_reports(client)) >= reports,
        timeout,
    ), (frame_count(client), len(sender_reports(client)))


def media_span(client: RawRtsp) -> int:
    """RTP ticks from the first access unit received to the last."""
    ends = [p[4:8] for channel, p, _ in client.frames if channel == 0 and p[1] & 0x80]
    return ticks(int.from_bytes(ends[-1]), int.from_bytes(ends[0])) if ends else 0


def deltas(units: list[AccessUnit]) -> list[int]:
    return [ticks(b.timestamp, a.timestamp) for a, b in itertools.pairwise(units)]


def stamps(units: list[AccessUnit]) -> list[float]:
    found = [unit.stamp for unit in units]
    assert all(s is not None for s in found)
    return [s for s in found if s is not None]


def mapping_errors(
    reports: list[SenderReport], units: list[AccessUnit], rate: float = 1.0, ntp_offset: float = 0
) -> list[int]:
    """For each report, how far (ticks) the next frame's timestamp is from what the report
    predicts from that frame's true send time (it is sent right after, in the same wake-up)."""
    errors = []
    for report in reports:
        if report.frames_before < len(units):
            unit = units[report.frames_before]
            send = stamps([unit])[0]
            predicted = (send - (report.ntp - ntp_offset)) * 90_000 * rate
            errors.append(abs(ticks(unit.timestamp, report.rtp) - round(predicted)))
    return errors


@pytest.mark.parametrize("ppm", [5000, -5000, 50_000])
def test_clock_drift_scales_rtp_but_not_pacing(make_server: Any, ppm: float) -> None:
    rate = 1 + ppm * 1e-6
    server = make_server(camera(fault=Fault(clock_drift_ppm=ppm)), sr_interval=0.25)
    with playing(server) as client:
        read_units(client, frames=24, reports=4)
    units = access_units(client)
    steps = deltas(units)
    # Rounded per frame from the exact media time: no accumulated rounding either way.
    assert set(steps) <= {round(FRAME * rate) - 1, round(FRAME * rate), round(FRAME * rate) + 1}
    assert ticks(units[-1].timestamp, units[0].timestamp) == round((len(units) - 1) * FRAME * rate)
    # Sent at the true cadence: 1/15 s of wall time per frame, not 1/15 s of camera clock
    # (medians: a few frames sent late on a busy machine do not move them).
    lags = [sent - index / 15 for index, sent in enumerate(stamps(units))]
    third = len(lags) // 3
    late = statistics.median(lags[-third:]) - statistics.median(lags[:third])
    assert abs(late) < 0.02  # paced on the camera clock: 50 ms late at 50 000 ppm
    # Sender reports pair the wall clock with the drifted clock read at the same instant.
    reports = sender_reports(client)
    first, last = reports[0], reports[-1]
    measured = ticks(last.rtp, first.rtp) / 90_000 / (last.ntp - first.ntp)
    assert measured == pytest.approx(rate, abs=3e-4)
    assert max(mapping_errors(reports, units, rate)) < TOLERANCE


def test_rtp_start_wraps_through_zero(make_server: Any) -> None:
    start = 2**32 - 5 * FRAME  # the wrap comes 1/3 s in
    server = make_server(camera(fault=Fault(rtp_start=start)), sr_interval=0.1)
    with playing(server) as client:
        read_units(client, frames=12, reports=4)
    units = access_units(client)
    assert units[0].timestamp == start
    raw_steps = [b.timestamp - a.timestamp for a, b in itertools.pairwise(units)]
    assert raw_steps.count(FRAME - 2**32) == 1, "one wrap through zero"
    assert all(step == FRAME for step in deltas(units))
    assert units[5].timestamp == 0
    reports = sender_reports(client)
    assert reports[0].rtp >= 2**31 and reports[-1].rtp < 2**31, "reports wrap too"
    assert max(mapping_errors(reports, units)) < TOLERANCE


def test_rtp_start_is_announced_in_rtp_info(make_server: Any) -> None:
    server = make_server(camera(fault=Fault(rtp_start=123_456)))
    client = RawRtsp(server.port)
    try:
        headers = client.play(server.url("cam0"))
    finally:
        client.close()
    assert headers["rtp-info"].endswith(";rtptime=123456")


def test_every_nth_frame_repeats_the_previous_timestamp(make_server: Any) -> None:
    server = make_server(camera(fault=Fault(repeat_timestamp_every=4)))
    with playing(server) as client:
        read_units(client, frames=13)
    units = access_units(client)[:13]
    assert deltas(units) == [FRAME, FRAME, 0, 2 * FRAME] * 3
    for index, unit in enumerate(units):
        if (index + 1) % 4:  # every frame but the repeats is on the true timeline
            assert ticks(unit.timestamp, units[0].timestamp) == index * FRAME
    repeats = [(units[i - 1], units[i]) for i in (3, 7, 11)]
    assert all(a.nals[-1] != b.nals[-1] for a, b in repeats), "distinct pictures"


def test_backward_steps_repeat_and_reports_follow_them(make_server: Any) -> None:
    fault = Fault(jump_every=0.4, jump_seconds=-1.0)
    server = make_server(camera(fault=fault), sr_interval=0.1)
    with playing(server) as client:
        read_units(client, frames=21, reports=8)
    units = access_units(client)
    steps = deltas(units)
    assert set(steps) == {FRAME, FRAME - 90_000}
    stepped = [index for index, step in enumerate(steps) if step != FRAME]
    assert len(stepped) >= 2
    assert all(4 <= b - a <= 8 for a, b in itertools.pairwise(stepped)), stepped  # 0.4 s
    reports = sender_reports(client)
    report_steps = [ticks(b.rtp, a.rtp) for a, b in itertools.pairwise(reports)]
    assert any(step < -60_000 for step in report_steps), "reports jump back with the frames"
    assert max(mapping_errors(reports, units)) < TOLERANCE


def test_camera_without_sender_reports(make_server: Any) -> None:
    [control] = camera()
    quiet = replace(control, name="quiet", fault=Fault(send_sender_reports=False))
    server = make_server([control, quiet], sr_interval=0.1)
    with playing(server, "cam0") as client:
        read_units(client, frames=2, reports=3)  # the control camera reports
    with playing(server, "quiet") as client:
        read_units(client, frames=12)
    assert len(access_units(client)) >= 12
    assert not sender_reports(client)
    assert not [packet for channel, packet, _ in client.frames if channel != 0]


@pytest.mark.parametrize("offset", [3600.0, -0.5])
def test_sender_reports_with_a_wrong_wall_clock(make_server: Any, offset: float) -> None:
    server = make_server(camera(fault=Fault(sr_offset_seconds=offset)), sr_interval=0.1)
    with playing(server) as client:
        read_units(client, frames=8, reports=4)
    units = access_units(client)
    reports = sender_reports(client)
    for report in reports[:-1]:
        sent_next = stamps([units[report.frames_before]])[0]
        assert report.ntp - offset == pytest.approx(sent_next, abs=TOLERANCE / 90_000)
    # The RTP side of each report stays true: it maps the true wall clock.
    assert max(mapping_errors(reports, units, ntp_offset=offset)) < TOLERANCE


def test_long_gop_keyframe_spacing(make_server: Any) -> None:
    server = make_server(camera(gop_seconds=2.0))
    with playing(server) as client:
        assert client.read_until(
            lambda: frame_count(client) > 30 and sum(u.keyframe for u in access_units(client)) >= 2,
            6.0,
        )
    units = access_units(client)
    keyframes = [index for index, unit in enumerate(units) if unit.keyframe]
    assert keyframes[:2] == [0, 30]
    assert ticks(units[30].timestamp, units[0].timestamp) == 30 * FRAME


def test_gop_and_vfr_settings_shape_the_clip() -> None:
    base = ClipSpec(width=320, height=240, fps=15, duration=3.0)
    long_gop = ClipSpec(width=320, height=240, fps=15, duration=3.0, gop_seconds=10)
    assert (base.frame_count, long_gop.frame_count) == (45, 150)  # whole GOPs
    vfr = ClipSpec(width=320, height=240, fps=15, duration=3.0, vfr_idle_fps=2, vfr_period_s=1)
    assert vfr.frame_count == 60  # whole cycles of 1 s full rate + 1 s idle
    assert len({base.file_name(), long_gop.file_name(), vfr.file_name()}) == 3
    assert base.file_name() == "h264_320x240_15fps_1500000bps_3s_synthetic_v1.mp4"
    for bad in ({"gop_seconds": 0}, {"vfr_idle_fps": 15}, {"vfr_period_s": -1}):
        with pytest.raises(ValueError):
            ClipSpec(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        {"clock_drift_ppm": 200_000},
        {"rtp_start": 2**32},
        {"rtp_start": -1},
        {"repeat_timestamp_every": 1},
        {"jump_every": 0},
    ],
)
def test_invalid_quirks_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Fault(**bad)


def test_vfr_sends_irregular_frames_filmed_when_stamped(make_server: Any) -> None:
    cameras = camera(vfr_idle_fps=2, vfr_period_s=1.0, duration=2.0)
    spec = cameras[0].clip
    server = make_server(cameras)
    with playing(server) as client:
        assert client.read_until(lambda: media_span(client) >= 40 * FRAME, 6.0)
    units = access_units(client)
    slots = [ticks(unit.timestamp, units[0].timestamp) // FRAME for unit in units]
    assert slots == [i for i in range(slots[-1] + 1) if spec.is_filmed(i % spec.frame_count)]
    steps = deltas(units)
    assert FRAME in steps and max(steps) >= 7 * FRAME, "full rate and idle rate"
    # Each frame leaves when it was filmed: send time minus RTP time is constant.
    lags = [sent - unit.timestamp / 90_000 for sent, unit in zip(stamps(units), units, strict=True)]
    median = statistics.median(lags)
    assert max(abs(lag - median) for lag in lags) < 0.1  # sent at a steady rate: 0.4 s
    # Every frame decodes to the picture filmed at its timestamp: nothing it references
    # was left out.
    generator = PatternGenerator(spec.width, spec.height, spec.fps)
    filmed = [generator.frame(i)[: spec.height].astype(np.int16) for i in range(spec.frame_count)]
    decoder = av.CodecContext.create("h264", "r")
    pictures = [p for unit in units for p in decoder.decode(av.Packet(unit.annexb()))]
    pictures += decoder.decode(None)
    assert len(pictures) == len(units)
    for slot, picture in zip(slots, pictures, strict=True):
        luma = picture.to_ndarray()[: spec.height].astype(np.int16)  # type: ignore[union-attr]
        assert np.abs(luma - filmed[slot % spec.frame_count]).mean() < 6, slot
