"""Indexing the fragments of real fMP4 segments, and planning a window over them."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import pytest

from beffroi.archive.fmp4 import SegmentFormatError, complete_prefix
from beffroi.playback.fragments import read_segment_file
from beffroi.playback.stream import iter_mp4, plan_window
from beffroi.playback.timeline import Span
from tests.playback.segments import FPS, truncate_mid_last_fragment, write_segment

T0 = 1_793_516_400_000


def test_fragments_start_on_keyframes_every_second(tmp_path: Path) -> None:
    seg = write_segment(tmp_path, "jlt-001", T0, seconds=4)
    index = read_segment_file(seg.path)
    assert len(index.fragments) == 4
    assert all(f.keyframe for f in index.fragments)
    assert [round(index.offset_ms(f.decode_time)) for f in index.fragments] == [0, 1000, 2000, 3000]
    assert sum(f.duration for f in index.fragments) == 4 * index.timescale
    # The fragments tile the file after the init part, as the box scanner sees it.
    assert index.fragments[0].offset == index.init_size
    for a, b in zip(index.fragments, index.fragments[1:], strict=False):
        assert a.offset + a.size == b.offset
    with seg.path.open("rb") as f:
        end, count = complete_prefix(f, seg.path.stat().st_size)
    last = index.fragments[-1]
    assert count == 4 and end >= last.offset + last.size  # then only the closing mfra
    assert index.keyframe_at_or_before(2_999) == 2
    assert index.keyframe_at_or_before(3_000) == 3


def test_part_file_indexes_complete_fragments_only(tmp_path: Path) -> None:
    seg = write_segment(tmp_path, "jlt-001", T0, seconds=4, part=True)
    truncate_mid_last_fragment(seg.path)
    index = read_segment_file(seg.path)
    assert len(index.fragments) == 3
    assert index.fragments[-1].offset + index.fragments[-1].size <= seg.path.stat().st_size


def test_not_an_mp4_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00" + b"x" * 100)
    with pytest.raises(SegmentFormatError):
        read_segment_file(junk)


def test_window_mid_segment_starts_at_keyframe_and_spans_segments(tmp_path: Path) -> None:
    segs = [write_segment(tmp_path, "jlt-001", T0 + k * 4_000, seconds=4) for k in range(2)]
    spans = [Span(s.start_ms, s.end_ms, i, path=s.relpath) for i, s in enumerate(segs)]
    plan = plan_window("jlt-001", spans, T0 + 2_500, T0 + 6_500, tmp_path)
    assert plan.keyframe_wall_ms == T0 + 2_000
    assert [(p.first, p.last) for p in plan.pieces] == [(2, 4), (0, 3)]
    out = tmp_path / "window.mp4"
    out.write_bytes(b"".join(iter_mp4(plan)))
    with av.open(str(out)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    # 2 s of the first segment then 3 s of the second, on one continuous clock from 0.
    assert len(times) == 5 * FPS
    assert times[0] == 0.0
    assert all(0 < b - a < 0.07 for a, b in itertools.pairwise(times))
