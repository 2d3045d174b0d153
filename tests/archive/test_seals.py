"""Seals: whoever can write the database can rewrite a segment with its hash, or delete
footage and invent the destruction that explains it; once the hour is sealed into the
signed journal, `beffroi check` tells."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update

from beffroi.archive.check import check_archive
from beffroi.archive.holds import place_hold, release_hold
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.seals import GRACE_MS, HOUR_MS, PRESSURE, SEAL
from beffroi.archive.tables import destructions, holds, sealed_lines, segments
from beffroi.clock import FakeClock, utc_ms
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from tests.archive.factory import FakeDisk, FakeSegment, add_camera, add_segments
from tests.archive.test_retention_loop import roomy

MINUTE = 60_000


def _loop(
    engine: Engine, root: Path, clock: FakeClock, journal: Journal, **kw: object
) -> RetentionLoop:
    kw.setdefault("disk_usage_fn", roomy)
    return RetentionLoop(engine, root, clock, 10**6, journal=journal, **kw)  # type: ignore[arg-type]


@pytest.fixture
def recorded(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> tuple[Path, Journal, list[FakeSegment]]:
    """Three hours of one-minute segments, ending before now, sealed by a round."""
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    start = now - now % HOUR_MS - 4 * HOUR_MS
    add_camera(engine, "cam-a")
    segs = add_segments(engine, root, "cam-a", start, 180, duration_ms=MINUTE, size=300)
    journal = Journal.open(engine, clock, data_dir)
    result = _loop(engine, root, clock, journal).run_once()
    assert result.sealed_hours >= 3
    return root, journal, segs


def _replace_like_an_insider(engine: Engine, root: Path, seg: FakeSegment) -> None:
    """New bytes in the file, its hash in the row and in its successor's link: the hash
    chain and the files' hashes agree again."""
    data = b"forged footage" * 20
    (root / seg.path).write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        conn.execute(
            update(segments).where(segments.c.id == seg.id).values(sha256=sha, bytes=len(data))
        )
        conn.execute(
            update(segments).where(segments.c.prev_sha256 == seg.sha256).values(prev_sha256=sha)
        )


