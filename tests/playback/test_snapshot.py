"""Decoding the frame at an instant from real fMP4 segments, whole and torn."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from beffroi.playback.snapshot import (
    NoFrameError,
    decode_frame_at,
    encode_jpeg,
    encode_png,
    locate_frame_at,
)
from tests.playback.segments import (
    FPS,
    index_of_level,
    picture_level,
    truncate_mid_last_fragment,
    write_segment,
)

T0 = 1_793_520_000_000


def _index(frame_gray: np.ndarray) -> int:
    return index_of_level(picture_level(frame_gray))


@pytest.mark.parametrize("offset_ms", [0, 66, 67, 999, 1000, 2345, 3999])
def test_frame_at_is_last_frame_not_after_instant(tmp_path: Path, offset_ms: int) -> None:
    seg = write_segment(tmp_path, "jlt-001", T0, seconds=4)
    found = locate_frame_at(seg.path, T0, T0 + offset_ms)
    expected = offset_ms * FPS // 1000
    assert _index(found.frame.to_ndarray(format="gray")) == expected
    assert found.wall_ms <= T0 + offset_ms < found.wall_ms + 1000 // FPS + 1


def test_frame_before_segment_start_is_refused(tmp_path: Path) -> None:
    seg = write_segment(tmp_path, "jlt-001", T0, seconds=2)
    with pytest.raises(NoFrameError):
        decode_frame_at(seg.path, T0, T0 - 1)


def test_truncated_part_file_decodes_complete_fragments(tmp_path: Path) -> None:
    seg = write_segment(tmp_path, "jlt-001", T0, seconds=4, part=True)
    truncate_mid_last_fragment(seg.path)
    frame = decode_frame_at(seg.path, T0, T0 + 2_500)
    assert _index(frame.to_ndarray(format="gray")) == 37
    # Far beyond what was written: the last readable frame, never an exception.
    late = locate_frame_at(seg.path, T0, T0 + 60_000)
    assert 2_000 <= late.wall_ms - T0 < 4_000


def test_jpeg_and_png_encode_the_picture(tmp_path: Path) -> None:
    seg = write_segment(tmp_path, "jlt-001", T0, seconds=2)
    frame = decode_frame_at(seg.path, T0, T0 + 1_000)
    raw = frame.to_ndarray(format="gray")
    jpeg = Image.open(io.BytesIO(encode_jpeg(frame)))
    png = Image.open(io.BytesIO(encode_png(frame)))
    assert jpeg.format == "JPEG" and png.format == "PNG"
    assert jpeg.size == png.size == (320, 240)
    assert _index(np.asarray(jpeg.convert("L"))) == 15
    # PNG is lossless: the RGB picture converts back to the decoded luma within rounding.
    assert abs(picture_level(np.asarray(png.convert("L"))) - picture_level(raw)) < 1.5
