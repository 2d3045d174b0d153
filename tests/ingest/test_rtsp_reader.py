"""Our RTSP reader's pieces, offline (`ingest/rtsp`): depacketizing, the session
description, decode times. Its sessions against real servers (GStreamer's, the
simulator's, auth, failures) are in `test_recording.py` and `test_conformance.py`, for
both readers; its parameter-set parser in `test_parameter_sets.py`."""

from __future__ import annotations

import itertools
import random
import socket
import threading
from pathlib import Path

import pytest

from beffroi.ingest.rtsp.pictures import DecodeTimes, ParameterSets, nal_units
from beffroi.ingest.rtsp.rtp import START, Depacketizer, StreamReader
from beffroi.ingest.rtsp.sdp import SdpError, video_media
from beffroi.sim.bitstream import load_clip
from beffroi.sim.rtp import PacketizedClip, rtcp_sender_report
from beffroi.sim.specs import CameraSpec

SSRC = 0x1234
WALL = 1_796_000_000.25  # the sender report's NTP time, Unix seconds


def _interleaved(clip: PacketizedClip, loops: int, drop: int | None = None):
    """The clip sent `loops` times: sequence numbers wrap, RTP time crosses 2³²; a sender
    report and an RTSP reply between frames; the packet `drop` (a count) left out."""
    seq, ts0 = 65_000, (1 << 32) - 20 * 6000
    data, expected, sent = bytearray(), [], 0
    for loop in range(loops):
        for frame, unit in zip(clip.frames, clip.clip.access_units, strict=True):
            ts = ts0 + loop * clip.duration + unit.pts
            rendered = frame.render(seq, ts & 0xFFFFFFFF, SSRC)
            whole = True
            if drop is not None and sent <= drop < sent + frame.packet_count:
                offsets = [*frame.header_offsets, len(rendered)]
                k = drop - sent
                rendered = rendered[: offsets[k]] + rendered[offsets[k + 1] :]
                whole = False
            data += rendered
            sent += frame.packet_count
            seq = (seq + frame.packet_count) & 0xFFFF
            if whole:
                expected.append((ts, b"".join(START + n for n in unit.nals), unit.keyframe))
            if len(expected) == 10:
                data += rtcp_sender_report(SSRC, ts & 0xFFFFFFFF, 1, 1, WALL)
                data += b"RTSP/1.0 200 OK\r\nCSeq: 5\r\nContent-Length: 4\r\n\r\nabcd"
    return bytes(data), expected


def _read(data: bytes, codec: str) -> tuple[list, Depacketizer]:
    """`data` through a StreamReader over a socket pair, written in odd-sized pieces."""
    a, b = socket.socketpair()
    b.settimeout(10)
    depack = Depacketizer(codec, 96)
    reader = StreamReader(b, depack, (0, 1))

    def write() -> None:
        rng, pos = random.Random(1), 0
        while pos < len(data):
            n = rng.choice((1, 3, 7, 1000, 1500, 40_000, 300_000))
            a.sendall(data[pos : pos + n])
            pos += n
        a.close()

    writer = threading.Thread(target=write)
    writer.start()
    pictures = []
    while reader.read():
        pictures += depack.ready
        depack.ready = []
    writer.join()
    b.close()
    return pictures, depack


@pytest.mark.parametrize("codec", ["h264", "h265"])
def test_pictures_come_out_whole_byte_for_byte(codec: str, sim_cache: Path) -> None:
    camera = CameraSpec(name="c", codec=codec, width=320, height=240, fps=15, duration=2.0)
    clip = PacketizedClip(load_clip(camera.clip, sim_cache))
    data, expected = _interleaved(clip, loops=3)
    pictures, depack = _read(data, "hevc" if codec == "h265" else "h264")
    got = [(p.rtp_ts, p.data, p.keyframe) for p in pictures]
    assert len(got) == len(expected) == 3 * len(clip.frames)
    assert got == expected
    assert depack.lost == depack.dropped == depack.unsupported == 0
    assert all(p.parameter_sets == p.keyframe for p in pictures)  # the clip's keyframes carry them
    # The sender report maps its RTP time to its NTP time, on the unwrapped timeline.
    assert depack.report is not None
    ntp_us, rtp = depack.report
    assert ntp_us == pytest.approx(WALL * 1e6, abs=1)
    assert rtp == expected[9][0]


