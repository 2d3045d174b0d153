"""`beffroi backup` and `beffroi restore`, through the command line, on SQLite and
PostgreSQL: a backup restored into a fresh data directory brings back users (and their
second factor, with the sealed keys), holds, requisitions, the journal (it verifies)
and the segment index; a damaged backup, a wrong passphrase or a non-empty target are
refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from beffroi.access import login
from beffroi.access.enrolment import set_totp
from beffroi.access.secrets_box import TotpKey
from beffroi.access.totp import code_at
from beffroi.access.users import create_user
from beffroi.archive.holds import place_hold
from beffroi.clock import FakeClock, SystemClock, utc_ms
from beffroi.db.engine import make_engine
from beffroi.db.migrate import upgrade
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal
from tests.archive.factory import add_camera, add_segments
from tests.conftest import _pg_admin_url
from tests.export.helpers import make_requisition

PW = "Sauvegarde-Testee-2026!"
PASSPHRASE = "phrase de passe du coffre 2026"


def beffroi(*args: str, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BEFFROI_DATABASE_URL": db_url or ""}
    env.pop("BEFFROI_TOTP_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "beffroi.cli", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


@pytest.fixture
def empty_db(db_url: str) -> Iterator[str | None]:
    """Where to restore: SQLite in the new data directory, or a new PostgreSQL database."""
    if db_url.startswith("sqlite"):
        yield None
        return
    name = "beffroi_restore_" + uuid.uuid4().hex[:12]
    admin = make_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_admin_url().rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _installation(engine: Engine, data: Path) -> str:
    """Users with TOTP, a camera's index, a hold, a requisition, journal entries with a
    signed checkpoint; returns the operator's TOTP secret."""
    clock = FakeClock(SystemClock().now())
    add_camera(engine, "cam-1")
    now = utc_ms(clock.now())
    add_segments(engine, data / "archive", "cam-1", now - 6 * 3_600_000, 6, size=100)
    create_user(engine, "agent", PW, "operator", ["joue-les-tours"], clock, is_police=True)
    secret = set_totp(engine, "agent", totp_key=TotpKey.load(data)).secret
    place_hold(engine, "cam-1", now - 3_600_000, now, "réquisition 2026/001234", "chef", clock)
    make_requisition(engine, [("cam-1", now - 3_600_000, now)], now_ms=now)
    journal = Journal.open(engine, clock, data)
    for i in range(3):
        journal.record(principal_entry(None, "recording.read", username="agent", detail={"i": i}))
    journal.checkpoint()
    return secret


def test_a_backup_restored_into_a_new_data_directory_brings_the_law_back(
    engine: Engine, db_url: str, empty_db: str | None, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if db_url.startswith("sqlite"):  # SQLite lives in the data directory
        engine = make_engine(f"sqlite:///{data / 'beffroi.sqlite3'}")
        upgrade(engine)
        pg = None
    else:
        pg = db_url
    secret = _installation(engine, data)
    site = tmp_path / "site.yaml"
    site.write_text("communes: []\n")
    phrase = tmp_path / "phrase"
    phrase.write_text(PASSPHRASE + "\n")
    backup = tmp_path / "backup"
    r = beffroi("backup", "--data", str(data), "--to", str(backup), "--site", str(site),
                "--with-keys", "--passphrase-file", str(phrase), db_url=pg)  # fmt: skip
    assert r.returncode == 0, r.stderr
    # Two holds: one by hand, one with the requisition.
    assert "users 1, segments 6, holds 2, requisitions 1, journal_entries 3" in r.stdout
    # The keys never travel in clear.
    assert b"PRIVATE KEY" not in (backup / "keys.sealed").read_bytes()
    assert {p.stat().st_mode & 0o777 for p in backup.iterdir()} == {0o600}

    new = tmp_path / "new-data"
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    r = beffroi("restore", "--from", str(backup), "--data", str(new),
                "--passphrase-file", str(wrong), db_url=empty_db)  # fmt: skip
    assert r.returncode == 1 and "wrong passphrase" in r.stderr
    r = beffroi("restore", "--from", str(backup), "--data", str(new),
                "--passphrase-file", str(phrase), db_url=empty_db)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    for line in ("users: 1 (backup: 1)", "holds: 2 (backup: 2)", "segments: 6 (backup: 6)"):
        assert line in r.stdout
    assert (new / "site.yaml").read_text() == "communes: []\n"
    assert (new / "keys" / "totp.key").stat().st_mode & 0o777 == 0o600
    # The journal verifies against the restored key; the agent's second factor works.
    r = beffroi("journal", "verify", "--data", str(new), db_url=empty_db)
    assert r.returncode == 0, r.stdout + r.stderr
    restored = make_engine(empty_db or f"sqlite:///{new / 'beffroi.sqlite3'}")
    clock = FakeClock(SystemClock().now())
    result = login.attempt_login(
        restored, clock, "agent", PW, code_at(secret, clock.now()), "10.0.0.9",
        totp_key=TotpKey.load(new),
    )  # fmt: skip
    assert result.outcome == login.OK
    restored.dispose()
    # Restoring again over it is refused: nothing is overwritten.
    r = beffroi("restore", "--from", str(backup), "--data", str(new),
                "--passphrase-file", str(phrase), db_url=empty_db)  # fmt: skip
    assert r.returncode == 1 and "not empty" in r.stderr


def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    """The manifest's check is the same for both backends: SQLite only."""
    data = tmp_path / "data"
    data.mkdir()
    upgrade(make_engine(f"sqlite:///{data / 'beffroi.sqlite3'}"))
    backup = tmp_path / "backup"
    r = beffroi("backup", "--data", str(data), "--to", str(backup))
    assert r.returncode == 0 and "keys not included" in r.stdout, r.stderr
    with open(backup / "database.sqlite3", "r+b") as f:
        f.seek(200)
        f.write(b"\x00\x01\x02")
    r = beffroi("restore", "--from", str(backup), "--data", str(tmp_path / "new"))
    assert r.returncode == 1 and "differs from the manifest" in r.stderr
    assert not (tmp_path / "new").exists()
    again = beffroi("backup", "--data", str(data), "--to", str(backup))
    assert again.returncode == 1 and "not empty" in again.stderr
    # A backup made by a newer Beffroi is refused, not half restored.
    fresh = tmp_path / "fresh"
    assert beffroi("backup", "--data", str(data), "--to", str(fresh)).returncode == 0
    manifest = json.loads((fresh / "MANIFEST.json").read_text())
    manifest["schema_revision"] = "0999"
    (fresh / "MANIFEST.json").write_text(json.dumps(manifest))
    r = beffroi("restore", "--from", str(fresh), "--data", str(tmp_path / "new"))
    assert r.returncode == 1 and "newer than this Beffroi" in r.stderr
    assert not (tmp_path / "new").exists()
