"""Export jobs: one background thread builds the queued packages, one at a time.

One at a time on purpose: an export reads the archive disk as fast as it can, and the
recorder writing that disk comes first; several exports in parallel would only share
the same disk bandwidth. The work is file I/O and hashing, which release the GIL, so the
API and the recorder's threads keep running.

Restart-safety: the job's state is its `exports` row. At start-up a row left `running`
by a dead process is queued again (its `.part` ZIP is deleted) and runs from the start:
a package is rebuilt whole or not at all. `stop()` interrupts the running job the same
way, between two source segments.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from beffroi.access.principal import Principal
from beffroi.archive.clock_guard import ClockGuard
from beffroi.archive.layout import PART_SUFFIX
from beffroi.archive.tables import segments
from beffroi.clock import Clock, utc_ms
from beffroi.export.clips import IntegrityFault
from beffroi.export.expiry import destroy_delivered
from beffroi.export.manifest import ExportOrder
from beffroi.export.package import PLAYER_DIR, NotEnoughSpace, build_package
from beffroi.export.tables import exports
from beffroi.journal.http import principal_entry
from beffroi.journal.keys import load_or_create_key
from beffroi.journal.service import Journal
from beffroi.requisitions.register import Requisition, load_requisition, mark_extracting

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
EXPIRY_EVERY_S = 3600.0
PROGRESS_STEP = 0.01  # write progress to the database at most every 1 %


class Interrupted(Exception):
    """The runner is stopping: the job goes back to the queue."""


def exports_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "exports"


def create_export(conn: Connection, req: Requisition, principal: Principal, now_ms: int) -> int:
    """Queue an export of `req` and mark it extracting, in the caller's transaction."""
    mark_extracting(conn, req.id, principal.username, now_ms)
    return int(
        conn.execute(
            insert(exports)
            .values(
                requisition_id=req.id,
                status=QUEUED,
                progress=0.0,
                attempts=0,
                created_ms=now_ms,
                user_id=principal.user_id,
                username=principal.username,
                role=principal.role.value,
                cameras=",".join(sorted({i.camera_id for i in req.items})),
                footage_start_ms=min(i.start_ms for i in req.items),
                footage_end_ms=max(i.end_ms for i in req.items),
            )
            .returning(exports.c.id)
        ).scalar_one()
    )


def order_for(req: Requisition, export_id: int, username: str, role: str) -> ExportOrder:
    return ExportOrder(
        export_id=export_id,
        number=req.number,
        procedure=req.procedure,
        legal_basis=req.legal_basis,
        authority=req.authority,
        received_ms=req.received_ms,
        items=req.items,
        exported_by=username,
        exported_role=role,
    )


