from __future__ import annotations

import os
import struct
import time

import pytest

from beffroi.sim.rtp import (
    DEFAULT_MTU,
    NTP_EPOCH_OFFSET,
    build_template,
    iter_rtp_packets,
    packetize_nal,
    rtcp_sender_report,
)

MAX_PAYLOAD = DEFAULT_MTU - 12


def _reassemble_h264(payloads: list[bytes]) -> bytes:
    first = payloads[0]
    assert first[0] & 0x1F == 28
    assert first[1] & 0x80 and not first[1] & 0x40
    assert payloads[-1][1] & 0x40 and not payloads[-1][1] & 0x80
    header = bytes([(first[0] & 0xE0) | (first[1] & 0x1F)])
    return header + b"".join(p[2:] for p in payloads)


def _reassemble_h265(payloads: list[bytes]) -> bytes:
    first = payloads[0]
    assert (first[0] >> 1) & 0x3F == 49
    assert first[2] & 0x80 and payloads[-1][2] & 0x40
    header = bytes([(first[0] & 0x81) | ((first[2] & 0x3F) << 1), first[1]])
    return header + b"".join(p[3:] for p in payloads)


def test_small_nal_is_a_single_packet() -> None:
    nal = b"\x41" + os.urandom(500)
    assert packetize_nal("h264", nal, MAX_PAYLOAD) == [nal]


@pytest.mark.parametrize("size", [MAX_PAYLOAD + 1, 5000, 40_001])
def test_h264_fu_a_round_trip(size: int) -> None:
    nal = b"\x65" + os.urandom(size - 1)
    payloads = packetize_nal("h264", nal, MAX_PAYLOAD)
    assert len(payloads) > 1
    assert all(len(p) <= MAX_PAYLOAD for p in payloads)
    assert all(not p[1] & 0xC0 for p in payloads[1:-1])
    assert _reassemble_h264(payloads) == nal


def test_h265_fu_round_trip() -> None:
    nal = bytes([19 << 1, 0x01]) + os.urandom(9000)
    payloads = packetize_nal("h265", nal, MAX_PAYLOAD)
    assert all(len(p) <= MAX_PAYLOAD for p in payloads)
    assert _reassemble_h265(payloads) == nal


def test_template_render_patches_headers() -> None:
    nals = [b"\x67" + bytes(20), b"\x68" + bytes(3), b"\x65" + os.urandom(4000)]
    template = build_template("h264", nals, pts=0, keyframe=True)
    data = template.render(seq=0xFFFE, timestamp=123456, ssrc=0xDEADBEEF)
    packets = list(iter_rtp_packets(data))
    assert len(packets) == template.packet_count == 2 + 3
    seqs = []
    for index, (channel, packet) in enumerate(packets):
        assert channel == 0
        version_byte, marker_pt, seq, ts, ssrc = struct.unpack(">BBHII", packet[:12])
        assert version_byte == 0x80
        assert marker_pt & 0x7F == 96
        assert bool(marker_pt & 0x80) == (index == len(packets) - 1)
        assert (ts, ssrc) == (123456, 0xDEADBEEF)
        assert len(packet) <= DEFAULT_MTU
        seqs.append(seq)
    assert seqs == [0xFFFE, 0xFFFF, 0, 1, 2]  # wraps around
    again = template.render(seq=7, timestamp=1, ssrc=2, channel=4)
    assert {channel for channel, _ in iter_rtp_packets(again)} == {4}
    assert template.data[1] == 0, "the shared template must be restored to channel 0"


def test_garbage_keeps_headers_and_replaces_payloads() -> None:
    template = build_template("h264", [b"\x65" + bytes(3000)], pts=0, keyframe=True)
    clean = list(iter_rtp_packets(template.render(1, 2, 3)))
    dirty = list(iter_rtp_packets(template.render_garbage(1, 2, 3)))
    assert [p[1][:12] for p in clean] == [p[1][:12] for p in dirty]
    assert all(c[1][12:] != d[1][12:] for c, d in zip(clean, dirty, strict=True))


def test_sender_report_layout() -> None:
    wall = time.time()
    data = rtcp_sender_report(0x01020304, 90_000, 10, 20_000, wall=wall)
    [(channel, report)] = list(iter_rtp_packets(data))
    assert channel == 1
    header, pt, length, ssrc, ntp_sec, ntp_frac, rtp_ts, packets, octets = struct.unpack(
        ">BBHIIIIII", report
    )
    assert (header, pt, length, ssrc) == (0x80, 200, 6, 0x01020304)
    assert abs(ntp_sec - NTP_EPOCH_OFFSET + ntp_frac / 2**32 - wall) < 1e-6
    assert (rtp_ts, packets, octets) == (90_000, 10, 20_000)
