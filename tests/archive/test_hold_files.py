"""Losing the database must not lose the law: holds are mirrored next to the footage,
signed; a hold the database forgot (an older backup restored) still keeps its footage,
opens a fault, and `beffroi holds restore` puts it back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, delete, select

from beffroi.archive.hold_files import FOLDER
from beffroi.archive.holds import active_holds, place_hold, release_hold
from beffroi.archive.maintenance import RetentionLoop
from beffroi.archive.tables import holds, segments
from beffroi.clock import FakeClock, utc_ms
from beffroi.incidents.faults import FaultIncidents
from beffroi.incidents.tables import incident_faults
from beffroi.incidents.watcher import FaultWatcher
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from tests.archive.factory import add_camera, add_segments
from tests.archive.test_retention_loop import roomy
from tests.web.conftest import FakeRecorder

H = 3_600_000


def _starts(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return set(conn.execute(select(segments.c.start_ms)).scalars())


def test_a_hold_the_database_forgot_still_keeps_its_footage_until_restored(
    engine: Engine, db_url: str, clock: FakeClock, data_dir: Path
) -> None:
    root = data_dir / "archive"
    now = utc_ms(clock.now())
    add_camera(engine, "cam-a", retention_s=86_400)
    add_segments(engine, root, "cam-a", now - 10 * H, 10, size=100)
    journal = Journal.open(engine, clock, data_dir)
    loop = RetentionLoop(engine, root, clock, 10**6, disk_usage_fn=roomy, journal=journal)
    held = (now - 8 * H, now - 6 * H)
    place_hold(engine, "cam-a", *held, "réquisition 2026/000042 (procédure 2026/77)", "chef", clock)
    loop.run_once()
    files = sorted((root / FOLDER).glob("hold-*.json"))
    assert len(files) == 1 and "2026/000042" in files[0].read_text()
    # A forged file (no valid signature) protects nothing.
    forged = json.loads(files[0].read_text())
    forged["hold"]["start_ms"], forged["hold"]["end_ms"] = now - 10 * H, now - 9 * H
    (root / FOLDER / "hold-forged.json").write_text(json.dumps(forged))
    # The database is restored from a backup older than the hold.
    with engine.begin() as conn:
        conn.execute(delete(holds))
    assert active_holds(engine) == []
    clock.advance(2 * 86_400)  # everything is past its retention
    loop.run_once()
    kept = _starts(engine)
    # The segments the hold overlaps (bounds included), and only them.
    assert kept == {now - 9 * H, now - 8 * H, now - 7 * H, now - 6 * H}
    assert len(loop.unmatched_holds) == 1
    # The health watcher opens a fault that says what to do.
    watch = FaultWatcher(
        engine, clock, FakeRecorder(), FaultIncidents(engine, clock), clock_sync=None,
        retention=loop,
    )  # fmt: skip
    watch.check_once()
    with engine.connect() as conn:
        fault = conn.execute(
            select(incident_faults.c.message).where(incident_faults.c.kind == "hold_unmatched")
        ).scalar_one()
    assert "beffroi holds restore" in fault and "2026/000042" in fault
    # The administrator puts the hold back: journaled, matched at the next round.
    env = {**os.environ, "BEFFROI_DATABASE_URL": db_url}
    r = subprocess.run(
        [sys.executable, "-m", "beffroi.cli", "holds", "restore", "--data", str(data_dir)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert r.returncode == 0 and "1 hold(s) restored" in r.stdout, r.stdout + r.stderr
    assert active_holds(engine)[0].start_ms == held[0]
    with engine.connect() as conn:
        restored = conn.execute(
            select(journal_entries.c.detail).where(journal_entries.c.action == "hold.restore")
        ).scalar_one()
    assert "2026/000042" in restored
    loop.run_once()
    assert loop.unmatched_holds == [] and _starts(engine) == kept
    # Released, its file goes and its footage ages out.
    with engine.connect() as conn:
        hold_id = conn.execute(select(holds.c.id)).scalar_one()
    release_hold(engine, hold_id, "chef", "classement sans suite", clock)
    loop.run_once()
    assert [p.name for p in (root / FOLDER).glob("hold-*.json")] == ["hold-forged.json"]
    assert _starts(engine) == set()
