"""Two-phase deletion: a crash between the phases is finished at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, insert, select

from beffroi.archive.check import check_archive
from beffroi.archive.gc import collect_garbage, delete_segments
from beffroi.archive.holds import place_hold
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.tables import destructions, segment_garbage, segments
from beffroi.clock import FakeClock, utc_ms
from tests.archive.factory import add_camera, add_segments, files_on_disk, segment_paths

H = 3_600_000


def count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_crash_after_phase_one_is_recovered_at_start_up(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", now - 40 * H, 10)
    with engine.begin() as conn:
        p1 = delete_segments(conn, [s.id for s in segs[:4]], "retention", now)
    assert (p1.segments, p1.bytes, p1.register_rows) == (4, 4000, 1)
    # "Crash" here: rows gone, files still on disk, each one listed as garbage.
    assert segment_paths(engine) == [s.path for s in segs[4:]]
    assert files_on_disk(root) == {s.path for s in segs}
    assert count(engine, segment_garbage) == 4
    # Neither a row without a file nor an unlisted file: check sees no problem.
    report = check_archive(engine, root)
    assert report.ok and report.stats.garbage_pending == 4 and report.stats.orphans == 0
    # One file was already unlinked before the crash.
    (root / segs[0].path).unlink()

    res = RetentionLoop(engine, root, clock, 0).recover()

    assert (res.unlinked, res.missing_files) == (3, 1)
    assert files_on_disk(root) == {s.path for s in segs[4:]}
    assert count(engine, segment_garbage) == 0
    assert count(engine, segments) == 6
    assert check_archive(engine, root).ok
    # Running phase 2 again is harmless.
    again = collect_garbage(engine, root, now)
    assert (again.unlinked, again.missing) == (0, 0)


def test_phase_one_rolls_back_whole(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", now - 40 * H, 3)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        delete_segments(conn, [segs[0].id], "retention", now)
        raise RuntimeError("power cut before commit")
    assert count(engine, segments) == 3
    assert count(engine, segment_garbage) == 0
    assert count(engine, destructions) == 0


def test_phase_one_skips_segments_held_meanwhile(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", now - 40 * H, 3)
    # The decision was made, then a hold arrived before the deleting transaction.
    place_hold(engine, "cam-a", segs[1].start_ms + 1, segs[1].start_ms + 1, "PV", "opj", clock)
    with engine.begin() as conn:
        p1 = delete_segments(conn, [s.id for s in segs], "retention", now)
    assert p1.segments == 2 and p1.skipped_held == 1
    assert segment_paths(engine) == [segs[1].path]


def test_phase_two_keeps_a_path_indexed_again_and_never_leaves_the_root(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", now - 40 * H, 1)
    outside = data_dir / "precious.txt"
    outside.write_text("not footage")
    with engine.begin() as conn:
        conn.execute(
            insert(segment_garbage),
            [
                {"camera_id": "cam-a", "path": segs[0].path, "queued_ms": now},
                {"camera_id": "cam-a", "path": "../precious.txt", "queued_ms": now},
            ],
        )
    res = collect_garbage(engine, root, now)
    assert res.kept_live == 1 and res.unlinked == 0
    assert (root / segs[0].path).exists() and outside.exists()
    assert count(engine, segment_garbage) == 0


def test_unknown_reason_is_refused(engine: Engine, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="reason"), engine.begin() as conn:
        delete_segments(conn, [1], "tidy-up", utc_ms(clock.now()))
