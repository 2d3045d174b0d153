"""`check_archive`: clean archives pass; each kind of damage is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from beffroi.archive.check import check_archive, format_report
from beffroi.archive.gc import delete_segments
from beffroi.archive.layout import segment_relpath
from beffroi.archive.tables import segments
from beffroi.clock import FakeClock, utc_ms
from tests.archive.factory import FakeSegment, add_camera, add_segments

H = 3_600_000


@pytest.fixture
def archive(engine: Engine, clock: FakeClock, data_dir: Path) -> tuple[Path, list[FakeSegment]]:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a")
    add_camera(engine, "cam-b")
    a = add_segments(engine, root, "cam-a", now - 10 * H, 8, size=5000)
    add_segments(engine, root, "cam-b", now - 10 * H, 4, size=5000)
    return root, a


def test_clean_archive_is_ok(engine: Engine, archive: tuple[Path, list[FakeSegment]]) -> None:
    root, _ = archive
    report = check_archive(engine, root)
    assert report.ok and report.problems == []
    s = report.stats
    assert (s.cameras, s.segments, s.files_hashed, s.bytes_hashed) == (2, 12, 12, 60_000)
    assert format_report(report).startswith("beffroi check: OK")


def test_modified_file_is_detected(engine: Engine, archive: tuple[Path, list[FakeSegment]]) -> None:
    root, a = archive
    p = root / a[3].path
    data = bytearray(p.read_bytes())
    data[100] ^= 0xFF  # same size, one bit pattern changed
    p.write_bytes(bytes(data))
    report = check_archive(engine, root)
    assert not report.ok and report.stats.bad_files == 1
    assert len(report.problems) == 1
    assert report.problems[0].startswith(f"camera cam-a: file {a[3].path} is altered: SHA-256")
    # Sizes alone cannot see it.
    assert check_archive(engine, root, verify_hashes=False).ok


def test_truncated_and_missing_files_are_detected(
    engine: Engine, archive: tuple[Path, list[FakeSegment]]
) -> None:
    root, a = archive
    (root / a[2].path).write_bytes(b"short")
    (root / a[5].path).unlink()
    report = check_archive(engine, root)
    assert not report.ok
    assert report.stats.bad_files == 1 and report.stats.missing_files == 1
    assert any(a[2].path in p and "size 5 bytes" in p for p in report.problems)
    assert any(a[5].path in p and "missing" in p for p in report.problems)
    text = format_report(report)
    assert "PROBLEMS FOUND" in text and a[5].path in text


def test_orphan_file_and_part_file(
    engine: Engine, clock: FakeClock, archive: tuple[Path, list[FakeSegment]]
) -> None:
    root, _ = archive
    now = utc_ms(clock.now())
    orphan = root / segment_relpath("cam-a", now)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x" * 10)
    stray_cam = root / segment_relpath("cam-z", now)
    stray_cam.parent.mkdir(parents=True)
    stray_cam.write_bytes(b"y")
    part = root / (segment_relpath("cam-b", now) + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(b"z")
    report = check_archive(engine, root)
    assert not report.ok and report.stats.orphans == 2
    rel = orphan.relative_to(root).as_posix()
    assert f"camera cam-a: orphan file {rel} has no index row" in report.problems
    assert report.stats.part_files == 1 and len(report.problems) == 2
    assert any("in progress or to salvage" in i for i in report.info)
    orphan.unlink()
    stray_cam.unlink()
    assert check_archive(engine, root).ok  # a .part alone is not an error


def test_broken_chain_is_detected(engine: Engine, archive: tuple[Path, list[FakeSegment]]) -> None:
    root, a = archive
    with engine.begin() as conn:
        conn.execute(update(segments).where(segments.c.id == a[4].id).values(prev_sha256="0" * 64))
    report = check_archive(engine, root)
    assert not report.ok and report.stats.chain_breaks == 1
    assert f"hash chain broken at {a[4].path}" in report.problems[0]


def test_chain_anchored_by_destruction_register(
    engine: Engine, clock: FakeClock, archive: tuple[Path, list[FakeSegment]]
) -> None:
    root, a = archive
    now = utc_ms(clock.now())
    # Deleting rows without the register would leave the first remaining row unanchored.
    with engine.begin() as conn:
        conn.execute(segments.delete().where(segments.c.id.in_([a[0].id, a[1].id])))
    (root / a[0].path).unlink()
    (root / a[1].path).unlink()
    report = check_archive(engine, root)
    assert not report.ok and report.stats.chain_breaks == 1 and a[2].path in report.problems[0]
    # Proper deletion of the next one writes the anchor, and the chain is whole again.
    with engine.begin() as conn:
        delete_segments(conn, [a[2].id], "retention", now)
    assert check_archive(engine, root).ok


def test_overlap_and_reversed_range_are_detected(
    engine: Engine, archive: tuple[Path, list[FakeSegment]]
) -> None:
    root, a = archive
    with engine.begin() as conn:
        conn.execute(update(segments).where(segments.c.id == a[6].id).values(end_ms=a[6].start_ms))
        conn.execute(
            update(segments).where(segments.c.id == a[2].id).values(end_ms=a[3].start_ms + 500)
        )
    report = check_archive(engine, root)
    assert report.stats.bad_ranges == 1 and report.stats.overlaps == 1
    assert any(a[3].path in p and "overlaps" in p and "500 ms" in p for p in report.problems)
    assert any(a[6].path in p and "starts at or after its end" in p for p in report.problems)
