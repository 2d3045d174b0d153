"""The retention loop: destroys expired footage and defends the disk's free space.

`RetentionLoop.run_once` is one round:

1. finish any phase 2 a crash interrupted (so start-up recovery is simply round one);
2. retention: per camera, with its own `retention_s` (capped at 30 days), delete the
   segments whose `end_ms + retention <= now`, except those under an active hold;
3. disk pressure: when free space is below the floor, delete the oldest unheld
   segments across all cameras until free space is back above floor + margin, and
   raise `storage_low`; if held footage leaves nothing to delete, raise `storage_held`.

`start()` runs a round every `interval_s` (10 s by default) in a daemon thread. With
one-minute segments, footage is therefore destroyed at most `interval_s` plus one
round's duration after it expires, well within a minute. An exception in a round
(database restarting, disk error) is logged and the next round retries; it never ends
the thread.

Deletions go in batches of at most 500 segments per transaction, read through the
`(camera_id, start_ms)` and `start_ms` indexes, so a round over 170 cameras × 15 days
of rows only touches the rows it deletes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, and_, func, not_, or_, select

from beffroi.archive import hold_files
from beffroi.archive.clock_guard import ClockGuard, flag_stepped, stepped_expired
from beffroi.archive.disk import DiskUsageFn, disk_usage
from beffroi.archive.gc import BATCH, REASONS, collect_garbage, delete_segments
from beffroi.archive.hold_files import HoldRecord
from beffroi.archive.holds import active_holds, lapsed_holds, release_hold_in
from beffroi.archive.retention import (
    HoldIndex,
    HoldRange,
    SegmentSpan,
    expired_segments,
    expiry_cutoff_ms,
    hysteresis_margin,
    needed_bytes,
    select_victims,
)
from beffroi.archive.seals import Sealer, record_runs
from beffroi.archive.tables import segments
from beffroi.clock import Clock, utc_ms
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal
from beffroi.loops import Loop
from beffroi.site.tables import cameras

log = logging.getLogger(__name__)

ALERT_STORAGE_LOW = "storage_low"
ALERT_STORAGE_HELD = "storage_held"


@dataclass
class RetentionResult:
    """What one round did."""

    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    register_rows: int = 0
    unlinked: int = 0
    missing_files: int = 0
    skipped_held: int = 0
    free_bytes: int | None = None
    alerts: list[tuple[str, str]] = field(default_factory=list)
    sealed_hours: int = 0
    retention_held: str | None = None  # why retention deleted nothing (`ClockGuard`)
    elapsed_s: float = 0.0

    @property
    def total_deleted(self) -> int:
        return sum(self.deleted.values())


LAPSED_REASON = "lapsed: placed by hand, not renewed in time"


class RetentionLoop:
    def __init__(
        self,
        engine: Engine,
        archive_root: Path,
        clock: Clock,
        free_floor_bytes: int,
        interval_s: float = 10.0,
        on_alert: Callable[[str, str], None] | None = None,
        *,
        disk_usage_fn: DiskUsageFn = disk_usage,
        margin_bytes: int | None = None,
        batch: int = BATCH,
        journal: Journal | None = None,
    ) -> None:
        self.engine = engine
        self.archive_root = Path(archive_root)
        self.clock = clock
        self.free_floor_bytes = free_floor_bytes
        self.interval_s = interval_s
        self.on_alert = on_alert
        self.disk_usage_fn = disk_usage_fn
        self.margin_bytes = (
            hysteresis_margin(free_floor_bytes) if margin_bytes is None else margin_bytes
        )
        self.batch = batch
        # Lapsed holds placed by hand are released only where the release is journaled
        # (`beffroi run` passes its journal): nothing lapses silently.
        self.journal = journal
        # With a journal, every hour of index and register is sealed into it.
        self.sealer = Sealer(journal) if journal is not None else None
        # The clock must never destroy footage: "now" for retention comes from it.
        self.clock_guard = ClockGuard()
        # The newest segment row while the clock was sane: those after it, indexed while
        # the clock was stepped, are flagged (`segments.clock_step_ms`).
        self._sane_max_id: int | None = None
        # Holds mirrored next to the footage, signed; those the database lost still hold.
        self.unmatched_holds: list[HoldRecord] = []
        self.rounds = 0  # rounds completed; the fault watcher sees retention stall by it
        self.last_result: RetentionResult | None = None
        self._alerting: set[str] = set()
        self.loop = Loop("beffroi-retention", self.run_once, interval_s, clock)

    # -- one round ---------------------------------------------------------------------

    def run_once(self) -> RetentionResult:
        t0 = time.perf_counter()
        result = RetentionResult()
        self._gc(result)
        self._mirror_holds()
        now_ms = self._retention_now()
        result.retention_held = self.clock_guard.hold_reason
        if now_ms is not None:
            self._release_lapsed_holds(now_ms)
            self._retention(result, now_ms)
        self._pressure(result)
        if self.sealer is not None and now_ms is not None:
            # Not while the clock is held: a step forward would seal empty hours ahead.
            result.sealed_hours = self.sealer.seal_due(now_ms)
        result.elapsed_s = time.perf_counter() - t0
        self.rounds += 1
        self.last_result = result
        return result

    def recover(self) -> RetentionResult:
        """Start-up: finish the deletions a crash interrupted (phase 2 only)."""
        result = RetentionResult()
        self._gc(result)
        return result

    def _now_ms(self) -> int:
        return utc_ms(self.clock.now())

    def _mirror_holds(self) -> None:
        if self.journal is None or self.journal.key is None:
            return
        folder = self.archive_root / hold_files.FOLDER
        with self.engine.connect() as conn:
            unmatched = hold_files.mirror(conn, folder, self.journal.key)
        if len(unmatched) != len(self.unmatched_holds):
            for record in unmatched:
                log.error("hold file unknown to the database, footage kept: %s", record.describe())
        self.unmatched_holds = unmatched

    def _extra_holds(self, camera_id: str | None = None) -> list[HoldRange]:
        return [r.range() for r in self.unmatched_holds if camera_id in (None, r.camera_id)]

    def _retention_now(self) -> int | None:
        """The guarded "now" of retention and lapses (`ClockGuard`); None: hold."""
        newest = None
        if self.clock_guard.trusted_ms is None:  # first round: compare with the footage
            with self.engine.connect() as conn:
                newest = conn.execute(select(func.max(segments.c.start_ms))).scalar()
        was = self.clock_guard.hold_reason
        now_ms = self.clock_guard.retention_now(
            self._now_ms(), self.clock.monotonic(), None if newest is None else int(newest)
        )
        if self.clock_guard.hold_reason != was:
            if self.clock_guard.hold_reason is not None:
                log.error("retention held: %s", self.clock_guard.hold_reason)
            else:
                log.warning("retention resumes: the server clock agrees with elapsed time")
        with self.engine.begin() as conn:
            self._sane_max_id = flag_stepped(conn, self.clock_guard, self._sane_max_id)
        return now_ms

    def _release_lapsed_holds(self, now_ms: int) -> None:
        """Release the holds placed by hand that were not renewed in time, each with
        its `hold.expire` journal entry in the same transaction, before the retention
        round that may then let their footage go."""
        journal = self.journal
        if journal is None:
            return
        with journal.transaction() as conn:
            for hold in lapsed_holds(conn, now_ms):
                release_hold_in(conn, hold.id, "system", LAPSED_REASON, now_ms)
                entry = principal_entry(
                    None,
                    "hold.expire",
                    username="system",
                    camera=hold.camera_id,
                    start_ms=int(hold.start_ms),
                    end_ms=int(hold.end_ms),
                    detail={"hold": int(hold.id), "reason": hold.reason},
                )
                journal.record(entry, conn)

    def _gc(self, result: RetentionResult) -> None:
        gc = collect_garbage(self.engine, self.archive_root, self._now_ms(), batch=self.batch)
        result.unlinked += gc.unlinked
        result.missing_files += gc.missing

    def _delete(
        self,
        conn: Connection,
        ids: list[int],
        reason: str,
        result: RetentionResult,
        step_ms: int | None = None,
    ) -> None:
        p1 = delete_segments(conn, ids, reason, self._now_ms(), extra_holds=self._extra_holds())
        if self.journal is not None:
            record_runs(self.journal, conn, reason, p1.runs, step_ms)
        result.deleted[reason] += p1.segments
        result.bytes[reason] += p1.bytes
        result.register_rows += p1.register_rows
        result.skipped_held += p1.skipped_held

    def _retention(self, result: RetentionResult, now_ms: int) -> None:
        with self.engine.connect() as conn:
            cams = conn.execute(select(cameras.c.id, cameras.c.retention_s)).all()
        for cam in cams:
            self._expire_camera(cam.id, cam.retention_s, result, now_ms)
        self._expire_stepped(result, now_ms)
        # One phase 2 for the whole pass: per camera it would cost a few round trips each.
        self._gc(result)

    def _expire_camera(
        self, camera_id: str, retention_s: int, result: RetentionResult, now_ms: int
    ) -> None:
        cutoff = expiry_cutoff_ms(retention_s, now_ms)
        after: tuple[int, int] | None = None
        while True:
            with self.engine.begin() as conn:
                holds = [*active_holds(conn, camera_id), *self._extra_holds(camera_id)]
                infos = self._page(
                    conn,
                    after,
                    segments.c.camera_id == camera_id,
                    segments.c.start_ms < cutoff,
                    segments.c.end_ms <= cutoff,
                    segments.c.clock_step_ms.is_(None),  # aged by true time: below
                    # Held ranges are excluded in SQL too, so a long hold is not re-read
                    # every round; the pure decision below stays the authority.
                    *[
                        not_(and_(segments.c.start_ms <= h.end_ms, segments.c.end_ms >= h.start_ms))
                        for h in holds
                    ],
                )
                if not infos:
                    return
                after = (infos[-1].start_ms, infos[-1].id)
                victims = expired_segments(infos, {camera_id: retention_s}, holds, now_ms)
                if victims:
                    self._delete(conn, [v.id for v in victims], "retention", result)
            if len(infos) < self.batch:
                return

    def _expire_stepped(self, result: RetentionResult, now_ms: int) -> None:
        """Segments stamped during a clock step, once old by their true time."""
        with self.engine.connect() as conn:
            due = stepped_expired(conn, now_ms)
        for step_ms, ids in due.items():
            for i in range(0, len(ids), self.batch):
                with self._journaled_transaction() as conn:
                    self._delete(conn, ids[i : i + self.batch], "clock_step", result, step_ms)

    def _page(
        self, conn: Connection, after: tuple[int, int] | None, *where: ColumnElement[bool]
    ) -> list[SegmentSpan]:
        """The next batch of segments, oldest first, keyset-paged after (start_ms, id)."""
        query = select(
            segments.c.id,
            segments.c.camera_id,
            segments.c.start_ms,
            segments.c.end_ms,
            segments.c.bytes,
        ).where(*where)
        if after is not None:
            query = query.where(_after(after))
        rows = conn.execute(
            query.order_by(segments.c.start_ms, segments.c.id).limit(self.batch)
        ).all()
        return [_info(r) for r in rows]

    def _pressure(self, result: RetentionResult) -> None:
        usage = self.disk_usage_fn(self.archive_root)
        result.free_bytes = usage.free
        need = needed_bytes(usage.free, self.free_floor_bytes, self.margin_bytes)
        if need <= 0:
            self._clear(ALERT_STORAGE_LOW)
            self._clear(ALERT_STORAGE_HELD)
            return
        self._raise(
            result,
            ALERT_STORAGE_LOW,
            f"archive disk below its free-space floor: {_gb(usage.free)} free of "
            f"{_gb(usage.total)}, floor {_gb(self.free_floor_bytes)}; deleting the oldest "
            "unheld footage before its retention period",
        )
        with self.engine.connect() as conn:
            holds = HoldIndex([*active_holds(conn), *self._extra_holds()])
        after: tuple[int, int] | None = None
        while need > 0:
            with self._journaled_transaction() as conn:
                infos = self._page(conn, after)
                if not infos:
                    break
                after = (infos[-1].start_ms, infos[-1].id)
                victims, _ = select_victims(need, infos, holds)
                if victims:
                    before = result.bytes["disk_pressure"]
                    self._delete(conn, [v.id for v in victims], "disk_pressure", result)
                    need -= result.bytes["disk_pressure"] - before
            if victims:
                self._gc(result)
        if need > 0:
            self._raise(
                result,
                ALERT_STORAGE_HELD,
                f"held footage exceeds free space: {_gb(need)} more would be needed to reach "
                f"the floor of {_gb(self.free_floor_bytes)} on the archive disk, and only "
                "footage under judicial hold (or files outside the index) remain",
            )
        else:
            self._clear(ALERT_STORAGE_HELD)

    def _journaled_transaction(self) -> AbstractContextManager[Connection]:
        return self.engine.begin() if self.journal is None else self.journal.transaction()

    # -- alerts, raised once per episode -------------------------------------------------

    def _raise(self, result: RetentionResult, kind: str, message: str) -> None:
        if kind in self._alerting:
            return
        self._alerting.add(kind)
        result.alerts.append((kind, message))
        log.warning("%s: %s", kind, message)
        if self.on_alert is not None:
            try:
                self.on_alert(kind, message)
            except Exception:
                log.exception("alert callback failed for %s", kind)

    def _clear(self, kind: str) -> None:
        self._alerting.discard(kind)

    # -- background loop -----------------------------------------------------------------

    def start(self) -> None:
        self.loop.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.loop.stop(timeout)

    @property
    def running(self) -> bool:
        return self.loop.running

    @property
    def errors(self) -> int:
        """Rounds that failed (a database restart, a disk error): retried, not fatal."""
        return self.loop.errors


def _after(cursor: tuple[int, int]) -> ColumnElement[bool]:
    start, seg_id = cursor
    return or_(
        segments.c.start_ms > start, and_(segments.c.start_ms == start, segments.c.id > seg_id)
    )


def _info(r: Row[Any, Any, Any, Any, Any]) -> SegmentSpan:
    return SegmentSpan(int(r.id), r.camera_id, int(r.start_ms), int(r.end_ms), int(r.bytes))


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"
