"""`beffroi reindex`: a database lost, the segment files remain; the index and its
chains come back from the files, and what cannot be proven is said."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, delete, select

from beffroi.archive.check import check_archive
from beffroi.archive.segment import Segment
from beffroi.archive.tables import segments
from beffroi.archive.writer import SegmentWriter
from beffroi.ingest.spec import VideoTrack
from tests.archive.seed import add_cameras
from tests.media import ClipSource, make_clip


def _record(root: Path, camera: str, start_ms: int) -> list[Segment]:
    closed: list[Segment] = []
    stream, packets = ClipSource(make_clip(seconds=4.0)).open()
    w = SegmentWriter(root, camera, VideoTrack.of_stream(stream), closed.append, segment_ms=1000)
    for i, p in enumerate(packets):
        w.write(p, start_ms + round(i * 1000 / 15))
    w.close()
    return closed


def test_the_index_comes_back_from_the_files(engine: Engine, db_url: str, data_dir: Path) -> None:
    root = data_dir / "archive"
    add_cameras(engine, "cam-a")
    closed = _record(root, "cam-a", 1_793_000_000_000)
    _record(root, "cam-x", 1_793_000_000_000)  # a camera the site no longer has
    (root / "cam-a" / "2026-10-29").mkdir(parents=True, exist_ok=True)
    junk = root / "cam-a" / "2026-10-29" / "cam-a-20261029T000000.000Z.mp4"
    junk.write_bytes(b"not a segment")
    # The database is lost: an empty one, the site's cameras applied again.
    with engine.begin() as conn:
        conn.execute(delete(segments))
    env = {**os.environ, "BEFFROI_DATABASE_URL": db_url}
    r = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "reindex", "--data", str(data_dir)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    # It indexed what it could and says what it could not prove: exit 1.
    assert r.returncode == 1, r.stdout + r.stderr
    assert "4 segment(s) indexed from files" in r.stdout
    assert "cam-x: 4 file(s)" in r.stdout and junk.name in r.stdout
    with engine.connect() as conn:
        links = conn.execute(
            select(segments.c.sha256, segments.c.prev_sha256, segments.c.salvaged)
            .where(segments.c.camera_id == "cam-a")
            .order_by(segments.c.start_ms)
        ).all()
    assert [sha for sha, _, _ in links] == [s.sha256 for s in closed]
    assert all(salvaged for _, _, salvaged in links)  # made from files, not witnessed
    for prev, cur in itertools.pairwise(links):
        assert cur[1] == prev[0]
    junk.unlink()
    report = check_archive(engine, root)
    assert report.stats.chain_breaks == 0 and report.stats.bad_files == 0
    # A file lost since: its row is named, never silently dropped.
    (root / closed[-1].path).unlink()
    again = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "reindex", "--data", str(data_dir)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert "0 segment(s) indexed" in again.stdout  # idempotent
    assert "cam-a: 1 row(s)" in again.stdout and again.returncode == 1
