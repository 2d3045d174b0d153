"""Third-party RTSP cameras (GStreamer's gst-rtsp-server, VLC) read as the recorder reads.

Each configuration is opened with PyAV over RTSP/TCP (VLC: UDP, its only transport) for
a few seconds: the codec, pictures that decode and move, GStreamer's capture-time
stamps, B-frames, audio tracks. Run with `-s` to see each camera's packet pattern.
"""

from __future__ import annotations

import errno
import itertools
import statistics
from pathlib import Path
from typing import Any, Literal

import av
import pytest

from beffroi.sim.stamp import read_stamp, sei_nal

from .gst_camera import gst_camera, gst_peer
from .packets import Capture, capture, describe
from .vlc_camera import vlc_camera

FPS = 10
GST_CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "sliced": {"slices": 4},
    "bframes": {"bframes": 2},
    "h265": {"codec": "h265"},
    "aac": {"audio": "aac"},
    "pcma": {"audio": "pcma"},
}
AUDIO_CODECS = {"none": [], "aac": ["aac"], "pcma": ["pcm_alaw"]}


def assert_decodes_and_moves(seen: Capture) -> None:
    assert seen.decoded >= 2 * FPS, describe(seen)
    assert seen.first_picture != seen.last_picture, "the pictures do not move"


def assert_keyframes_cut_per_slice(seen: Capture) -> None:
    """GStreamer's quirk: rtph264pay (config-interval=-1) repeats SPS and PPS before each
    IDR slice, and FFmpeg then cuts the keyframe into one packet per slice, all of one
    pts, each decoding as a picture. Other pictures come whole, one packet each."""
    slices = statistics.mode(seen.slices(p) for p in seen.packets if not p.keyframe)
    keyframes = [group for group in seen.pictures()[:-1] if group[0].keyframe]
    assert keyframes, describe(seen)
    for group in keyframes:
        assert [seen.slices(p) for p in group] == [1] * slices, describe(seen)
    assert all(len(group) == 1 for group in seen.pictures() if not group[0].keyframe)


def assert_stamped(seen: Capture) -> None:
    """One capture stamp per picture, in step with the pts, and seconds-fresh."""
    pictures = seen.pictures()
    stamps = [[s for packet in picture for s in packet.stamps] for picture in pictures]
    assert all(len(found) == 1 for found in stamps), describe(seen)
    # Lag = arrival − capture: never negative (one host, one clock). The packets FFmpeg
    # read while av.open probed arrive late by up to that probe; later ones are live.
    lags = [p.arrival - s / 1e6 for picture in pictures for p in picture for s in p.stamps]
    assert min(lags) > -0.05, lags
    assert max(lags) < seen.open_s + 1.0, (seen.open_s, lags)
    assert max(lags[-10:]) < 1.0, lags
    # Stamps and pts come from the same capture instant: equal steps, in pts order
    # (so B-frames, sent before the pictures they follow, are checked too).
    timed = sorted(
        (pts * seen.time_base, found[0] / 1e6)
        for picture, found in zip(pictures, stamps, strict=True)
        if (pts := picture[-1].pts) is not None
    )
    steps = [(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(timed)]
    assert all(abs(by_pts - by_stamp) < 0.02 for by_pts, by_stamp in steps), steps
    assert statistics.median(s for _, s in steps) == pytest.approx(1 / FPS, rel=0.1)


def test_h265_prefix_sei_stamps_read_back() -> None:
    for value in (0, 3, 0x0000_0000_0300_0001, 1_764_180_000_123_456, 2**64 - 1):
        nal = sei_nal(value, "h265")
        assert nal[:2] == b"\x4e\x01"  # prefix SEI, layer 0, temporal id 1
        assert b"\x00\x00\x00" not in nal and b"\x00\x00\x01" not in nal
        assert read_stamp(nal, "h265") == value
        assert read_stamp(nal) is None  # an H.264 reader sees NAL type 14, not SEI
        assert read_stamp(sei_nal(value), "h265") is None
    assert read_stamp(b"\x4e\x01\x05\x18" + bytes(24) + b"\x80", "h265") is None  # other UUID
    assert read_stamp(b"\x26\x01\xaf", "h265") is None  # an IDR slice


@pytest.mark.parametrize("name", GST_CONFIGS)
def test_gstreamer_camera(name: str) -> None:
    options = GST_CONFIGS[name]
    with gst_camera(**options) as url:
        seen = capture(url)
    print(f"\n--- GStreamer {name}\n{describe(seen)}")
    assert seen.codec == {"h264": "h264", "h265": "hevc"}[options.get("codec", "h264")]
    assert seen.audio_codecs == AUDIO_CODECS[options.get("audio", "none")]
    assert_decodes_and_moves(seen)
    assert_stamped(seen)
    assert_keyframes_cut_per_slice(seen)
    reordered = [p for p in seen.packets if None not in (p.pts, p.dts) and p.pts != p.dts]
    assert bool(reordered) == bool(options.get("bframes")), describe(seen)


@pytest.mark.parametrize("audio", ["aac", "pcma"])
def test_gstreamer_audio_track_can_be_left_out(audio: Literal["aac", "pcma"]) -> None:
    with gst_camera(audio=audio) as url:
        seen = capture(url, 0.5, options={"allowed_media_types": "video"})
    assert seen.audio_codecs == []
    assert seen.codec == "h264" and seen.packets


def test_gstreamer_camera_serves_the_next_client_and_stops_cleanly() -> None:
    """Non-shared media: the second client, after the first left, gets its own pipeline."""
    with gst_peer() as peer:
        first = capture(peer.url, 0.5)
        second = capture(peer.url, 0.5)
        code = peer.stop()
    for seen in (first, second):
        assert seen.packets and seen.decoded
        assert all(len(p.stamps) <= 1 for p in seen.packets)
        assert sum(len(p.stamps) for p in seen.packets) >= FPS
    assert code == 0, peer.stderr_tail()  # SIGTERM ends the main loop, exit 0


@pytest.mark.parametrize(
    "options",
    [{"bframes": 2, "audio": "aac"}, {"bframes": 0, "slices": 4}],
    ids=["bframes-aac", "sliced"],
)
def test_vlc_camera_over_udp(tmp_path: Path, options: dict[str, Any]) -> None:
    with vlc_camera(tmp_path, **options) as url:
        seen = capture(url, transport="udp")
    print(f"\n--- VLC {options}\n{describe(seen)}")
    assert seen.codec == "h264"
    assert seen.audio_codecs == AUDIO_CODECS[options.get("audio", "none")]
    assert_decodes_and_moves(seen)
    reordered = [p for p in seen.packets if None not in (p.pts, p.dts) and p.pts != p.dts]
    assert bool(reordered) == bool(options["bframes"]), describe(seen)
    assert not any(p.stamps for p in seen.packets)  # VLC sends no capture stamps


def test_vlc_refuses_rtsp_over_tcp(tmp_path: Path) -> None:
    """VLC answers a SETUP for interleaved TCP with 461: the recorder's transport fails."""
    with vlc_camera(tmp_path, duration_s=20) as url, pytest.raises(OSError) as failure:
        av.open(url, options={"rtsp_transport": "tcp", "timeout": "5000000"})
    assert failure.value.errno == errno.EPROTONOSUPPORT
