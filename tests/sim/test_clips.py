from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from beffroi.sim import clips
from beffroi.sim.bitstream import H264_IDR, load_clip, nal_type, split_annexb
from beffroi.sim.clips import ClipSpec, encode_count, ensure_clip
from beffroi.sim.pattern import PatternGenerator

TINY = ClipSpec(width=160, height=120, fps=10, bitrate=100_000, duration=1.0)


def test_second_call_uses_cache(clip_cache: Path) -> None:
    first = ensure_clip(TINY, clip_cache)
    mtime = first.stat().st_mtime_ns
    count = encode_count()
    second = ensure_clip(TINY, clip_cache)
    assert second == first
    assert encode_count() == count
    assert second.stat().st_mtime_ns == mtime
    assert not list(clip_cache.glob("*.tmp")), "temporary files must be renamed or removed"


def test_concurrent_threads_encode_once(tmp_path: Path) -> None:
    before = encode_count()
    paths: list[Path] = []
    threads = [
        threading.Thread(target=lambda: paths.append(ensure_clip(TINY, tmp_path))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(paths)) == 1
    assert encode_count() == before + 1


def test_h264_clip_structure(clip_cache: Path) -> None:
    spec = ClipSpec(width=320, height=240, fps=15, bitrate=300_000, duration=3.0)
    clip = load_clip(spec, clip_cache)
    assert (clip.width, clip.height, clip.fps) == (320, 240, 15.0)
    units = clip.access_units
    assert len(units) == 45
    assert clip.duration == 45 * 6000
    # No B-frames: presentation order equals decode order with a constant step.
    assert [unit.pts for unit in units] == [i * 6000 for i in range(45)]
    assert [i for i, unit in enumerate(units) if unit.keyframe] == [0, 15, 30]
    for unit in units:
        assert unit.nals and all(nal and nal[0] & 0x80 == 0 for nal in unit.nals)
        types = [nal_type("h264", nal) for nal in unit.nals]
        if unit.keyframe:
            assert types[:2] == [7, 8] and H264_IDR in types  # in-band SPS/PPS then IDR
        else:
            assert H264_IDR not in types
    fmtp = clip.fmtp()
    assert "packetization-mode=1" in fmtp
    assert f"profile-level-id={clip.sps[0][1:4].hex()}" in fmtp
    assert "sprop-parameter-sets=" in fmtp
    assert 150_000 < clip.bitrate < 600_000


def test_h265_clip_has_parameter_sets(clip_cache: Path) -> None:
    spec = ClipSpec(codec="h265", width=320, height=240, fps=15, bitrate=300_000, duration=3.0)
    clip = load_clip(spec, clip_cache)
    assert clip.vps and clip.sps and clip.pps
    first = [nal_type("h265", nal) for nal in clip.access_units[0].nals]
    assert first[:3] == [32, 33, 34]
    assert any(19 <= t <= 20 for t in first)  # IDR_W_RADL or IDR_N_LP
    assert "sprop-vps=" in clip.fmtp() and "sprop-pps=" in clip.fmtp()


def test_pattern_moves_and_is_not_uniform() -> None:
    generator = PatternGenerator(320, 240, 15)
    a, b = generator.frame(0)[:240], generator.frame(1)[:240]
    assert a.shape == (240, 320)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 3
    assert a.std() > 20


def test_vtest_falls_back_to_synthetic(clip_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clips, "VTEST_CANDIDATES", ())
    monkeypatch.delenv("BEFFROI_VTEST", raising=False)
    spec = ClipSpec(width=160, height=120, fps=10, bitrate=100_000, duration=1.0, source="vtest")
    assert ensure_clip(spec, clip_cache).name == ensure_clip(TINY, clip_cache).name


def test_split_annexb_handles_both_start_codes() -> None:
    data = b"\x00\x00\x00\x01\x67\x01\x02\x00\x00\x01\x68\x03\x00\x00\x00\x01\x65\x04"
    assert split_annexb(data) == [b"\x67\x01\x02", b"\x68\x03", b"\x65\x04"]


def _fake_vtest(path: Path) -> None:
    """A stand-in for OpenCV's vtest.avi: 2 s of MPEG-4 Part 2 at 10 fps, 200x150."""
    import av

    generator = PatternGenerator(200, 150, 10, seed=7)
    with av.open(str(path), "w", format="avi") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 200, 150, "yuv420p"
        for index in range(20):
            frame = av.VideoFrame.from_ndarray(generator.frame(index), format="yuv420p")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


@pytest.mark.parametrize("compressed", [False, True])
def test_vtest_source_is_reencoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compressed: bool
) -> None:
    import gzip
    import shutil

    source = tmp_path / "vtest.avi"
    _fake_vtest(source)
    if compressed:
        with source.open("rb") as src, gzip.open(tmp_path / "vtest.avi.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        source.unlink()
        source = tmp_path / "vtest.avi.gz"
    monkeypatch.setenv("BEFFROI_VTEST", str(source))
    spec = ClipSpec(width=160, height=120, fps=15, bitrate=100_000, duration=1.0, source="vtest")
    path = ensure_clip(spec, tmp_path / "cache")
    assert "vtest" in path.name
    clip = load_clip(spec, tmp_path / "cache")
    assert (clip.width, clip.height, len(clip.access_units)) == (160, 120, 15)
    assert clip.access_units[0].keyframe
