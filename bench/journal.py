"""Journal benchmark: the cost of journaling a request, and verifying a million entries.

    .venv/bin/python bench/journal.py [--requests 2000] [--entries 1000000] [--db URL]

1. Overhead: the same route (`GET /api/bench/cameras/{id}`: authenticate, check the
   permission, load the camera within the user's communes, journal `recording.read`) is
   called through FastAPI's TestClient with the journal on and off, interleaved in the
   same run so both see the same machine. Prints p50/p95 of each and the p95 difference
   (target ≤ 1 ms). The database is SQLite in a temporary directory, like `beffroi run`.
2. Verify: a journal of `--entries` entries (generated once with `append_many`, in
   batches of 10,000, and cached under /tmp) is verified by `verify_journal`, the code
   behind `beffroi journal verify`. Target: 1 M entries in ≤ 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select

from beffroi.access.passwords import hash_password
from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.clock import FakeClock, SystemClock
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.journal.chain import CheckpointPolicy, append_many
from beffroi.journal.entries import NewEntry, canonical_detail
from beffroi.journal.http import journal_action
from beffroi.journal.keys import load_or_create_key
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from beffroi.journal.verify import verify_journal
from beffroi.site.tables import cameras, communes
from beffroi.web.app import create_app
from beffroi.web.camera_info import visible_camera_row
from beffroi.web.context import AppContext
from beffroi.web.deps import Ctx, require
from beffroi.web.routes import journal as journal_routes

bench = APIRouter()
IN_ROUTE: list[float] = []  # ms spent in journal_action, journal on


@bench.get("/api/bench/cameras/{camera_id}")
def read_camera(
    camera_id: str,
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.RECORDING_READ))],
) -> dict[str, str]:
    with ctx.engine.connect() as conn:
        row = visible_camera_row(conn, principal, camera_id)
    t0 = time.perf_counter()
    journal_action(
        request, principal, "recording.read", camera=camera_id, commune=row.commune_id,
        start_ms=0, end_ms=1,
    )  # fmt: skip
    if request.app.state.journal.enabled:
        IN_ROUTE.append((time.perf_counter() - t0) * 1000)
    return {"id": row.id, "commune": row.commune_id}


class _Recorder:
    def camera_states(self) -> dict:
        return {}


def _seed(engine: Engine) -> int:
    with engine.begin() as conn:
        conn.execute(insert(communes).values(id="joue-les-tours", name="Joué", updated_ms=0))
        conn.execute(
            insert(cameras).values(
                id="jlt-001", name="Place", commune_id="joue-les-tours", stream_url="rtsp://x",
                retention_s=15 * 86400, view="general", enabled=True, updated_ms=0,
            )
        )  # fmt: skip
        uid = conn.execute(
            insert(users)
            .values(username="agent", password_hash=hash_password("x" * 16), role="operator",
                    disabled=False, created_ms=0)
            .returning(users.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(insert(user_communes).values(user_id=uid, commune_id="joue-les-tours"))
    return int(uid)


def overhead(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        engine = make_engine(f"sqlite:///{data / 'beffroi.sqlite3'}")
        upgrade(engine)
        clock = SystemClock()
        uid = _seed(engine)
        ctx = AppContext(engine, clock, data, data, _Recorder(), 0)  # type: ignore[arg-type]
        app = create_app(ctx)
        journal = Journal.open(engine, clock, data)
        journal_routes.install(app, journal)
        app.include_router(bench)
        headers = {"Authorization": f"Bearer {open_session(engine, uid, clock).token}"}
        times: dict[bool, list[float]] = {True: [], False: []}
        with TestClient(app) as client:
            for i in range(requests * 2 + 200):
                on = i % 2 == 0
                journal.enabled = on
                t0 = time.perf_counter()
                r = client.get("/api/bench/cameras/jlt-001", headers=headers)
                elapsed = time.perf_counter() - t0
                assert r.status_code == 200, r.text
                if i >= 200:  # warm-up: caches, compiled statements
                    times[on].append(elapsed * 1000)
        with engine.connect() as conn:
            written = conn.execute(select(func.count()).select_from(journal_entries)).scalar()
        engine.dispose()
    inside = IN_ROUTE[-requests:]
    p = {on: (statistics.median(t), statistics.quantiles(t, n=20)[18]) for on, t in times.items()}
    print(f"journaling overhead, {requests} requests each way, SQLite (WAL), TestClient:")
    print(f"  journal off: p50 {p[False][0]:.3f} ms  p95 {p[False][1]:.3f} ms")
    print(f"  journal on:  p50 {p[True][0]:.3f} ms  p95 {p[True][1]:.3f} ms  ({written} entries)")
    print(f"  overhead:    p50 {p[True][0] - p[False][0]:+.3f} ms  "
          f"p95 {p[True][1] - p[False][1]:+.3f} ms  (target ≤ 1 ms)")  # fmt: skip
    print(f"  journal_action itself: p50 {statistics.median(inside):.3f} ms  "
          f"p95 {statistics.quantiles(inside, n=20)[18]:.3f} ms  "
          f"p99 {statistics.quantiles(inside, n=100)[98]:.3f} ms")  # fmt: skip


def build_journal(url: str, entries: int) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(journal_entries)).scalar_one()
    if have == entries:
        return engine
    if have:
        raise SystemExit(f"{url} holds {have} entries, not {entries}: delete it first")
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    key = load_or_create_key(Path("/tmp/beffroi-bench-journal-keys"))
    policy = CheckpointPolicy(every_entries=1000)
    t0 = time.perf_counter()
    for start in range(0, entries, 10_000):
        batch = [
            NewEntry(
                action="recording.read", user_id=3, username="agent.dupont", role="operator",
                communes=",joue-les-tours,", source="10.1.2.3", camera=f"jlt-{i % 170:03d}",
                commune="joue-les-tours", start_ms=1_767_225_600_000 + i,
                end_ms=1_767_229_200_000 + i,
                detail=canonical_detail({"path": f"/api/cameras/jlt-{i % 170:03d}/recordings"}),
            )
            for i in range(start, min(entries, start + 10_000))
        ]  # fmt: skip
        append_many(engine, clock, batch, key=key, policy=policy)
        clock.advance(10)
    print(f"generated {entries} entries in {time.perf_counter() - t0:.1f} s")
    return engine


def verify_time(url: str, entries: int) -> None:
    engine = build_journal(url, entries)
    key = load_or_create_key(Path("/tmp/beffroi-bench-journal-keys"))
    t0 = time.perf_counter()
    report = verify_journal(engine, key.public_key())
    elapsed = time.perf_counter() - t0
    engine.dispose()
    assert report.ok, report.summary()
    rate = report.entries / elapsed
    print(f"verify: {report.entries} entries, {report.checkpoints} checkpoints in "
          f"{elapsed:.2f} s ({rate:,.0f} entries/s; target 1 M in ≤ 10 s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument(
        "--db", default=None, help="database of the verify test (default: SQLite under /tmp)"
    )
    parser.add_argument("--only", choices=("overhead", "verify"), default=None)
    args = parser.parse_args()
    if args.only != "verify":
        overhead(args.requests)
    if args.only == "overhead":
        return
    url = args.db or f"sqlite:////tmp/beffroi-bench-journal-{args.entries}.sqlite3"
    verify_time(url, args.entries)


if __name__ == "__main__":
    main()
