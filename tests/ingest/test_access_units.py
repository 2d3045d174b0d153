"""Whole pictures from the packets FFmpeg's RTSP reader gives, whatever the camera's
slicing, parameter-set and SEI habits (ingest/access_units.py)."""

from __future__ import annotations

import av

from beffroi.ingest.access_units import AccessUnits

SC = b"\x00\x00\x00\x01"
AUD = SC + b"\x09\xf0"
SPS = SC + b"\x67\x42\xc0\x1e\xda"
PPS = SC + b"\x68\xce\x3c\x80"
SEI = SC + b"\x06\x05\x01\xaa\x80"
IDR_FIRST = SC + b"\x65\x88" + b"\x11" * 40  # first_mb_in_slice = 0
IDR_NEXT = SC + b"\x65\x40" + b"\x22" * 40  # first_mb_in_slice = 1 (ue(v) "010")
P_FIRST = SC + b"\x41\x9a" + b"\x33" * 20
P_NEXT = SC + b"\x41\x40" + b"\x44" * 20


def packet(data: bytes, dts: int | None, key: bool = False) -> av.Packet:
    p = av.Packet(data)
    p.dts = p.pts = dts
    p.is_keyframe = key
    return p


def run(units: AccessUnits, packets: list[av.Packet]) -> list:
    out = []
    for i, p in enumerate(packets):
        out += units.feed(p, 1000 + i, None)
    return out + units.flush()


def test_a_keyframe_sent_as_two_packets_of_one_time_is_one_picture() -> None:
    """GStreamer's rtph264pay config-interval=-1 with two slices (observed)."""
    units = AccessUnits("h264")
    first = AUD + SPS + PPS + SPS + PPS + IDR_FIRST
    rest = SPS + PPS + IDR_NEXT
    out = run(units, [packet(first, 0, True), packet(rest, 0, True), packet(AUD + P_FIRST, 9000)])
    assert [(u.dts, u.keyframe, u.parts) for u in out] == [(0, True, 2), (9000, False, 1)]
    assert bytes(out[0].packet) == first + rest
    assert out[0].arrival_ms == 1000, "a picture arrives with its first packet"
    assert units.joined == 1


def test_slices_in_packets_of_their_own_join_their_picture() -> None:
    units = AccessUnits("h264")
    packets = [packet(P_FIRST, 0), packet(P_NEXT, 0), packet(P_NEXT, 0), packet(P_FIRST, 3000)]
    out = run(units, packets)
    assert [u.parts for u in out] == [3, 1]


def test_repeated_timestamps_still_separate_pictures() -> None:
    """Two pictures stamped alike: the bitstream, not the clock, says where one starts."""
    units = AccessUnits("h264")
    out = run(units, [packet(P_FIRST, 0), packet(P_FIRST, 0), packet(P_FIRST, 6000)])
    assert [u.dts for u in out] == [0, 0, 6000]


def test_a_prefix_in_its_own_packet_goes_with_the_picture_it_precedes() -> None:
    units = AccessUnits("h264")
    packets = [packet(P_FIRST, 0), packet(SEI, 6000), packet(P_FIRST, 6000)]
    out = run(units, packets)
    assert [(u.dts, u.parts) for u in out] == [(0, 1), (6000, 2)]
    assert bytes(out[1].packet) == SEI + P_FIRST


def test_a_slice_with_another_time_is_another_picture() -> None:
    """A lost first slice must not glue the next picture's rest onto this one."""
    units = AccessUnits("h264")
    out = run(units, [packet(P_FIRST, 0), packet(P_NEXT, 6000)])
    assert [u.dts for u in out] == [0, 6000]


def test_a_packet_without_time_takes_its_pictures_or_is_dropped() -> None:
    units = AccessUnits("h264")
    # FFmpeg's first packet: the start of the keyframe, no timestamp yet.
    packets = [
        packet(SPS + PPS + IDR_FIRST, None, True),
        packet(IDR_NEXT, 0, True),
        packet(P_FIRST, None),  # a picture that never gets a time
        packet(P_FIRST, 6000),
    ]
    out = run(units, packets)
    assert [(u.dts, u.parts, u.keyframe) for u in out] == [(0, 2, True), (6000, 1, False)]
    assert units.dropped == 1


def test_h265_slices_and_suffix_sei_stay_in_their_picture() -> None:
    units = AccessUnits("hevc")
    vps, sps, pps = SC + b"\x40\x01\x0c", SC + b"\x42\x01\x01", SC + b"\x44\x01\xc1"
    idr_first = SC + b"\x26\x01\xaf" + b"\x55" * 30  # IDR_W_RADL, first slice of picture
    idr_next = SC + b"\x26\x01\x2f" + b"\x66" * 30  # first_slice_segment_in_pic_flag 0
    suffix = SC + b"\x50\x01\x05\x80"  # suffix SEI (type 40)
    trail = SC + b"\x02\x01\xd0" + b"\x77" * 10  # TRAIL_R, first slice
    packets = [
        packet(vps + sps + pps + idr_first, 0, True),
        packet(idr_next, 0, True),
        packet(suffix, 0),
        packet(trail, 3000),
    ]
    out = run(units, packets)
    assert [(u.dts, u.parts) for u in out] == [(0, 3), (3000, 1)]


def test_packets_that_are_not_annex_b_pass_as_they_are() -> None:
    units = AccessUnits("h264")
    length_prefixed = b"\x00\x00\x00\x05\x65\x88\x01\x02\x03"
    out = run(units, [packet(length_prefixed, 0, True), packet(length_prefixed, 3000)])
    assert [u.parts for u in out] == [1, 1]
