"""The retention loop over real files and both databases, with a fake clock and disk."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from beffroi.archive.check import check_archive
from beffroi.archive.disk import DiskUsage
from beffroi.archive.holds import place_hold, release_hold
from beffroi.archive.maintenance import ALERT_STORAGE_HELD, ALERT_STORAGE_LOW, RetentionLoop
from beffroi.archive.tables import destructions, segment_garbage
from beffroi.clock import FakeClock, utc_ms
from tests.archive.factory import FakeDisk, add_camera, add_segments, files_on_disk, segment_paths

H = 3_600_000
DAY = 24 * H
BIG = 10**15


def roomy(_p: Path) -> DiskUsage:
    return DiskUsage(total=BIG, free=BIG)


def register(engine: Engine, camera: str | None = None) -> list:  # type: ignore[type-arg]
    q = select(destructions).order_by(destructions.c.camera_id, destructions.c.id)
    if camera:
        q = q.where(destructions.c.camera_id == camera)
    with engine.connect() as conn:
        return list(conn.execute(q))


def test_fifteen_days(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    t0 = now - 16 * DAY
    add_camera(engine, "cam-a", retention_s=15 * 86_400)
    add_camera(engine, "cam-b", retention_s=7 * 86_400)
    a = add_segments(engine, root, "cam-a", t0, 16 * 24)
    b = add_segments(engine, root, "cam-b", t0, 16 * 24)
    loop = RetentionLoop(engine, root, clock, free_floor_bytes=0, disk_usage_fn=roomy)

    res = loop.run_once()

    # cam-a: the 24 hourly segments ending at or before now - 15 days; cam-b: 9 days' worth.
    assert res.deleted == {"retention": 24 + 9 * 24, "disk_pressure": 0, "clock_step": 0}
    assert res.unlinked == 24 + 9 * 24
    assert segment_paths(engine, "cam-a") == [s.path for s in a[24:]]
    assert segment_paths(engine, "cam-b") == [s.path for s in b[9 * 24 :]]
    assert files_on_disk(root) == {s.path for s in a[24:] + b[9 * 24 :]}
    # The first UTC day of cam-a is gone entirely, folder included; the next is not.
    assert not (root / "cam-a" / "2026-10-16").exists()
    assert (root / "cam-a" / "2026-10-17").is_dir()
    reg_a, reg_b = register(engine, "cam-a"), register(engine, "cam-b")
    assert len(reg_a) == 1 and len(reg_b) == 1
    ra = reg_a[0]
    assert (ra.start_ms, ra.end_ms, ra.segments, ra.bytes) == (t0, t0 + DAY, 24, 24 * 1000)
    assert ra.reason == "retention" and ra.destroyed_ms == now
    assert ra.last_sha256 == a[23].sha256 == a[24].prev_sha256
    assert reg_b[0].segments == 9 * 24 and reg_b[0].last_sha256 == b[9 * 24 - 1].sha256
    with engine.connect() as conn:
        assert conn.execute(select(segment_garbage)).all() == []
    report = check_archive(engine, root)
    assert report.ok, report.problems

    # Nothing more is due until the next segment's end passes its retention.
    clock.advance(timedelta(minutes=59))
    assert loop.run_once().total_deleted == 0
    clock.advance(timedelta(minutes=1))
    assert loop.run_once().deleted["retention"] == 2
    assert len(register(engine, "cam-a")) == 2  # a new hour: a new register row
    assert check_archive(engine, root).ok


def test_register_rows_coalesce_across_batches(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=86_400)
    m10 = 600_000
    segs = add_segments(engine, root, "cam-a", now - 3 * DAY, 3 * 144, duration_ms=m10, size=10)
    loop = RetentionLoop(engine, root, clock, 0, disk_usage_fn=roomy, batch=50)
    res = loop.run_once()
    assert res.deleted["retention"] == 2 * 144
    rows = register(engine)
    assert len(rows) == 1
    assert rows[0].segments == 288 and rows[0].last_sha256 == segs[287].sha256
    # Ten minutes later, same hour, chained to the row: the row is extended.
    clock.advance(timedelta(minutes=10))
    assert loop.run_once().deleted["retention"] == 1
    rows = register(engine)
    assert len(rows) == 1 and rows[0].segments == 289
    assert rows[0].end_ms == segs[288].end_ms and rows[0].last_sha256 == segs[288].sha256
    assert rows[0].destroyed_ms == utc_ms(clock.now())
    # The next hour starts a new row.
    clock.advance(timedelta(minutes=50))
    assert loop.run_once().deleted["retention"] == 5
    assert [r.segments for r in register(engine)] == [289, 5]
    assert check_archive(engine, root).ok


def test_hold_keeps_footage_until_released(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=86_400)
    segs = add_segments(engine, root, "cam-a", now - 2 * DAY, 30)
    held = segs[5]
    hid = place_hold(engine, "cam-a", held.start_ms + 1, held.end_ms - 1, "PV 42", "opj", clock)
    loop = RetentionLoop(engine, root, clock, 0, disk_usage_fn=roomy)

    res = loop.run_once()
    assert res.deleted["retention"] == 23
    assert segment_paths(engine) == [held.path] + [s.path for s in segs[24:]]
    assert (root / held.path).exists()
    # Two runs around the held segment: two register rows, each anchoring its side.
    reg = register(engine)
    assert [(r.segments, r.last_sha256) for r in reg] == [
        (5, segs[4].sha256),
        (18, segs[23].sha256),
    ]
    assert check_archive(engine, root).ok

    clock.advance(timedelta(days=10))
    loop.run_once()
    assert segment_paths(engine) == [held.path]  # retention passed long ago; still held

    release_hold(engine, hid, "opj", "case closed", clock)
    assert loop.run_once().deleted["retention"] == 1
    assert segment_paths(engine) == []
    assert files_on_disk(root) == set()
    assert check_archive(engine, root).ok


def test_disk_pressure_deletes_oldest_unheld_across_cameras(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=30 * 86_400)
    add_camera(engine, "cam-b", retention_s=30 * 86_400)
    a = add_segments(engine, root, "cam-a", now - 10 * H, 10, size=1000)
    b = add_segments(engine, root, "cam-b", now - 10 * H + 60_000, 10, size=1000)
    place_hold(engine, "cam-a", a[0].start_ms, a[0].start_ms, "PV 7", "opj", clock)
    # 20,000 bytes of footage on a 25,000-byte disk: 5,000 free, floor 7,000, margin 1,000.
    disk = FakeDisk(root, total=25_000)
    alerts: list[tuple[str, str]] = []
    loop = RetentionLoop(
        engine,
        root,
        clock,
        free_floor_bytes=7_000,
        on_alert=lambda k, m: alerts.append((k, m)),
        disk_usage_fn=disk,
        margin_bytes=1_000,
    )
    res = loop.run_once()
    # Needs 3,000 bytes: b0, a1, b1 (a0 is held), the three oldest unheld.
    assert res.deleted == {"retention": 0, "disk_pressure": 3, "clock_step": 0}
    remaining = set(segment_paths(engine))
    assert {b[0].path, a[1].path, b[1].path}.isdisjoint(remaining)
    assert a[0].path in remaining and len(remaining) == 17
    assert files_on_disk(root) == remaining
    assert [k for k, _ in alerts] == [ALERT_STORAGE_LOW]
    assert "floor" in alerts[0][1]
    reasons = {(r.camera_id, r.reason, r.segments) for r in register(engine)}
    assert reasons == {("cam-a", "disk_pressure", 1), ("cam-b", "disk_pressure", 2)}
    assert check_archive(engine, root).ok

    # Back above the floor: nothing more is deleted and the alert is not repeated.
    assert loop.run_once().total_deleted == 0
    assert len(alerts) == 1


def test_held_footage_exceeding_the_disk_is_kept_and_alerted(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=30 * 86_400)
    add_segments(engine, root, "cam-a", now - 5 * H, 5, size=1000)
    place_hold(engine, "cam-a", now - DAY, now, "PV 8", "opj", clock)
    alerts: list[str] = []
    loop = RetentionLoop(
        engine,
        root,
        clock,
        free_floor_bytes=2_000,
        on_alert=lambda k, m: alerts.append(k),
        disk_usage_fn=FakeDisk(root, total=5_500),
        margin_bytes=0,
    )
    res = loop.run_once()
    assert res.total_deleted == 0
    assert len(segment_paths(engine)) == 5
    assert alerts == [ALERT_STORAGE_LOW, ALERT_STORAGE_HELD]
    assert "held footage exceeds free space" in res.alerts[1][1]


def test_thread_survives_failing_rounds_and_stops(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=86_400)
    add_segments(engine, root, "cam-a", now - 3 * DAY, 3, duration_ms=H)
    calls = {"n": 0}

    def flaky(_p: Path) -> DiskUsage:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError("disk went away")
        return roomy(_p)

    loop = RetentionLoop(engine, root, clock, 0, interval_s=10, disk_usage_fn=flaky)
    loop.start()
    # The loop waits on the clock: each ten seconds of clock time is one more round.
    for n in range(1, 5):
        assert loop.loop.wait_rounds(n, timeout=30), f"round {n} never ran"
        clock.advance(10)
    loop.stop()
    assert not loop.running
    assert loop.errors == 2 and loop.rounds >= 2
    assert segment_paths(engine) == []  # retention ran even in the failing rounds
    assert not any(t.name == "beffroi-retention" for t in threading.enumerate())


def test_database_outage_is_logged_not_fatal(clock: FakeClock, tmp_path: Path) -> None:
    from beffroi.db.engine import make_engine

    # A database without its schema fails every query, as one that is down would.
    broken = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    loop = RetentionLoop(broken, tmp_path / "archive", clock, 0, interval_s=10, disk_usage_fn=roomy)
    loop.start()
    for n in range(1, 4):
        assert loop.loop.wait_rounds(n, timeout=30), f"round {n} never ran"
        clock.advance(10)
    assert loop.running
    loop.stop()
    assert loop.errors >= 3 and loop.rounds == 0
    broken.dispose()
