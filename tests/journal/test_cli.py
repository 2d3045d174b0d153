"""`journal verify --data DIR` as a process: exit 0 intact, 1 naming the first bad entry,
2 without a data directory. The database is the one `beffroi` uses for DIR (SQLite in
DIR, or BEFFROI_DATABASE_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from beffroi.clock import FakeClock
from beffroi.db.engine import DATABASE_URL_ENV
from beffroi.journal.chain import CheckpointPolicy
from beffroi.journal.keys import load_or_create_key
from tests.journal.helpers import fill, sql


def _run(data_dir: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, DATABASE_URL_ENV: db_url}
    return subprocess.run(
        [sys.executable, "-m", "beffroi.journal.cli", "journal", *args, "--data", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_verify_exit_codes(
    engine: Engine, db_url: str, clock: FakeClock, data_dir: Path, tmp_path: Path
) -> None:
    policy = CheckpointPolicy(every_entries=3, every=timedelta(minutes=10))
    fill(engine, clock, 7, key=load_or_create_key(data_dir), policy=policy)

    ok = _run(data_dir, db_url, "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "journal intact: 7 entries (seq 1..7), 2 checkpoints" in ok.stdout

    key = _run(data_dir, db_url, "key")
    assert key.returncode == 0 and key.stdout.startswith("SHA256:")

    sql(engine, "UPDATE journal_entries SET outcome = 'denied' WHERE seq = 5")
    bad = _run(data_dir, db_url, "verify")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "first bad entry seq 5" in bad.stdout

    missing = _run(tmp_path / "nowhere", db_url, "verify")
    assert missing.returncode == 2 and "no data directory" in missing.stderr
