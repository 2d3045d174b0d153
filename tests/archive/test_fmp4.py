"""The one fragmented-MP4 box module: parse a real segment, rewrite a fragment, read
the result back (and through FFmpeg), and refuse malformed boxes with one error."""

from __future__ import annotations

import io
import itertools
import struct
from dataclasses import replace
from pathlib import Path

import av
import pytest

from beffroi.archive.fmp4 import (
    SegmentFormatError,
    box,
    complete_prefix,
    find,
    output_moov,
    parse_init,
    parse_moof,
    parse_moov,
    patch_moof,
    read_layout,
    rewritten,
)
from tests.playback.segments import FPS, encode_fmp4


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fmp4") / "seg.mp4"
    encode_fmp4(path, 3 * FPS)
    return path


def test_layout_tiles_the_file_and_agrees_with_the_salvage_scan(segment: Path) -> None:
    data = segment.read_bytes()
    with segment.open("rb") as f:
        layout = read_layout(f, len(data))
        end, count = complete_prefix(f, len(data))
    track = layout.track
    assert (track.width, track.height, track.timescale > 0) == (320, 240, True)
    assert track.codec.startswith("avc1.") and parse_init(data[: layout.init_size]) == track
    assert len(layout.fragments) == count == 3
    assert layout.fragments[0].offset == layout.init_size
    for a, b in itertools.pairwise(layout.fragments):
        assert a.offset + a.size == b.offset
        assert b.decode_time == a.decode_time + a.duration
    assert all(f.keyframe and f.samples == FPS for f in layout.fragments)
    assert layout.fragments[-1].offset + layout.fragments[-1].size <= end


def test_rewriting_a_fragment_round_trips_and_still_decodes(segment: Path) -> None:
    data = segment.read_bytes()
    with segment.open("rb") as f:
        layout = read_layout(f, len(data))
    frag = layout.fragments[1]
    raw = data[frag.offset : frag.offset + frag.size]
    assert parse_moof(raw, layout.track, offset=frag.offset) == frag
    later = 90 * layout.track.timescale  # as if this fragment came 90 s into a stream
    moved = rewritten(raw, frag, 7, later)
    again = parse_moof(moved, layout.track, offset=frag.offset)
    assert again == replace(frag, decode_time=later)
    assert int.from_bytes(moved[frag.sequence_at : frag.sequence_at + 4], "big") == 7
    changed = {i for i, (a, b) in enumerate(zip(raw, moved, strict=True)) if a != b}
    fields = set(range(frag.tfdt_at, frag.tfdt_at + 8))
    fields |= set(range(frag.sequence_at, frag.sequence_at + 4))
    assert changed and changed <= fields
    with av.open(io.BytesIO(data[: layout.init_size] + moved), format="mp4") as c:
        frames = list(c.decode(video=0))
    assert len(frames) == FPS
    assert float(frames[0].time) == pytest.approx(90.0, abs=0.01)
    assert frames[0].to_ndarray().mean() != frames[-1].to_ndarray().mean()  # the square moved


def test_output_moov_states_the_duration_and_keeps_the_track(segment: Path) -> None:
    data = segment.read_bytes()
    with segment.open("rb") as f:
        track = read_layout(f, len(data)).track
    out = output_moov(track, 3 * track.timescale)
    again = parse_moov(out)
    assert again.joinable(track) and again.codec == track.codec
    mehd = find(out, 8, len(out), "mvex", "mehd")
    assert struct.unpack_from(">Q", out, mehd.body + 4)[0] == 3 * track.movie_timescale


def _moof(flags_tfhd: int, tfdt_version: int) -> bytes:
    """A minimal moof: absolute base offset (optional), 32- or 64-bit tfdt, one trun of
    two samples with their durations and the first sample's flags."""
    tfhd_body = struct.pack(">II", flags_tfhd, 1)
    if flags_tfhd & 0x1:
        tfhd_body += struct.pack(">Q", 1000)
    tfdt = box("tfdt", bytes([tfdt_version, 0, 0, 0]) + (5).to_bytes(8 if tfdt_version else 4))
    trun = box("trun", struct.pack(">III", 0x000104, 2, 0) + struct.pack(">II", 40, 60))
    traf = box("traf", box("tfhd", tfhd_body) + tfdt + trun)
    return box("moof", box("mfhd", struct.pack(">II", 0, 3)) + traf)


def test_absolute_offsets_and_32_bit_decode_times(segment: Path) -> None:
    data = segment.read_bytes()
    with segment.open("rb") as f:
        track = read_layout(f, len(data)).track
    moof = _moof(0x1, 0)
    frag = parse_moof(moof, track)
    assert (frag.decode_time, frag.duration, frag.samples, frag.keyframe) == (5, 100, 2, True)
    assert not frag.tfdt_wide and frag.base_offset_at is not None
    with pytest.raises(SegmentFormatError, match="absolute"):
        parse_moof(moof, track, standalone=True)
    buf = bytearray(moof)
    patch_moof(buf, 0, frag, 9, 1 << 20, moved_by=24)
    assert struct.unpack_from(">Q", buf, frag.base_offset_at)[0] == 1024
    assert parse_moof(buf, track).decode_time == 1 << 20
    with pytest.raises(SegmentFormatError, match="32-bit"):
        patch_moof(buf, 0, frag, 9, 1 << 32)


def test_malformed_boxes_raise_the_one_error(segment: Path) -> None:
    data = segment.read_bytes()
    with segment.open("rb") as f:
        layout = read_layout(f, len(data))
    moov = layout.track.moov
    cut = moov[:-40]
    with pytest.raises(SegmentFormatError):
        parse_moov(struct.pack(">I", len(cut)) + cut[4:])  # a consistent header, a cut body
    with pytest.raises(SegmentFormatError):
        parse_moof(_moof(0, 1)[:-6], layout.track)  # the trun's samples cut short
    with pytest.raises(SegmentFormatError):
        parse_init(data[: len(layout.ftyp)])  # no moov at all
    with pytest.raises(SegmentFormatError):
        read_layout(io.BytesIO(data[len(layout.ftyp) :]), len(data) - len(layout.ftyp))
