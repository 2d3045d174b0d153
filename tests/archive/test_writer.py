"""The segment writer against real H.264: cuts, timestamps, visibility, hashes."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

from beffroi.archive.layout import PART_SUFFIX
from beffroi.archive.salvage import probe_segment, salvage_part
from beffroi.archive.segment import Segment
from beffroi.archive.writer import SegmentWriter
from beffroi.ingest.spec import VideoTrack
from beffroi.ingest.state import LiveSegment
from tests.media import ClipSource, decode_levels, level, make_clip

T0 = 1_793_000_000_000  # 2026-10-26, a fixed wall-clock origin in ms
FRAME_MS = 1000 / 15


@pytest.fixture(scope="module")
def clip() -> ClipSource:
    return ClipSource(make_clip(seconds=6.0))


def record(
    root: Path, clip: ClipSource, segment_ms: int = 2000, mutate=None
) -> tuple[list[Segment], list[LiveSegment | None], SegmentWriter]:
    closed: list[Segment] = []
    lives: list[LiveSegment | None] = []
    stream, packets = clip.open()
    writer = SegmentWriter(
        root,
        "cam-a",
        VideoTrack.of_stream(stream),
        closed.append,
        lives.append,
        segment_ms=segment_ms,
    )
    for i, packet in enumerate(packets):
        wall = T0 + round(i * FRAME_MS)
        if mutate is not None:
            wall = mutate(i, packet, wall)
            if wall is None:
                continue
        writer.write(packet, wall)
    writer.close()
    return closed, lives, writer


def test_segments_are_cut_on_keyframes_contiguous_and_complete(tmp_path: Path, clip) -> None:
    closed, _, _ = record(tmp_path, clip)
    assert len(closed) == 3
    assert sum(s.frames for s in closed) == 90
    assert closed[0].start_ms == T0
    for a, b in itertools.pairwise(closed):
        assert a.end_ms == b.start_ms, "consecutive segments must be contiguous"
    assert abs(closed[-1].end_ms - (T0 + 6000)) <= 70
    levels = [lv for s in closed for lv in decode_levels(tmp_path / s.path)]
    assert len(levels) == 90
    assert all(abs(lv - level(i)) <= 3 for i, lv in enumerate(levels)), "frames out of order"
    for s in closed:
        data = (tmp_path / s.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s.sha256
        assert len(data) == s.bytes
        assert s.codec == "h264" and (s.width, s.height) == (320, 240)
        assert 14 <= s.fps <= 16
    assert not list(tmp_path.rglob("*" + PART_SUFFIX))


def test_the_times_given_are_recorded_not_the_cameras(tmp_path: Path, clip) -> None:
    """The frame clock (ingest) decides when pictures were filmed; a jump of the camera's
    own timestamps reaches the writer already placed, and must not reach the file."""

    def jump(i, packet, wall):
        if i >= 40:  # the camera's clock leaps an hour ahead
            shift = round(3600 / packet.time_base)
            packet.dts += shift
            packet.pts += shift
        return wall

    closed, _, _ = record(tmp_path, clip, mutate=jump)
    assert sum(s.frames for s in closed) == 90
    assert closed[-1].end_ms - closed[0].start_ms < 6100, "a camera jump must not add time"
    for a, b in itertools.pairwise(closed):
        assert a.end_ms == b.start_ms


def test_a_backwards_timestamp_keeps_the_file_monotonic(tmp_path: Path, clip) -> None:
    def back(i, packet, wall):
        if i >= 50:
            shift = round(30 / packet.time_base)  # 30 s back in time
            packet.dts -= shift
            packet.pts -= shift
        return wall

    closed, _, _ = record(tmp_path, clip, segment_ms=60_000, mutate=back)
    assert len(closed) == 1 and closed[0].frames == 90
    assert len(decode_levels(tmp_path / closed[0].path)) == 90


def test_a_silence_is_a_gap_and_recording_resumes_on_a_keyframe(tmp_path: Path, clip) -> None:
    def silence(i, packet, wall):
        return wall + (10_000 if i >= 40 else 0)  # the network went quiet for 10 s

    closed, _, _ = record(tmp_path, clip, segment_ms=60_000, mutate=silence)
    assert len(closed) == 2
    first, second = closed
    assert second.start_ms - first.end_ms >= 9_000, "the silence must stay a visible gap"
    assert first.frames == 40
    assert second.frames == 90 - 45, "frames before the next keyframe are not decodable"


def test_footage_is_visible_fragment_by_fragment(tmp_path: Path, clip) -> None:
    seen: list[int] = []

    def watch(i, packet, wall):
        if i == 50:
            part = next(tmp_path.rglob("*" + PART_SUFFIX))
            seen.extend(decode_levels(part))
        return wall

    closed, lives, _ = record(tmp_path, clip, segment_ms=60_000, mutate=watch)
    assert len(seen) >= 30, "complete fragments must be readable while the segment grows"
    flushed = [lv.flushed_end_ms for lv in lives if lv is not None]
    assert flushed == sorted(flushed) and len(flushed) >= 4
    assert lives[-1] is None, "closing the segment clears the live state"
    assert closed[0].start_ms <= flushed[0] < flushed[-1] <= closed[0].end_ms


def test_salvage_keeps_every_complete_fragment_of_a_killed_segment(tmp_path: Path, clip) -> None:
    stream, packets = clip.open()
    writer = SegmentWriter(
        tmp_path, "cam-a", VideoTrack.of_stream(stream), lambda s: None, segment_ms=60_000
    )
    for i, packet in enumerate(packets):
        if i == 70:
            break
        writer.write(packet, T0 + round(i * FRAME_MS))
    part = next(tmp_path.rglob("*" + PART_SUFFIX))
    with open(part, "ab") as f:  # a torn fragment, as a power cut would leave it
        f.write(b"\x00\x00\x10\x00moof" + b"\x01" * 100)
    writer.abort()
    info = salvage_part(tmp_path, part)
    assert info is not None and info.salvaged
    final = tmp_path / info.path
    assert final.exists() and not part.exists()
    assert info.frames >= 60, "at most the fragment being written is lost"
    assert hashlib.sha256(final.read_bytes()).hexdigest() == info.sha256
    assert len(decode_levels(final)) == info.frames
    assert info.start_ms == T0
    again = probe_segment(tmp_path, final, salvaged=True)
    assert again is not None and again.sha256 == info.sha256


def test_salvage_removes_a_part_with_no_complete_fragment(tmp_path: Path) -> None:
    part = tmp_path / "cam-a" / "2026-10-26" / "cam-a-20261026T080000.000Z.mp4.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"\x00\x00\x00\x18ftypisom")
    assert salvage_part(tmp_path, part) is None
    assert not part.exists()
