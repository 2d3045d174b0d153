"""A recorder wired like `beffroi run` (index writer + supervisor + archive), for tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from beffroi.archive.index import IndexWriter
from beffroi.archive.sink import ArchiveSinks
from beffroi.archive.tables import segments
from beffroi.clock import SystemClock
from beffroi.ingest.spec import CameraSpec
from beffroi.ingest.state import CameraState
from beffroi.ingest.supervisor import Supervisor


@dataclass
class Rig:
    engine: Engine
    root: Path
    supervisor: Supervisor
    index: IndexWriter

    def state(self, camera_id: str) -> CameraState:
        return self.supervisor.camera_states()[camera_id]

    def rows(self, camera_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            result = conn.execute(
                select(segments)
                .where(segments.c.camera_id == camera_id)
                .order_by(segments.c.start_ms)
            )
            return [dict(r._mapping) for r in result]


def spec(url: str, camera_id: str, **kw) -> CameraSpec:
    kw.setdefault("stall_timeout_s", 3.0)
    kw.setdefault("reconnect_min_s", 0.2)
    kw.setdefault("reconnect_max_s", 1.0)
    return CameraSpec(camera_id=camera_id, url=url, **kw)


@contextmanager
def recording(
    engine: Engine,
    root: Path,
    specs: list[CameraSpec],
    segment_ms: int = 2000,
    use_processes: bool = False,
) -> Iterator[Rig]:
    index = IndexWriter(engine, SystemClock())
    index.start()
    sup = Supervisor(
        specs,
        ArchiveSinks(root, segment_ms=segment_ms),
        on_segment=index.submit,
        use_processes=use_processes,
        cameras_per_worker=30,
    )
    sup.start()
    rig = Rig(engine, root, sup, index)
    try:
        yield rig
    finally:
        sup.stop()
        index.wait_idle(15)
        index.stop()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
