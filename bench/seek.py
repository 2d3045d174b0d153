"""Seek benchmark: first playable bytes for a random instant of 15 days × 170 cameras.

    .venv/bin/python -m bench.seek [--cameras 170] [--days 15] [--queries 300]

The index (3.7 M one-minute segments, SQLite, the real schema) is built by
bench/timeline.py's generator and cached under /tmp; its rows then point at a few real
one-minute fMP4 segments (15 fps, a keyframe a second). For random (camera, instant):

- `route path`: what GET /playback.mp4?start=<instant> does before its first byte:
  the timeline query, indexing the segment's fragments, the init part and the first
  fragment's bytes (the fragment index cache is emptied before each query, as for an
  archive too large to stay cached; the files themselves sit in the page cache);
- `ASGI`: the same through the whole app (authentication, scope, journal entry), until
  the response's first 64 KiB have arrived;
- baseline, same run: PyAV opening the segment and demuxing to its first keyframe
  at or before the instant (what a demuxer-based seek would do).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import av
from fastapi.testclient import TestClient
from sqlalchemy import insert

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.clock import FakeClock, from_ms
from beffroi.db.engine import make_engine
from beffroi.ingest.state import CameraState
from beffroi.playback.fragments import SEGMENT_FILES
from beffroi.playback.stream import read_fragment, read_init
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.routes.playback import seek_plan
from bench.timeline import DAY, MINUTE, T0, build
from tests.playback.segments import encode_fmp4

REAL_FILES = 4


class NoRecorder:
    def camera_states(self) -> dict[str, CameraState]:
        return {}


def prepare(path: Path, cameras: int, days: int, root: Path) -> None:
    if not path.exists():
        print(f"generating {cameras * days * 1440:,} rows into {path} (once)")
        build(path, cameras, days)
    for k in range(REAL_FILES):
        target = root / "real" / f"seg-{k}.mp4"
        if not target.exists():
            encode_fmp4(target, 60 * 15, size=(640, 360))


def link_real_files(db_path: Path, root: Path, samples: list[tuple[str, int]]) -> None:
    """Make the rows the samples hit point at real files (paths are unique in the
    index, so each gets a symbolic link to one of the few real segments)."""
    db = sqlite3.connect(db_path)
    for camera, at in samples:
        # The segment holding the instant and the next one (a stream indexes two ahead).
        rows = db.execute(
            "SELECT id, path FROM segments WHERE camera_id = ? AND start_ms > ?"
            " ORDER BY start_ms LIMIT 3",
            (camera, at - MINUTE),
        ).fetchall()
        for row_id, relpath in rows:
            link = root / relpath
            if not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(root / "real" / f"seg-{row_id % REAL_FILES}.mp4")
    db.close()


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def timed(fn: Callable[[str, int], int], samples: list[tuple[str, int]]) -> tuple[float, float]:
    out = []
    for camera, at in samples:
        t = time.perf_counter()
        assert fn(camera, at) > 0
        out.append((time.perf_counter() - t) * 1000)
    return percentiles(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cameras", type=int, default=170)
    ap.add_argument("--days", type=int, default=15)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    db_path = Path(f"/tmp/beffroi-bench-seek-{args.cameras}x{args.days}.sqlite3")
    root = Path("/tmp/beffroi-bench-seek-archive")
    prepare(db_path, args.cameras, args.days, root)
    engine = make_engine(f"sqlite:///{db_path}")
    data_dir = Path(tempfile.mkdtemp(prefix="beffroi-bench-seek-"))
    clock = FakeClock(datetime.fromtimestamp((T0 + args.days * DAY) / 1000, tz=UTC))
    ctx = AppContext(engine, clock, data_dir, root, NoRecorder(), free_floor_bytes=0)
    with engine.begin() as conn:
        conn.execute(users.delete().where(users.c.username == "bench"))
        uid = conn.execute(
            insert(users)
            .values(
                username="bench", password_hash="x", role="operator", disabled=False, created_ms=0
            )
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(insert(user_communes).values(user_id=uid, commune_id="c"))
    rng = random.Random(7)
    samples = [
        (f"cam-{rng.randrange(args.cameras):03d}", T0 + rng.randrange(args.days * DAY - MINUTE))
        for _ in range(args.queries)
    ]

    link_real_files(db_path, root, samples)
    headers = {"Authorization": f"Bearer {open_session(engine, uid, clock).token}"}

    def route_path(camera: str, at: int) -> int:
        SEGMENT_FILES.clear()
        plan = seek_plan(ctx, camera, at)
        head = plan.head
        first = read_fragment(head.file, head.file.fragments[head.first], plan.base_ticks(head), 1)
        return len(read_init(head)) + len(first)

    def demuxer(camera: str, at: int) -> int:
        plan = seek_plan(ctx, camera, at)
        with av.open(str(plan.head.file.path)) as c:
            stream = c.streams.video[0]
            offset = (at - plan.head.span.start_ms) / 1000
            c.seek(int(offset / stream.time_base), stream=stream, backward=True)
            packet = next(p for p in c.demux(stream) if p.is_keyframe)
            return packet.size

    with TestClient(create_app(ctx)) as client:

        def asgi(camera: str, at: int) -> int:
            SEGMENT_FILES.clear()
            params = {"start": from_ms(at).isoformat(), "end": from_ms(at + 3_600_000).isoformat()}
            with client.stream(
                "GET", f"/api/cameras/{camera}/playback.mp4", params=params, headers=headers
            ) as r:
                assert r.status_code == 200, r.read()
                got = 0
                for chunk in r.iter_bytes():
                    got += len(chunk)
                    if got >= 65_536:
                        break
            return got

        print(f"{args.cameras} cameras x {args.days} days of 1-minute segments, SQLite")
        print(f"{args.queries} random (camera, instant); first playable bytes")
        for label, fn in (("route path", route_path), ("ASGI", asgi), ("PyAV demux", demuxer)):
            timed(fn, samples[:10])  # warm up
            p50, p95 = timed(fn, samples)
            print(f"  {label:<12} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