def test_a_lost_packet_loses_its_picture_only(sim_cache: Path) -> None:
    camera = CameraSpec(name="c", width=320, height=240, fps=15, duration=2.0, bitrate=600_000)
    clip = PacketizedClip(load_clip(camera.clip, sim_cache))
    first = clip.frames[0].packet_count  # the keyframe: several packets
    assert first > 2
    data, expected = _interleaved(clip, loops=1, drop=first // 2)
    pictures, depack = _read(data, "h264")
    assert depack.lost == 1 and depack.dropped == 1
    assert [(p.rtp_ts, p.data, p.keyframe) for p in pictures] == expected
    assert len(pictures) == len(clip.frames) - 1


GST_SDP = """v=0
o=- 1188340656180883 1 IN IP4 127.0.0.1
s=Session streamed with GStreamer
t=0 0
a=tool:GStreamer
a=type:broadcast
a=control:*
a=range:npt=now-
m=audio 0 RTP/AVP 97
c=IN IP4 0.0.0.0
a=rtpmap:97 MPEG4-GENERIC/48000/2
a=control:stream=1
m=video 0 RTP/AVP 96
c=IN IP4 0.0.0.0
a=rtpmap:96 H264/90000
a=fmtp:96 packetization-mode=1;profile-level-id=64001f;{sprops}
a=control:stream=0
""".format(sprops="sprop-parameter-sets=Z2QAH6y0AoAt0IAAAAMAgAAADweMGVA=,aO88sA==")


def test_the_video_track_of_a_session_description() -> None:
    media = video_media(GST_SDP)
    assert (media.codec, media.payload_type, media.clock_rate) == ("h264", 96, 90_000)
    assert media.control == "stream=0"
    sps, pps = media.parameter_sets()
    assert sps[0] & 0x1F == 7 and pps[0] & 0x1F == 8
    sets = ParameterSets("h264", media.parameter_sets())
    assert sets.info is not None and (sets.info.width, sets.info.height) == (1280, 720)
    assert nal_units(sets.annex_b) == [sps, pps]

    hevc = video_media(
        "m=video 0 RTP/AVP 98\r\na=rtpmap:98 H265/90000\r\n"
        "a=fmtp:98 sprop-vps=QAEMAf//;sprop-sps=QgEB;sprop-pps=RAHA\r\n"
        "a=control:rtsp://cam/live/track1\r\n"
    )
    assert hevc.codec == "hevc" and hevc.control == "rtsp://cam/live/track1"
    assert [n[0] >> 1 for n in hevc.parameter_sets()] == [32, 33, 34]

    with pytest.raises(SdpError) as refused:
        video_media("m=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\n")
    assert refused.value.reason == "unsupported_codec" and "JPEG" in str(refused.value)
    with pytest.raises(SdpError) as refused:
        video_media("m=audio 0 RTP/AVP 0\r\n")
    assert refused.value.reason == "no_video"


def _valid(order: list[int], dts: list[int]) -> bool:
    increasing = all(a < b for a, b in itertools.pairwise(dts))
    return increasing and all(d <= p for d, p in zip(dts, order, strict=True))


def test_decode_times_of_b_frames() -> None:
    tick = 6000
    # Decoding order of I P B B P B B …, as x264 sends two B-frames (one picture deep).
    order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8]
    pts = [p * tick for p in order]
    times = DecodeTimes(1, jump_ticks=90_000, period_ticks=tick)
    dts = [times.next(p) for p in pts]
    assert _valid(pts, dts) and times.raised == 0
    # Each the picture before in display order; the first a picture before its own: one
    # composition offset for every keyframe, the session's first included (FFmpeg's too).
    assert dts == [p * tick for p in range(-1, 9)]

    # An SPS that says nothing (or too little): the depth grows, and stays right after.
    times = DecodeTimes(0, jump_ticks=90_000)
    dts = [times.next(p) for p in pts]
    assert times.reorder == 1 and times.raised == 1
    assert _valid(pts[3:], dts[3:])

    # Without B-frames the decode time is the presentation time.
    times = DecodeTimes(0, jump_ticks=90_000)
    assert [times.next(p) for p in range(0, 60_000, tick)] == list(range(0, 60_000, tick))


def test_a_camera_clock_jump_restarts_the_decode_times() -> None:
    tick = 6000
    times = DecodeTimes(1, jump_ticks=90_000)
    before = [times.next(p * tick) for p in [0, 3, 1, 2]]
    after = [times.next(p * tick - 225_000) for p in [4, 7, 5, 6]]  # 2.5 s back
    assert times.jumps == 1 and times.raised == 0
    assert _valid([p * tick for p in [0, 3, 1, 2]], before)
    assert _valid([p * tick - 225_000 for p in [4, 7, 5, 6]], after)
    ahead = [times.next(p * tick + 3600 * 90_000) for p in [8, 11, 9, 10]]  # an hour on
    assert times.jumps == 2
    assert _valid([p * tick + 3600 * 90_000 for p in [8, 11, 9, 10]], ahead)
