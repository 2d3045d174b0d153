"""170 cameras' segments indexed while the API reads: no "database is locked"."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from beffroi.archive.index import IndexWriter
from beffroi.archive.segment import Segment
from beffroi.archive.tables import segments
from beffroi.clock import FakeClock
from beffroi.playback.timeline import query_spans
from tests.archive.seed import add_cameras

CAMERAS = [f"cam-{i:03d}" for i in range(170)]
ROUNDS = 12  # twelve minutes of one-minute segments, delivered as fast as possible


def test_one_writer_indexes_170_cameras_while_readers_query(
    engine: Engine, clock: FakeClock
) -> None:
    add_cameras(engine, *CAMERAS)
    writer = IndexWriter(engine, clock)
    writer.start()
    errors: list[BaseException] = []
    done = threading.Event()

    def reader(camera_id: str) -> None:
        while not done.is_set():
            try:
                with engine.connect() as conn:
                    query_spans(conn, camera_id, 0, 2**62)
            except BaseException as exc:  # any "database is locked" fails the test
                errors.append(exc)
                return

    readers = [threading.Thread(target=reader, args=(c,)) for c in CAMERAS[:4]]
    for t in readers:
        t.start()
    base = 1_793_000_000_000
    for r in range(ROUNDS):
        for cam in CAMERAS:
            start = base + r * 60_000
            writer.submit(
                Segment(
                    cam,
                    f"{cam}/d/{cam}-{r}.mp4",
                    start,
                    start + 60_000,
                    11_000_000,
                    "h264",
                    1280,
                    720,
                    15.0,
                    900,
                    f"{r:02d}{cam}".ljust(64, "0"),
                )
            )
    assert writer.wait_idle(120)
    done.set()
    for t in readers:
        t.join()
    writer.stop()
    assert errors == []
    assert writer.db_errors == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(segments)).scalar() == 170 * ROUNDS