class ExportJobs:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        data_dir: Path,
        archive_root: Path,
        *,
        free_floor_bytes: int = 0,
        journal: Journal | None = None,
        player_dir: Path = PLAYER_DIR,
        live_start: Callable[[str], int | None] | None = None,
        live_wait_s: float = 150.0,
        fingerprint_published_at: str | None = None,
        keep_days: int = 30,
    ) -> None:
        """`live_start(camera)`: the start (ms) of the segment the recorder is writing for
        that camera, or None. An export whose range reaches into it waits, at most
        `live_wait_s`, until that segment is closed and indexed: a package must never
        call "not recorded" what is only not yet indexed."""
        self.live_start = live_start
        self.live_wait_s = live_wait_s
        self.engine = engine
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.dir = exports_dir(data_dir)
        self.archive_root = Path(archive_root)
        self.free_floor_bytes = free_floor_bytes
        self.journal = journal
        self.player_dir = player_dir
        # The site file's `exports.fingerprint_published_at`, set again on reload.
        self.fingerprint_published_at = fingerprint_published_at
        self.keep_days = keep_days  # `exports.keep_days`: destroyed that long after delivery
        self._last_expiry: float | None = None
        self.clock_guard = ClockGuard()
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------
    def recover(self) -> list[int]:
        """Queue again the jobs a dead process left running; returns every queued id."""
        with self.engine.begin() as conn:
            conn.execute(update(exports).where(exports.c.status == RUNNING).values(status=QUEUED))
            ids = list(
                conn.execute(
                    select(exports.c.id).where(exports.c.status == QUEUED).order_by(exports.c.id)
                ).scalars()
            )
        if self.dir.is_dir():
            for part in self.dir.glob("*" + PART_SUFFIX):
                part.unlink(missing_ok=True)
        return ids

    def start(self) -> None:
        for export_id in self.recover():
            self.submit(export_id)
        self._thread = threading.Thread(target=self._loop, name="exports", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, export_id: int) -> None:
        self._idle.clear()
        self._queue.put(export_id)

    def wait_idle(self, timeout: float) -> bool:
        """True once every submitted job has finished (tests, shutdown)."""
        return self._idle.wait(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self.expire_if_due()
            try:
                export_id = self._queue.get(timeout=EXPIRY_EVERY_S)
            except queue.Empty:
                continue
            if export_id is None:
                break
            try:
                self.run(export_id)
            except Exception:  # the loop must survive anything one job does
                log.exception("export %s: unexpected failure", export_id)
            if self._queue.empty():
                self._idle.set()

    def expire_if_due(self) -> list[int]:
        """Destroy the packages delivered `keep_days` ago, at most once an hour (by the
        injectable clock's monotonic time); their ids."""
        now = self.clock.monotonic()
        if self._last_expiry is not None and now - self._last_expiry < EXPIRY_EVERY_S:
            return []
        self._last_expiry = now
        # A step of the system clock must not destroy packages early: the guard that
        # holds retention holds this expiry too, until the clock agrees again.
        now_ms = self.clock_guard.retention_now(utc_ms(self.clock.now()), now, None)
        if now_ms is None:
            log.error("exports: delivered packages kept: %s", self.clock_guard.hold_reason)
            return []
        try:
            return destroy_delivered(self.engine, now_ms, self.dir, self.keep_days, self.journal)
        except Exception:  # retried at the next round, never the end of the loop
            log.exception("exports: destroying delivered packages failed")
            return []

    # -- one job -------------------------------------------------------------------
    def run(self, export_id: int) -> str:
        """Build export `export_id` if it is queued; returns its final status."""
        with self.engine.begin() as conn:
            row = conn.execute(select(exports).where(exports.c.id == export_id)).first()
            if row is None or row.status != QUEUED:
                return row.status if row is not None else FAILED
            conn.execute(
                update(exports)
                .where(exports.c.id == export_id)
                .values(
                    status=RUNNING,
                    progress=0.0,
                    started_ms=utc_ms(self.clock.now()),
                    attempts=row.attempts + 1,
                    error=None,
                )
            )
            req = load_requisition(conn, row.requisition_id)
        try:
            if req is None:
                raise LookupError(f"requisition #{row.requisition_id} no longer exists")
            self._wait_for_live_segments(req)
            result = build_package(
                self.engine,
                self.archive_root,
                self.dir,
                load_or_create_key(self.data_dir),
                order_for(req, export_id, row.username, row.role),
                utc_ms(self.clock.now()),
                progress=self._progress(export_id),
                free_floor_bytes=self.free_floor_bytes,
                player_dir=self.player_dir,
                fingerprint_published_at=self.fingerprint_published_at,
            )
        except Interrupted:
            self._set(export_id, status=QUEUED, progress=0.0)
            return QUEUED
        except (IntegrityFault, NotEnoughSpace, LookupError, OSError, ValueError) as e:
            log.error("export %s failed: %s", export_id, e)
            self._fail(export_id, req, str(e))
            return FAILED
        except Exception as e:
            log.exception("export %s failed", export_id)
            self._fail(export_id, req, f"internal error: {type(e).__name__}: {e}")
            return FAILED
        self._set(
            export_id,
            status=DONE,
            progress=1.0,
            finished_ms=utc_ms(self.clock.now()),
            path=result.path.name,
            bytes=result.bytes,
            manifest_sha256=result.manifest_sha256,
            footage_start_ms=result.footage_start_ms or row.footage_start_ms,
            footage_end_ms=result.footage_end_ms or row.footage_end_ms,
            footage_ms=result.footage_ms,
        )
        return DONE

    def _wait_for_live_segments(self, req: Requisition) -> None:
        """Until every segment that was being written into an item's range is closed
        and indexed (real time: the recorder closes segments by the wall clock), or
        `live_wait_s` has passed. A closed segment reaches the index a moment after the
        recorder starts the next one, so each one seen is awaited by its start."""
        if self.live_start is None:
            return
        pending: set[tuple[str, int]] = set()
        deadline = time.monotonic() + self.live_wait_s
        while time.monotonic() < deadline and not self._stopping.is_set():
            for item in req.items:
                start = self.live_start(item.camera_id)
                if start is not None and start < item.end_ms:
                    pending.add((item.camera_id, start))
            with self.engine.connect() as conn:
                pending = {
                    (camera, start)
                    for camera, start in pending
                    if conn.scalar(
                        select(segments.c.id).where(
                            segments.c.camera_id == camera, segments.c.start_ms == start
                        )
                    )
                    is None
                }
            if not pending:
                return
            self._stopping.wait(1.0)

    def _progress(self, export_id: int) -> Callable[[float], None]:
        last = [0.0]

        def report(fraction: float) -> None:
            if self._stopping.is_set():
                raise Interrupted
            if fraction - last[0] >= PROGRESS_STEP:
                last[0] = fraction
                self._set(export_id, progress=round(min(fraction, 0.999), 3))

        return report

    def _set(self, export_id: int, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(exports).where(exports.c.id == export_id).values(**values))

    def _fail(self, export_id: int, req: Requisition | None, error: str) -> None:
        self._set(export_id, status=FAILED, error=error, finished_ms=utc_ms(self.clock.now()))
        if self.journal is not None:
            # A failed export is a fact of the register; an integrity fault most of all.
            self.journal.record(
                principal_entry(
                    None,
                    "export.failed",
                    username="system",
                    outcome="error",
                    detail={
                        "export": export_id,
                        "requisition": req.number if req else None,
                        "error": error,
                    },
                )
            )
