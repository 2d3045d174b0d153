"""An application role that may only read and append to the journal (PostgreSQL): the
grants `beffroi journal grants` prints, applied as the owner; the journal's normal
writes (entries, checkpoints, the head, a maintenance round) work through an engine
connected as that role, and changing or deleting entries is refused. Retention runs as
its own role (issue 12)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, select, text
from sqlalchemy.exc import ProgrammingError

from beffroi.clock import FakeClock
from beffroi.db.engine import DATABASE_URL_ENV, make_engine
from beffroi.journal.chain import CheckpointPolicy
from beffroi.journal.keys import load_or_create_key
from beffroi.journal.retention import JournalRetention
from beffroi.journal.service import Journal, JournalMaintenance
from beffroi.journal.tables import journal_checkpoints, journal_entries
from beffroi.journal.verify import verify_journal
from tests.conftest import BACKENDS
from tests.journal.conftest import JournalCli
from tests.journal.helpers import entry


@pytest.fixture
def role_urls(db_url: str, engine: Engine) -> Iterator[dict[str, str]]:
    """Two fresh login roles (trust authentication on the test cluster), dropped after."""
    suffix = uuid.uuid4().hex[:8]
    names = {"app": f"beffroi_app_{suffix}", "purge": f"beffroi_purge_{suffix}"}
    with engine.begin() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
    url = make_url(db_url)
    yield {k: url.set(username=v).render_as_string(hide_password=False) for k, v in names.items()}
    with engine.begin() as conn:
        for name in names.values():
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))


def _refused(target: Engine, statement: str) -> None:
    with pytest.raises(ProgrammingError, match="permission denied"), target.begin() as conn:
        conn.execute(text(statement))


# Database roles are PostgreSQL's (SQLite is one file of the data directory): this test
# runs on the PostgreSQL backend only, never as a skipped SQLite case.
@pytest.mark.parametrize("db_url", [b for b in BACKENDS if b == "postgresql"], indirect=True)
def test_the_application_role_only_appends_to_the_journal(
    engine: Engine,
    data_dir: Path,
    role_urls: dict[str, str],
    journal_cli: JournalCli,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(datetime(2020, 1, 1, 8, tzinfo=UTC))  # long past by the real clock
    app_role = make_url(role_urls["app"]).username
    purge_role = make_url(role_urls["purge"]).username
    assert app_role and purge_role
    code, grants = journal_cli(
        "grants", "--app-role", app_role, "--purge-role", purge_role, data=False
    )
    assert code == 0, grants
    with engine.begin() as conn:  # the owner (who ran the migrations) applies them
        conn.exec_driver_sql(grants)

    app = make_engine(role_urls["app"])
    purger = make_engine(role_urls["purge"])
    try:
        key = load_or_create_key(data_dir)
        policy = CheckpointPolicy(every_entries=5)
        journal = Journal(app, clock, key, policy=policy, retention=JournalRetention())
        for i in range(7):  # a checkpoint by count (seq 5), in the append
            journal.record(entry(i))
            clock.advance(1)
        clock.advance(timedelta(minutes=11))
        journal.record(entry(7))  # one by time, in the append (seq 8)
        journal.record(entry(8))
        clock.advance(timedelta(days=400))  # seq 1..9 are now past the retention
        journal.record(entry(9))  # (sealed in the append: seq 10)
        journal.record(entry(10))
        clock.advance(timedelta(minutes=11))
        # A maintenance round as the server runs it: the retention is refused (logged)
        # and the rest of the round still seals the tail (seq 11).
        JournalMaintenance(journal).run_once()
        assert any("retention role" in r.getMessage() for r in caplog.records)
        assert journal.checkpoint() is None  # sealed already
        with app.connect() as conn:
            sealed = list(conn.execute(select(journal_checkpoints.c.seq)).scalars())
        assert sorted(sealed) == [5, 8, 10, 11]
        report = verify_journal(app, key.public_key(), policy=policy)
        assert report.ok and report.entries == 11, report.summary()
        # The commands run as this role too (the schema is current: nothing to migrate).
        monkeypatch.setenv(DATABASE_URL_ENV, role_urls["app"])
        code, out = journal_cli("verify")
        assert code == 0, out

        # Everything else an attacker with these credentials would try is refused.
        _refused(app, "UPDATE journal_entries SET username = 'x' WHERE seq = 3")
        _refused(app, "DELETE FROM journal_entries WHERE seq > 6")
        _refused(app, "DELETE FROM journal_checkpoints")
        _refused(app, "UPDATE journal_checkpoints SET time_ms = 0")
        _refused(app, "TRUNCATE journal_entries")
        _refused(app, "DELETE FROM journal_head")
        _refused(app, "UPDATE journal_head SET id = 2")
        _refused(app, "UPDATE alembic_version SET version_num = '0001'")
        # The rest of the schema is the application's as usual.
        with app.begin() as conn:
            conn.execute(text("DELETE FROM sessions"))

        # The retention runs as its own role (`beffroi journal purge`, from a timer; by
        # the real clock every entry of 2020-2021 is old): sealed in the chain.
        monkeypatch.setenv(DATABASE_URL_ENV, role_urls["purge"])
        code, out = journal_cli("purge", "--keep-days", "30")
        assert code == 0 and '"last_seq":11' in out, out
        with engine.connect() as conn:
            seqs = list(conn.execute(select(journal_entries.c.seq)).scalars())
        assert seqs == [12]  # the purge entry
        code, out = journal_cli("verify")
        assert code == 0, out
        # It could not do the application's work, nor change what it keeps.
        _refused(purger, "DELETE FROM sessions")
        _refused(purger, "UPDATE journal_entries SET username = 'x'")
    finally:
        app.dispose()
        purger.dispose()
