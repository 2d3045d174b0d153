"""The one writer of segment rows, and start-up reconciliation of files and rows.

All segment rows are inserted by one thread, in arrival order: no "database is
locked" however many cameras record, and each camera's hash chain is linked in the
order its segments were written. If the database is unreachable, segments wait in
memory (and on disk, as finished files) and are indexed when it returns; if the
process dies meanwhile, `reconcile` finds the finished files without rows at the next
start. Nothing recorded is lost to a database outage.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from beffroi.archive.chain import chain_tip
from beffroi.archive.layout import PART_SUFFIX
from beffroi.archive.salvage import probe_segment
from beffroi.archive.segment import FIELDS, Segment
from beffroi.archive.tables import segment_garbage, segments
from beffroi.clock import Clock, from_ms, utc_ms

log = logging.getLogger(__name__)

_COLUMNS = tuple(segments.c[f.name] for f in FIELDS)


def read_segments(conn: Connection, *where: Any, yield_per: int | None = None) -> Iterable[Segment]:
    """Indexed rows matching `where`, by start then id, as `Segment`s."""
    stmt = select(*_COLUMNS).where(*where).order_by(segments.c.start_ms, segments.c.id)
    if yield_per is not None:
        conn = conn.execution_options(yield_per=yield_per)
    # Positional: named access on SQLAlchemy rows costs more than building the record.
    return (Segment(*row) for row in conn.execute(stmt))


def index_segment(conn: Connection, info: Segment, now_ms: int) -> bool:
    """Insert one row linked to the camera's chain; False if it was already indexed."""
    exists = conn.execute(select(segments.c.id).where(segments.c.path == info.path)).first()
    if exists is not None:
        return False
    conn.execute(
        insert(segments).values(
            **info.as_row(), prev_sha256=chain_tip(conn, info.camera_id), indexed_ms=now_ms
        )
    )
    return True


class IndexWriter:
    def __init__(self, engine: Engine, clock: Clock, batch: int = 200) -> None:
        self.engine = engine
        self.clock = clock
        self.batch = batch
        self.queue: queue.Queue[Segment] = queue.Queue()
        self.indexed = 0
        self.db_errors = 0
        self.last_error: str | None = None
        self._pending: list[Segment] = []
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, info: Segment) -> None:
        self._idle.clear()
        self.queue.put(info)

    @property
    def backlog(self) -> int:
        return self.queue.qsize() + len(self._pending)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and shutdown: wait until every submitted segment is indexed."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = 0.5
        while True:
            if not self._pending:
                try:
                    self._pending.append(self.queue.get(timeout=0.2))
                except queue.Empty:
                    self._idle.set()
                    if self._stop.is_set():
                        return
                    continue
            while len(self._pending) < self.batch:
                try:
                    self._pending.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self.engine.begin() as conn:
                    now = utc_ms(self.clock.now())
                    n = sum(index_segment(conn, info, now) for info in self._pending)
                self.indexed += n
                self._pending.clear()
                self.last_error = None
                delay = 0.5
            except DBAPIError as exc:
                # Database away: keep the batch, in order, and try again. Files are safe
                # on disk whatever happens to this process.
                self.db_errors += 1
                self.last_error = str(exc.orig if exc.orig is not None else exc)[:300]
                log.warning("index write failed (%s); retrying in %.1fs", self.last_error, delay)
                if self._stop.wait(delay) and self.queue.empty():
                    return
                delay = min(delay * 2, 10.0)


def reconcile(engine: Engine, root: Path, clock: Clock, camera_ids: Iterable[str]) -> int:
    """Index finished segment files that have no row (crash between rename and insert,
    or a database outage that outlived the process). Returns how many were indexed.

    Orphans can only be newer than the camera's newest row, so only the day folders
    from that day on are listed: start-up stays fast with millions of segments."""
    added = 0
    root = Path(root)
    for camera_id in camera_ids:
        cam_dir = root / camera_id
        if not cam_dir.is_dir():
            continue
        with engine.connect() as conn:
            newest = conn.execute(
                select(func.max(segments.c.start_ms)).where(segments.c.camera_id == camera_id)
            ).scalar()
            garbage = {
                str(p)
                for p in conn.execute(
                    select(segment_garbage.c.path).where(segment_garbage.c.camera_id == camera_id)
                ).scalars()
            }
        from_day = "0000" if newest is None else _day(int(newest))
        days = sorted(d for d in cam_dir.iterdir() if d.is_dir() and d.name >= from_day)
        candidates = sorted(
            (f for d in days for f in d.iterdir() if f.name.endswith(".mp4")),
            key=lambda f: f.name,
        )
        if not candidates:
            continue
        with engine.connect() as conn:
            known = {
                str(p)
                for p in conn.execute(
                    select(segments.c.path).where(
                        segments.c.camera_id == camera_id,
                        segments.c.start_ms >= (newest or 0) - 86_400_000,
                    )
                ).scalars()
            }
        for f in candidates:
            rel = str(f.relative_to(root))
            if rel in known or rel in garbage or f.name.endswith(PART_SUFFIX):
                continue
            info = probe_segment(root, f, salvaged=True)
            if info is None:
                continue
            try:
                with engine.begin() as conn:
                    added += index_segment(conn, info, utc_ms(clock.now()))
            except IntegrityError:
                continue
            log.info("reconciled orphan segment %s", rel)
    return added


def _day(ms: int) -> str:
    return f"{from_ms(ms):%Y-%m-%d}"
