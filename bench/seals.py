"""What sealing the archive into the journal costs: one hour of 169 cameras with
one-minute segments (10,140 rows) sealed, then `beffroi check`'s loading of the seals.

    .venv/bin/python -m bench.seals [--cameras 169] [--hours 24]

Prints the time to seal each hour (one `archive.seal` entry), the entry's size, and the
time to load every seal for a check. The rows are index rows only (no files): the cost
measured is the database's and the digests', not the disk's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from beffroi.archive.seals import HOUR_MS, Sealer, Seals
from beffroi.archive.tables import segments
from beffroi.clock import FakeClock, utc_ms
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from tests.archive.factory import add_camera


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=169)
    parser.add_argument("--hours", type=int, default=24)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="beffroi-bench-seals-"))
    engine = make_engine(f"sqlite:///{data}/beffroi.db")
    upgrade(engine)
    clock = FakeClock(datetime(2026, 12, 7, 0, 0, tzinfo=UTC))
    start = utc_ms(clock.now())
    for c in range(args.cameras):
        add_camera(engine, f"cam-{c:03d}")
    for hour in range(args.hours):
        rows = [
            {
                "camera_id": f"cam-{c:03d}", "start_ms": s, "end_ms": s + 60_000,
                "path": f"cam-{c:03d}/{s}.mp4", "bytes": 1, "codec": "h264", "width": 1,
                "height": 1, "fps": 25.0, "frames": 1500,
                "sha256": hashlib.sha256(os.urandom(8)).hexdigest(), "prev_sha256": None,
                "salvaged": False, "indexed_ms": s + 60_000,
            }
            for c in range(args.cameras)
            for s in (start + hour * HOUR_MS + i * 60_000 for i in range(60))
        ]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(segments), rows)
    journal = Journal.open(engine, clock, data)
    sealer = Sealer(journal)
    sealer.seal_due(start)  # nothing due yet: fixes where sealing starts
    times = []
    for hour in range(args.hours):
        t0 = time.perf_counter()
        sealed = sealer.seal_due(start + (hour + 1) * HOUR_MS + 11 * 60_000)
        times.append(time.perf_counter() - t0)
        assert sealed == 1, sealed
    with engine.connect() as conn:
        size = conn.execute(
            select(func.max(func.length(journal_entries.c.detail))).where(
                journal_entries.c.action == "archive.seal"
            )
        ).scalar()
        t0 = time.perf_counter()
        Seals.load(conn)
        load = time.perf_counter() - t0
    n = args.cameras * 60
    print(f"{args.hours} hour(s) of {args.cameras} cameras ({n} segments an hour), SQLite")
    print(f"  seal an hour: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms")  # fmt: skip
    print(f"  entry size: {size} bytes of detail")
    print(f"  load {args.hours} seals for a check: {load * 1000:.0f} ms")


if __name__ == "__main__":
    main()
