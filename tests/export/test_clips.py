"""Clips: index segments → MP4 files by stream copy, cut at keyframes, split at gaps."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import av
import pytest
from sqlalchemy import Engine

from beffroi.export.clips import IntegrityFault, plan_item, write_clip
from tests.archive.seed import add_cameras
from tests.export.helpers import T0, frames, packets, record
from tests.playback.segments import FPS


@pytest.fixture
def root(engine: Engine, tmp_path: Path) -> Path:
    add_cameras(engine, "jlt-001")
    return tmp_path / "archive"


def _plan(engine: Engine, root: Path, start: int, end: int):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return plan_item(conn, root, "jlt-001", start, end, horizon_ms=T0 + 3_600_000)


def _write(root: Path, clip) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    sha, size = write_clip(clip, root, out, lambda n: None)
    assert size == len(out.getvalue()) == clip.size()
    assert sha == hashlib.sha256(out.getvalue()).hexdigest()
    return out.getvalue()


def test_contiguous_segments_join_by_stream_copy_from_the_keyframe_before(
    engine: Engine, root: Path
) -> None:
    rows = record(engine, root, "jlt-001", T0, 3)  # 12 s, keyframe every second
    plan = _plan(engine, root, T0 + 1500, T0 + 10_500)
    assert len(plan.files) == 1 and plan.gaps == []
    clip = plan.files[0]
    # Cut at fragment level: from the keyframe at 1.0 s, to the fragment holding 10.5 s.
    assert (clip.start_ms, clip.end_ms) == (T0 + 1000, T0 + 11_000)
    data = _write(root, clip)
    got = frames(data)
    assert len(got) == clip.frames == 10 * FPS
    # Frames move, in order, across both joins, at the right media times.
    expected = [(i % (4 * FPS)) for i in range(FPS, 11 * FPS)]
    assert [idx for _, idx in got] == expected
    # The second segment starts at wall +4 s, i.e. 3 s into the file (start + currentTime).
    assert got[3 * FPS][1] == 0 and got[3 * FPS][0] == pytest.approx(3.0, abs=0.001)
    with av.open(io.BytesIO(data)) as c:
        assert c.duration / 1e6 == pytest.approx(10.0, abs=0.01)
    # Stream copy: the compressed frames are the archive's, byte for byte.
    source = [p for r in rows for p in packets(root / r["path"])]
    assert packets(data) == source[FPS : 11 * FPS]


def test_a_gap_splits_the_delivery_into_files_and_is_listed(engine: Engine, root: Path) -> None:
    record(engine, root, "jlt-001", T0, 2)  # 0–8 s
    record(engine, root, "jlt-001", T0 + 20_000, 1)  # 20–24 s
    plan = _plan(engine, root, T0, T0 + 24_000)
    assert [(f.start_ms - T0, f.end_ms - T0) for f in plan.files] == [(0, 8000), (20_000, 24_000)]
    assert plan.gaps == [(T0 + 8000, T0 + 20_000)]
    for clip, seconds in zip(plan.files, (8, 4), strict=True):
        got = frames(_write(root, clip))
        assert len(got) == seconds * FPS
        assert len({idx for _, idx in got}) > FPS  # pictures change: frames move


def test_no_footage_gives_no_file_and_the_whole_range_as_a_gap(engine: Engine, root: Path) -> None:
    record(engine, root, "jlt-001", T0, 1)
    plan = _plan(engine, root, T0 + 60_000, T0 + 120_000)
    assert plan.files == [] and plan.gaps == [(T0 + 60_000, T0 + 120_000)]


def test_gaps_stop_at_the_horizon(engine: Engine, root: Path) -> None:
    record(engine, root, "jlt-001", T0, 1)
    with engine.connect() as conn:
        plan = plan_item(conn, root, "jlt-001", T0, T0 + 60_000, horizon_ms=T0 + 10_000)
    assert plan.gaps == [(T0 + 4000, T0 + 10_000)]  # after "now" nothing is missing yet


def test_an_altered_segment_fails_the_export_naming_it(engine: Engine, root: Path) -> None:
    rows = record(engine, root, "jlt-001", T0, 2)
    plan = _plan(engine, root, T0, T0 + 8000)
    victim = root / rows[1]["path"]
    data = bytearray(victim.read_bytes())
    data[-100] ^= 0xFF  # one bit of picture data, in the last mdat
    victim.write_bytes(bytes(data))
    with pytest.raises(IntegrityFault, match=rows[1]["path"]):
        _write(root, plan.files[0])


def test_a_missing_segment_file_is_an_integrity_fault(engine: Engine, root: Path) -> None:
    rows = record(engine, root, "jlt-001", T0, 1)
    (root / rows[0]["path"]).unlink()
    with pytest.raises(IntegrityFault, match="missing"):
        _plan(engine, root, T0, T0 + 4000)