def test_a_segment_replaced_with_its_hash_is_found_in_a_sealed_hour(
    engine: Engine, recorded: tuple[Path, Journal, list[FakeSegment]], data_dir: Path
) -> None:
    root, _, segs = recorded
    clean = check_archive(engine, root)
    assert clean.ok, clean.problems
    assert clean.stats.sealed_hours == 3 and clean.stats.seal_problems == 0
    _replace_like_an_insider(engine, root, segs[70])
    report = check_archive(engine, root)
    # Files, sizes and the chain agree: only the seal tells.
    assert (report.stats.bad_files, report.stats.chain_breaks) == (0, 0)
    assert not report.ok and report.stats.seal_problems == 1
    assert "replaced or altered since sealed" in report.problems[0]
    # The command an auditor runs says so too, and fails.
    r = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "check", "--data", str(data_dir)],
        capture_output=True, text=True, timeout=120,
        env={"BEFFROI_DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
             "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert r.returncode == 1 and "replaced or altered since sealed" in r.stdout, r.stderr


def test_deleted_footage_with_an_invented_destruction_is_found(
    engine: Engine, clock: FakeClock, recorded: tuple[Path, Journal, list[FakeSegment]]
) -> None:
    root, journal, segs = recorded
    hidden = segs[100:110]  # ten minutes of yesterday's... of an hour ago
    with engine.begin() as conn:
        conn.execute(delete(segments).where(segments.c.id.in_([s.id for s in hidden])))
        conn.execute(
            insert(destructions).values(
                camera_id="cam-a", start_ms=hidden[0].start_ms, end_ms=hidden[-1].end_ms,
                segments=len(hidden), bytes=3000, reason="retention",
                last_sha256=hidden[-1].sha256, destroyed_ms=utc_ms(clock.now()),
            )
        )  # fmt: skip
    for s in hidden:
        (root / s.path).unlink()
    report = check_archive(engine, root)
    assert report.stats.chain_breaks == 0  # the invented row anchors the chain
    assert not report.ok
    assert any("before its retention" in p for p in report.problems), report.problems
    # Sealed once its hour is over, it stays named: the seal records what it could not
    # explain.
    clock.advance((HOUR_MS + GRACE_MS) / 1000)
    _loop(engine, root, clock, journal).run_once()
    report = check_archive(engine, root)
    assert any(p.startswith("sealed while unexplained") for p in report.problems)
    # Called disk pressure instead, it is not in the journal either.
    with engine.begin() as conn:
        conn.execute(update(destructions).values(reason="disk_pressure"))
    report = check_archive(engine, root)
    assert any("register altered since sealed" in p for p in report.problems)


def test_deleting_sealed_footage_without_a_destruction_is_found(
    engine: Engine, recorded: tuple[Path, Journal, list[FakeSegment]]
) -> None:
    root, _, segs = recorded
    # Relinking the chain over the gap, so the chain itself holds.
    with engine.begin() as conn:
        conn.execute(delete(segments).where(segments.c.id == segs[30].id))
        conn.execute(
            update(segments).where(segments.c.id == segs[31].id).values(prev_sha256=segs[29].sha256)
        )
    (root / segs[30].path).unlink()
    report = check_archive(engine, root)
    assert report.stats.chain_breaks == 0
    assert any("1 sealed segment(s) gone without a destruction" in p for p in report.problems)


def test_lawful_destructions_stay_clean_and_pressure_is_journaled(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    start = now - now % HOUR_MS - 6 * HOUR_MS
    add_camera(engine, "cam-r", retention_s=3 * 3600)  # three hours
    add_camera(engine, "cam-p")
    add_segments(engine, root, "cam-r", start, 300, duration_ms=MINUTE, size=300)
    add_segments(engine, root, "cam-p", start, 300, duration_ms=MINUTE, size=300)
    journal = Journal.open(engine, clock, data_dir)
    # Retention destroys cam-r's first hours; disk pressure then takes the oldest footage.
    disk = FakeDisk(root, total=600 * 300 + 40_000)
    loop = _loop(engine, root, clock, journal, disk_usage_fn=disk)
    loop.free_floor_bytes = 120_000
    loop.margin_bytes = 0
    result = loop.run_once()
    assert result.deleted["retention"] > 0 and result.deleted["disk_pressure"] > 0
    clock.advance((HOUR_MS + GRACE_MS) / 1000)  # the hour of these destructions gets sealed
    disk.total += 10**9
    assert loop.run_once().sealed_hours >= 1
    report = check_archive(engine, root)
    assert report.ok, report.problems
    with engine.connect() as conn:
        pressure = conn.execute(
            select(func.count()).where(journal_entries.c.action == PRESSURE)
        ).scalar_one()
        seals = conn.execute(select(func.count()).where(journal_entries.c.action == SEAL)).scalar()
    assert pressure >= 1 and seals >= 6


def test_held_footage_in_a_partly_destroyed_hour_stays_verifiable(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    """Retention destroys the footage around a hold: the hold's first and last hours are
    then partly destroyed, and the kept lines of their destroyed segments still let the
    held ones be recomputed against the seal."""
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    start = now - now % HOUR_MS - 5 * HOUR_MS
    add_camera(engine, "cam-h", retention_s=3600)
    segs = add_segments(engine, root, "cam-h", start, 240, duration_ms=MINUTE, size=300)
    journal = Journal.open(engine, clock, data_dir)
    loop = _loop(engine, root, clock, journal)
    assert loop.sealer is not None
    loop.sealer.seal_due(now)  # sealed before retention runs
    clock.advance(10)
    held = segs[50:80]  # 0:50 to 1:20 of the first two hours
    place_hold(engine, "cam-h", held[0].start_ms, held[-1].end_ms - 1, "réquisition", "chef", clock)
    assert loop.run_once().deleted["retention"] > 0
    with engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(segments)).scalar_one()
        kept = conn.execute(select(func.count()).select_from(sealed_lines)).scalar_one()
    assert left < 240 and kept > 0
    report = check_archive(engine, root)
    assert report.ok, report.problems
    assert not any("hash chain only" in i for i in report.info), report.info
    _replace_like_an_insider(engine, root, held[3])  # in the first, partly destroyed hour
    report = check_archive(engine, root)
    assert any("replaced or altered since sealed" in p for p in report.problems)
    # Once an hour is wholly destroyed its kept lines go.
    release_hold(engine, next(iter(_hold_ids(engine))), "chef", "classement", clock)
    loop.run_once()
    with engine.connect() as conn:
        hours = set(conn.execute(select(sealed_lines.c.hour_ms)).scalars())
        remaining = {s - s % HOUR_MS for s in conn.execute(select(segments.c.start_ms)).scalars()}
    assert hours <= remaining


def _hold_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(holds.c.id)).scalars())
