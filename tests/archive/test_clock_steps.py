"""The clock must never destroy footage: a step of the system clock, forward or back,
holds retention until the clock is right again; nothing young is deleted, and once the
clock is sane nothing outlives its retention."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from beffroi.archive.check import check_archive
from beffroi.archive.clock_guard import STEP_MS, ClockGuard
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.seals import STEPPED
from beffroi.archive.tables import destructions, segments
from beffroi.clock import FakeClock, utc_ms
from beffroi.export.clips import index_segments
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from tests.archive.factory import FakeDisk, add_camera, add_segments
from tests.archive.test_retention_loop import roomy

H = 3_600_000
DAY = timedelta(days=1)


def _segments(engine: Engine) -> tuple[int, int | None]:
    """How many segments remain, and the start of the oldest."""
    with engine.connect() as conn:
        return conn.execute(select(func.count(), func.min(segments.c.start_ms))).one()  # type: ignore[return-value]


def _archive(engine: Engine, clock: FakeClock, root: Path) -> int:
    """Seventeen days of one-hour segments of a camera kept 15 days; returns now."""
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=15 * 86_400)
    add_segments(engine, root, "cam-a", now - 17 * 24 * H, 17 * 24, duration_ms=H, size=100)
    return now


def test_a_step_forward_deletes_nothing_young_and_the_clock_coming_back_resumes(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = _archive(engine, clock, root)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy)
    first = loop.run_once()
    assert first.deleted["retention"] == 2 * 24 and first.retention_held is None
    left, oldest = _segments(engine)
    assert left == 15 * 24 and oldest == now - 15 * H * 24
    # date -s: sixteen days ahead. Today's footage would be "16 days old".
    clock.step(16 * DAY)
    clock.advance(10)
    held = loop.run_once()
    assert held.total_deleted == 0
    assert held.retention_held is not None and "16.0 days forward" in held.retention_held
    for _ in range(6):  # an hour of rounds: still held, still nothing deleted
        clock.advance(600)
        assert loop.run_once().total_deleted == 0
    assert _segments(engine)[0] == 15 * 24
    # The clock is put right: retention resumes with the ageing the hour explains.
    clock.step(-16 * DAY)
    clock.advance(10)
    resumed = loop.run_once()
    assert resumed.retention_held is None and resumed.deleted["retention"] == 1
    # Once sane, nothing outlives its retention.
    clock.advance(15 * 24 * 3600)
    loop.run_once()
    assert _segments(engine)[0] == 0


def test_a_step_back_holds_too(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    root = data_dir / "archive"
    _archive(engine, clock, root)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy)
    loop.run_once()
    clock.step(-16 * DAY)
    clock.advance(10)
    held = loop.run_once()
    assert held.retention_held is not None and "back" in held.retention_held
    # Footage recorded now is stamped 16 days in the past: the next rounds must not take
    # it as expired.
    now = utc_ms(clock.now())
    add_segments(engine, root, "cam-a", now - H, 1, duration_ms=H, size=100)
    clock.advance(600)
    assert loop.run_once().total_deleted == 0


def test_drift_and_ntp_slewing_never_hold(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    root = data_dir / "archive"
    _archive(engine, clock, root)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy)
    for _ in range(200):  # 200 rounds, each with a 2 s correction: 400 s in all
        clock.advance(10)
        clock.step(2)
        assert loop.run_once().retention_held is None


def test_a_clock_reset_to_the_past_holds_from_the_start(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    _archive(engine, clock, root)
    clock.step(-30 * DAY)  # the server starts with a dead RTC battery
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy)
    result = loop.run_once()
    assert result.total_deleted == 0 and "behind the newest" in (result.retention_held or "")
    clock.step(30 * DAY)  # NTP sets it right
    clock.advance(10)
    assert loop.run_once().retention_held is None


def test_disk_pressure_still_frees_space_while_retention_is_held(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    _archive(engine, clock, root)
    disk = FakeDisk(root, total=17 * 24 * 100 + 10**6)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=disk, margin_bytes=0)
    loop.run_once()
    clock.step(16 * DAY)
    disk.other = 10_000  # something else fills the disk
    result = loop.run_once()
    assert result.retention_held is not None
    assert result.deleted["retention"] == 0 and result.deleted["disk_pressure"] > 0


def test_the_guard_alone() -> None:
    guard = ClockGuard()
    assert guard.retention_now(1_000_000, 0.0, None) == 1_000_000
    assert (
        guard.retention_now(1_000_000 + 10_000 + STEP_MS, 10.0, None)
        == 1_000_000 + 10_000 + STEP_MS
    )
    assert guard.retention_now(1_000_000 + 20_000 + 2 * STEP_MS + 1, 20.0, None) is None


def test_footage_indexed_during_a_step_is_flagged_for_exports(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    _archive(engine, clock, root)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy)
    loop.run_once()
    clock.step(16 * DAY)
    clock.advance(10)
    loop.run_once()
    # Recorded while the clock is 16 days ahead: stamped 16 days ahead.
    during = add_segments(engine, root, "cam-a", utc_ms(clock.now()), 1, duration_ms=H, size=100)
    clock.advance(10)
    loop.run_once()
    clock.step(-16 * DAY)
    clock.advance(10)
    loop.run_once()
    after = add_segments(engine, root, "cam-a", utc_ms(clock.now()), 1, duration_ms=H, size=100)
    clock.advance(10)
    loop.run_once()
    with engine.connect() as conn:
        flags = dict(conn.execute(select(segments.c.id, segments.c.clock_step_ms)).all())
        [stepped] = index_segments(conn, "cam-a", during[0].start_ms, during[0].end_ms)
    assert abs(flags[during[0].id] - 16 * 86_400_000) < 60_000
    assert flags[after[0].id] is None
    assert sum(v is not None for v in flags.values()) == 1  # nothing recorded before
    assert stepped.clock_step_ms == flags[during[0].id]  # what the export manifest says


def _step_and_record(
    engine: Engine, clock: FakeClock, loop: RetentionLoop, root: Path, step: timedelta
) -> list[int]:
    """The clock steps by `step` and an hour is recorded (ten-minute segments, stamped
    by the stepped clock) while retention holds; then the clock is put right."""
    clock.step(step)
    clock.advance(10)
    assert loop.run_once().retention_held is not None
    stamped = add_segments(
        engine, root, "cam-a", utc_ms(clock.now()), 6, duration_ms=H // 6, size=100
    )
    clock.advance(H / 1000)
    assert loop.run_once().total_deleted == 0
    clock.step(-step)
    clock.advance(10)
    assert loop.run_once().retention_held is None
    return [s.id for s in stamped]


def _ids(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(segments.c.id)).scalars())


def test_footage_stamped_during_a_step_is_kept_by_its_true_age(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    """Stamped 16 days ahead, an hour would outlive the legal maximum by 16 days;
    stamped 16 days behind, it would be destroyed the round the clock is fixed. Both go
    when their true age reaches the retention, and `beffroi check` explains both."""
    root = data_dir / "archive"
    _archive(engine, clock, root)
    journal = Journal.open(engine, clock, data_dir)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy, journal=journal)
    loop.run_once()
    ahead = _step_and_record(engine, clock, loop, root, 16 * DAY)
    behind = _step_and_record(engine, clock, loop, root, -16 * DAY)
    assert set(ahead) | set(behind) <= _ids(engine)  # nothing destroyed young
    # Fourteen days and 22 hours later both hours are still there; at 15 days they go.
    for _ in range(14 * 24 + 22):
        clock.advance(3600)
        loop.run_once()
    assert set(ahead) | set(behind) <= _ids(engine)
    for _ in range(4):
        clock.advance(3600)
        loop.run_once()
    assert not (set(ahead) | set(behind)) & _ids(engine)
    with engine.connect() as conn:
        reasons = dict(
            conn.execute(
                select(destructions.c.reason, func.sum(destructions.c.segments)).group_by(
                    destructions.c.reason
                )
            ).all()
        )
    assert reasons["clock_step"] == 12  # both hours, each journaled with its step
    with engine.connect() as conn:
        details = conn.execute(
            select(journal_entries.c.detail).where(journal_entries.c.action == STEPPED)
        ).scalars()
        steps = sorted(round(json.loads(d)["step_ms"] / 86_400_000) for d in details)
    assert steps == [-16, 16]
    report = check_archive(engine, root)
    assert report.ok, report.problems
    assert report.stats.sealed_hours > 0
