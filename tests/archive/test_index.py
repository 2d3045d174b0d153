"""The index writer: one writer, hash chains, database outages, crash reconciliation."""

from __future__ import annotations

import itertools
import os
import subprocess
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, select

from beffroi.archive.index import IndexWriter, reconcile
from beffroi.archive.segment import Segment
from beffroi.archive.tables import segments
from beffroi.archive.writer import SegmentWriter
from beffroi.clock import FakeClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.ingest.spec import VideoTrack
from tests.archive.seed import add_cameras
from tests.media import ClipSource, make_clip

ROOT = Path(__file__).resolve().parents[2]


def info(camera: str, i: int) -> Segment:
    start = 1_793_000_000_000 + i * 60_000
    return Segment(
        camera_id=camera,
        path=f"{camera}/2026-10-26/{camera}-{i}.mp4",
        start_ms=start,
        end_ms=start + 60_000,
        bytes=1000 + i,
        codec="h264",
        width=1280,
        height=720,
        fps=15.0,
        frames=900,
        sha256=f"{i:064x}",
    )


def chain(engine: Engine, camera: str) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(segments.c.sha256, segments.c.prev_sha256)
            .where(segments.c.camera_id == camera)
            .order_by(segments.c.start_ms)
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_segments_of_each_camera_form_a_hash_chain(engine: Engine, clock: FakeClock) -> None:
    add_cameras(engine, "cam-a", "cam-b")
    writer = IndexWriter(engine, clock)
    writer.start()
    for i in range(5):
        writer.submit(info("cam-a", i))
        writer.submit(info("cam-b", 100 + i))
    writer.submit(info("cam-a", 2))  # a duplicate (replayed after a restart) is ignored
    assert writer.wait_idle(10)
    writer.stop()
    for cam in ("cam-a", "cam-b"):
        links = chain(engine, cam)
        assert len(links) == 5
        assert links[0][1] is None
        for prev, cur in itertools.pairwise(links):
            assert cur[1] == prev[0]
    assert writer.indexed == 10


def test_reconcile_indexes_finished_files_that_lost_their_row(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    add_cameras(engine, "cam-a")
    closed: list[Segment] = []
    clip = ClipSource(make_clip(seconds=4.0))
    stream, packets = clip.open()
    w = SegmentWriter(
        tmp_path, "cam-a", VideoTrack.of_stream(stream), closed.append, segment_ms=1000
    )
    for i, p in enumerate(packets):
        w.write(p, 1_793_000_000_000 + round(i * 1000 / 15))
    w.close()
    assert len(closed) == 4
    writer = IndexWriter(engine, clock)
    writer.start()
    writer.submit(closed[0])  # the process "crashed" before indexing the other three
    assert writer.wait_idle(10)
    writer.stop()
    assert reconcile(engine, tmp_path, clock, ["cam-a"]) == 3
    assert reconcile(engine, tmp_path, clock, ["cam-a"]) == 0, "reconcile is idempotent"
    links = chain(engine, "cam-a")
    assert [sha for sha, _ in links] == [s.sha256 for s in closed]
    for prev, cur in itertools.pairwise(links):
        assert cur[1] == prev[0]


def test_a_database_restart_loses_no_segment(tmp_path: Path, clock: FakeClock) -> None:
    """A PostgreSQL of its own, stopped while segments arrive, then started again."""
    # Outside tmp_path: the `postgres` user cannot enter pytest's private temp folders.
    pgdir = f"/tmp/beffroi-pg-restart-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, BEFFROI_TEST_PG_DIR=pgdir, BEFFROI_TEST_PG_PORT="55499")
    script = str(ROOT / "scripts" / "test-postgres.sh")
    url = subprocess.run([script], env=env, check=True, capture_output=True, text=True).stdout
    pg_ctl = [script.replace("test-postgres.sh", "test-postgres-ctl.sh")]
    engine = make_engine(url.strip())
    try:
        upgrade(engine)
        add_cameras(engine, "cam-a")
        writer = IndexWriter(engine, clock)
        writer.start()
        writer.submit(info("cam-a", 0))
        assert writer.wait_idle(10)
        subprocess.run([*pg_ctl, "stop"], env=env, check=True)
        for i in range(1, 6):
            writer.submit(info("cam-a", i))
        time.sleep(1.5)
        assert writer.db_errors > 0 and writer.backlog == 5, "segments wait, in order"
        subprocess.run([*pg_ctl, "start"], env=env, check=True)
        assert writer.wait_idle(30), "the backlog must drain once the database is back"
        writer.stop()
        links = chain(engine, "cam-a")
        assert len(links) == 6
        for prev, cur in itertools.pairwise(links):
            assert cur[1] == prev[0]
    finally:
        engine.dispose()
        subprocess.run([*pg_ctl, "destroy"], env=env, check=False)
