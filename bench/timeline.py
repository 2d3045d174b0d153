"""Timeline query benchmark: 15 days × 500 cameras of 1-minute segments in SQLite.

    .venv/bin/python bench/timeline.py [--cameras 500] [--days 15] [--queries 200]

The database (10.8 M rows) is generated once with raw sqlite3 and cached under /tmp;
the schema comes from the Alembic migrations, so the index is the real one. Prints
p50/p95 of `query_spans` (the SQL behind GET /recordings) for random camera-day
windows and for a camera's whole 15 days, next to the naive single-statement query
(`start_ms < end AND end_ms > start`) as the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, select

from beffroi.archive.tables import segments
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.playback.timeline import Span, query_spans, spans_from_rows

T0 = 1_793_491_200_000  # 2026-11-01T00:00Z
MINUTE = 60_000
DAY = 86_400_000


def build(path: Path, cameras: int, days: int) -> None:
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    engine.dispose()
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.executemany(
        "INSERT INTO communes (id, name, updated_ms) VALUES (?, ?, 0)", [("c", "Commune")]
    )
    db.executemany(
        "INSERT INTO cameras (id, name, commune_id, stream_url, retention_s, view, enabled,"
        " updated_ms) VALUES (?, ?, 'c', 'rtsp://x', 1296000, 'general', 1, 0)",
        [(f"cam-{c:03d}", f"cam {c}") for c in range(cameras)],
    )
    per_camera = days * 1440
    started = time.perf_counter()
    # Rows in time order across cameras, as the recorder inserts them.
    for minute in range(per_camera):
        start = T0 + minute * MINUTE
        day = (start // DAY) % 100
        db.executemany(
            "INSERT INTO segments (camera_id, start_ms, end_ms, path, bytes, codec, width,"
            " height, fps, frames, sha256, prev_sha256, salvaged, indexed_ms)"
            " VALUES (?, ?, ?, ?, 30000000, 'h264', 1920, 1080, 15.0, 900, ?, NULL, 0, ?)",
            [
                (
                    f"cam-{c:03d}",
                    start,
                    start + MINUTE - 40,
                    f"cam-{c:03d}/{day}/{start}.mp4",
                    "0" * 64,
                    start + MINUTE,
                )
                for c in range(cameras)
            ],
        )
        if minute % 1440 == 1439:
            db.commit()
            print(f"  day {minute // 1440 + 1}/{days} ({time.perf_counter() - started:.0f} s)")
    db.commit()
    db.execute("ANALYZE")
    db.commit()
    db.close()
    tmp.rename(path)


def naive(conn: Connection, camera_id: str, start_ms: int, end_ms: int) -> list[Span]:
    """One statement, `end_ms > start` unbounded below: scans the camera's history."""
    c = segments.c
    return spans_from_rows(
        conn.execute(
            select(c.id, c.start_ms, c.end_ms, c.bytes, c.sha256, c.path)
            .where(c.camera_id == camera_id, c.start_ms < end_ms, c.end_ms > start_ms)
            .order_by(c.start_ms)
        ).all()
    )


def timed(
    conn: Connection, fn: Callable[..., list[Span]], windows: list[tuple[str, int, int]]
) -> tuple[float, float, int]:
    times, rows = [], 0
    for camera, start, end in windows:
        t = time.perf_counter()
        rows += len(fn(conn, camera, start, end))
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], rows // len(windows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--days", type=int, default=15)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    path = args.db or Path(f"/tmp/beffroi-bench-timeline-{args.cameras}x{args.days}.sqlite3")
    if not path.exists():
        print(f"generating {args.cameras * args.days * 1440:,} rows into {path} (once)")
        build(path, args.cameras, args.days)
    engine = make_engine(f"sqlite:///{path}")
    rng = random.Random(42)
    cams = [f"cam-{rng.randrange(args.cameras):03d}" for _ in range(args.queries)]
    day_windows = []
    for cam in cams:
        start = T0 + rng.randrange(args.days) * DAY + rng.randrange(1440) * MINUTE
        day_windows.append((cam, start, start + DAY))
    whole = [(cam, T0, T0 + args.days * DAY) for cam in cams[: max(args.queries // 10, 5)]]
    print(f"{args.cameras} cameras x {args.days} days, SQLite, {args.queries} queries each")
    print(f"{'window':<14}{'query':<12}{'p50 ms':>9}{'p95 ms':>9}{'rows':>8}")
    with engine.connect() as conn:
        for label, windows in (("camera-day", day_windows), ("whole range", whole)):
            timed(conn, query_spans, windows[:5])  # warm the page cache
            ours = timed(conn, query_spans, windows)
            base = timed(conn, naive, windows)
            print(f"{label:<14}{'naive':<12}{base[0]:>9.2f}{base[1]:>9.2f}{base[2]:>8}")
            print(f"{label:<14}{'query_spans':<12}{ours[0]:>9.2f}{ours[1]:>9.2f}{ours[2]:>8}")
            print(f"{'':<14}{'ratio p95':<12}{base[1] / ours[1]:>9.1f}x")
    engine.dispose()


if __name__ == "__main__":
    main()
