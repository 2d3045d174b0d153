"""Retention of the journal: a pure decision, and a purge sealed in the chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from beffroi.clock import FakeClock, utc_ms
from beffroi.journal.keys import load_or_create_key, load_public_key
from beffroi.journal.retention import (
    ChainState,
    JournalRetention,
    PurgePlan,
    cutoff_ms,
    decide_purge,
)
from beffroi.journal.service import Journal, JournalMaintenance
from beffroi.journal.tables import journal_checkpoints, journal_entries
from beffroi.journal.verify import verify_journal
from tests.journal.helpers import fill, sql

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def test_retention_is_never_shorter_than_video_retention() -> None:
    assert JournalRetention().effective() == timedelta(days=365)
    assert JournalRetention(timedelta(days=1)).effective() == timedelta(days=30)
    assert JournalRetention(timedelta(days=10)).effective(timedelta(days=45)) == timedelta(45)
    assert cutoff_ms(NOW, JournalRetention(), None) == utc_ms(NOW - timedelta(days=365))


def test_decide_purge_deletes_a_prefix_only() -> None:
    assert decide_purge(5, ChainState(None, None, None)) is None  # empty journal
    assert decide_purge(5, ChainState(1, 10, 1)) is None  # nothing old enough
    assert decide_purge(5, ChainState(1, 10, 4)) == PurgePlan(5, 1, 3)
    assert decide_purge(5, ChainState(4, 10, None)) == PurgePlan(5, 4, 10)  # all old
    assert decide_purge(5, ChainState(4, 10, 4)) is None  # already purged up to 3


def _age(engine: Engine, clock: FakeClock, days: int, n: int) -> None:
    fill(engine, clock, n)
    clock.advance(timedelta(days=days))


def test_purge_is_sealed_and_verify_stays_green(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    journal = Journal.open(engine, clock, data_dir, retention=JournalRetention(timedelta(40)))
    _age(engine, clock, 30, 5)  # seq 1-5, will be 50 days old
    _age(engine, clock, 20, 3)  # seq 6-8, 20 days old at purge time
    fill(engine, clock, 2)  # seq 9-10, new
    purge = journal.purge()
    assert purge is not None and purge.action == "journal.purge"
    detail = json.loads(purge.detail or "")
    assert (detail["first_seq"], detail["last_seq"], detail["count"]) == (1, 5, 5)
    assert detail["retention_days"] == 40
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(journal_entries.c.seq), func.max(journal_entries.c.seq))
        ).one()
        sealed = conn.execute(select(func.max(journal_checkpoints.c.seq))).scalar()
    assert (first, last, sealed) == (6, 11, 11)  # the purge entry is seq 11, sealed at once
    report = verify_journal(engine, load_public_key(data_dir))
    assert report.ok, report.summary()
    assert journal.purge() is None  # nothing more is old enough

    # A second purge later: the first purge entry itself ages out, the chain still holds.
    clock.advance(timedelta(days=45))
    fill(engine, clock, 1)
    second = journal.purge()
    assert second is not None and json.loads(second.detail or "")["last_seq"] == 11
    assert verify_journal(engine, load_public_key(data_dir)).ok


def test_purge_of_everything_keeps_the_chain(engine: Engine, clock: FakeClock) -> None:
    _age(engine, clock, 400, 4)
    purge = Journal(engine, clock).purge()
    assert purge is not None and json.loads(purge.detail or "")["last_seq"] == 4
    report = verify_journal(engine, None)
    assert report.ok and (report.first_seq, report.last_seq) == (5, 5), report.summary()


def test_a_forged_purge_range_is_detected(engine: Engine, clock: FakeClock) -> None:
    _age(engine, clock, 400, 4)
    fill(engine, clock, 2)
    Journal(engine, clock).purge()
    sql(engine, "DELETE FROM journal_entries WHERE seq = 5")  # an extra, unsealed deletion
    report = verify_journal(engine, None)
    assert not report.ok and report.first_bad_seq == 5, report.summary()


def test_maintenance_round_checkpoints_and_purges(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    key = load_or_create_key(data_dir)
    journal = Journal(engine, clock, key)
    loop = JournalMaintenance(journal, interval_s=60)
    _age(engine, clock, 400, 3)
    loop.run_once()  # purges the 3 old entries, seals the purge entry
    with engine.connect() as conn:
        seqs = list(conn.execute(select(journal_entries.c.seq)).scalars())
        sealed = list(conn.execute(select(journal_checkpoints.c.seq)).scalars())
    assert seqs == [4] and sealed == [4]
    fill(engine, clock, 2, key=key)  # the installation appends with its key (it signs the head)
    loop.run_once()  # last checkpoint too recent: nothing
    clock.advance(timedelta(minutes=11))
    loop.run_once()
    with engine.connect() as conn:
        assert conn.execute(select(func.max(journal_checkpoints.c.seq))).scalar() == 6
    assert verify_journal(engine, key.public_key()).ok
