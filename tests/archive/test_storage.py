"""Storage report, disk usage and the free-space floor setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from beffroi.archive.disk import DiskUsage, disk_usage, floor_bytes, parse_size
from beffroi.archive.storage import storage_report
from beffroi.clock import FakeClock, utc_ms
from beffroi.site.tables import cameras
from tests.archive.factory import add_camera, add_segments

H = 3_600_000
DAY = 24 * H


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (1234, 1234),
        ("1234", 1234),
        ("20GB", 20 * 10**9),
        ("20 gb", 20 * 10**9),
        ("500MiB", 500 * 2**20),
        ("1.5T", int(1.5 * 2**40)),
        ("2TB", 2 * 10**12),
        ("5%", 50),
        ("0.5%", 5),
    ],
)
def test_parse_size(spec: str | int, expected: int) -> None:
    assert parse_size(spec, total_bytes=1000) == expected


@pytest.mark.parametrize("bad", ["", "GB", "-5GB", "5 parsecs", "150%", "1e3"])
def test_parse_size_rejects_nonsense(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_size(bad, total_bytes=1000)


def test_percentage_needs_the_filesystem(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="percentage"):
        parse_size("5%")
    assert floor_bytes("10%", tmp_path, lambda _p: DiskUsage(1000, 10)) == 100
    real = disk_usage(tmp_path / "not" / "yet")  # measured on the nearest existing parent
    assert real.total > 0 and 0 <= real.free <= real.total
    assert floor_bytes("1%", tmp_path) == real.total // 100


def test_storage_report(engine: Engine, clock: FakeClock, data_dir: Path) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=15 * 86_400)
    add_camera(engine, "cam-b", retention_s=7 * 86_400)
    add_camera(engine, "cam-gone", retention_s=30 * 86_400)
    with engine.begin() as conn:
        conn.execute(update(cameras).where(cameras.c.id == "cam-gone").values(removed_ms=now))
    # cam-a: 3 days of hourly 1,000-byte segments; cam-b: 12 hours of 2,000-byte ones.
    add_segments(engine, root, "cam-a", now - 3 * DAY, 72, size=1000)
    add_segments(engine, root, "cam-b", now - 12 * H, 12, size=2000)

    def disk(_p: Path) -> DiskUsage:
        return DiskUsage(total=1_000_000, free=500_000)

    rep = storage_report(engine, root, clock, floor_bytes=100_000, disk_usage_fn=disk)
    by_id = {c.camera_id: c for c in rep.cameras}
    a, b, gone = by_id["cam-a"], by_id["cam-b"], by_id["cam-gone"]
    assert (a.segments, a.bytes, a.oldest_ms, a.newest_ms) == (72, 72_000, now - 3 * DAY, now)
    assert a.oldest == "2026-10-29T08:00:00Z" and a.newest == "2026-11-01T08:00:00Z"
    assert a.bytes_per_day == 24_000
    # cam-b recorded for 12 hours only: its rate is measured over those 12 hours.
    assert b.bytes_per_day == 48_000 and b.retention_days == 7
    assert gone.removed and gone.segments == 0 and gone.oldest is None
    assert (rep.total_segments, rep.total_bytes, rep.bytes_per_day) == (84, 96_000, 72_000)
    assert (rep.disk_total_bytes, rep.disk_free_bytes, rep.floor_bytes) == (
        1_000_000,
        500_000,
        100_000,
    )
    # (96,000 used + 500,000 free - 100,000 floor) / 72,000 a day.
    assert rep.forecast_days == pytest.approx(496_000 / 72_000, abs=0.01)
    # The removed camera's 30 days do not count: 15 days is the longest in force.
    assert rep.longest_retention_days == 15
    assert rep.covers_retention is False
    big = storage_report(
        engine, root, clock, 100_000, disk_usage_fn=lambda _p: DiskUsage(10**9, 10**9)
    )
    assert big.covers_retention is True
    assert big.model_dump()["cameras"][0]["camera_id"] == "cam-a"


def test_storage_report_of_an_empty_archive(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    rep = storage_report(
        engine, data_dir / "archive", clock, 0, disk_usage_fn=lambda _p: DiskUsage(100, 50)
    )
    assert rep.cameras == [] and rep.total_bytes == 0
    assert rep.forecast_days is None and rep.covers_retention is None
