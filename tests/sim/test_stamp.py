"""Send-time stamps: an SEI per frame that survives FFmpeg's RTSP client, still decodable."""

from __future__ import annotations

import itertools
import time
from typing import Any

import av
import pytest

from beffroi.sim import make_cameras
from beffroi.sim.bitstream import split_annexb
from beffroi.sim.stamp import read_stamp, sei_nal

from .sizes import SMALL


@pytest.mark.parametrize("value", [0, 3, 0x0000_0000_0300_0001, 1_764_180_000_123_456, 2**63])
def test_stamps_read_back_through_emulation_prevention(value: int) -> None:
    if value >= 2**64:
        value = 2**64 - 1
    nal = sei_nal(value)
    assert b"\x00\x00\x00" not in nal and b"\x00\x00\x01" not in nal
    assert read_stamp(nal) == value


def test_other_nal_units_carry_no_stamp() -> None:
    assert read_stamp(b"\x65\x88\x84") is None
    assert read_stamp(b"\x06\x05\x10" + bytes(16) + bytes(8) + b"\x80") is None  # other UUID


def test_each_frame_carries_its_send_time_through_ffmpeg(make_server: Any) -> None:
    server = make_server(make_cameras(1, stamp_send_time=True, **SMALL))
    stamps: list[tuple[float, int]] = []
    decoded = 0
    with av.open(server.url("cam0"), options={"rtsp_transport": "tcp"}) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            received = time.time()
            found = [s for nal in split_annexb(bytes(packet)) if (s := read_stamp(nal))]
            assert len(found) == 1, "one stamp per access unit"
            stamps.append((received, found[0]))
            decoded += len(packet.decode())
            if len(stamps) >= 30:
                break
    # Sent before it was received, by a few milliseconds on loopback (the first packets
    # wait in FFmpeg's probe), 15 fps apart, and the pictures still decode.
    lags = [received - sent / 1e6 for received, sent in stamps]
    assert all(-0.01 < lag < 3.0 for lag in lags), lags
    assert min(lags[-10:]) < 0.2, lags
    steps = [b[1] - a[1] for a, b in itertools.pairwise(stamps)]
    assert all(step > 0 for step in steps)
    assert sum(steps[-10:]) / 10 == pytest.approx(1e6 / 15, rel=0.3)
    assert decoded >= 25
