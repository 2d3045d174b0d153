"""`journal verify` holds the chain to the checkpoint policy and to its signed head, so an
attacker who can write the database but has not the key cannot delete the tail or
rewrite history and leave a journal that verifies (issue 12).

Entries are written by the real service (`Journal.record`, default policy: a checkpoint
every 1000 entries, and one at any append 10 minutes or more after the last), and the
verdict is the real command's, `beffroi journal verify`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from beffroi.clock import FakeClock
from beffroi.journal.entries import HASHED_KEYS, JournalEntry, entry_hash
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_checkpoints, journal_entries, journal_head
from tests.journal.conftest import JournalCli
from tests.journal.helpers import entry, sql

USERNAME = HASHED_KEYS.index("username")
PREV_HASH = HASHED_KEYS.index("prev_hash")


def _record(journal: Journal, clock: FakeClock, n: int, step_s: float = 1) -> list[JournalEntry]:
    out = []
    for i in range(n):
        made = journal.record(entry(i))
        assert made is not None
        out.append(made)
        clock.advance(step_s)
    return out


def _sealed(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(journal_checkpoints.c.seq).order_by("seq")).scalars())


@pytest.mark.parametrize("head", ["left", "unsigned", "checkpoint-signature"])
def test_last_thousand_entries_deleted_with_their_checkpoints_and_the_head_rewound(
    engine: Engine, clock: FakeClock, data_dir: Path, journal_cli: JournalCli, head: str
) -> None:
    journal = Journal.open(engine, clock, data_dir)
    _record(journal, clock, 2000, step_s=0.2)  # 400 s: checkpoints by count only
    assert _sealed(engine) == [1000, 2000]
    assert journal_cli("verify")[0] == 0

    # The attacker deletes seq 1001..2000 and their checkpoint, and rewinds the head to
    # what the chain now ends with: seq 1000, sealed by a genuine checkpoint.
    sql(engine, "DELETE FROM journal_entries WHERE seq > 1000")
    sql(engine, "DELETE FROM journal_checkpoints WHERE seq > 1000")
    sql(
        engine,
        "UPDATE journal_head SET seq = 1000, "
        "hash = (SELECT hash FROM journal_entries WHERE seq = 1000)",
    )
    if head == "unsigned":
        sql(engine, "UPDATE journal_head SET signature = NULL, time_ms = NULL")
    elif head == "checkpoint-signature":  # the only signature of seq 1000 they have
        sql(
            engine,
            "UPDATE journal_head SET (time_ms, signature) = "
            "(SELECT time_ms, signature FROM journal_checkpoints WHERE seq = 1000)",
        )
    code, out = journal_cli("verify")
    assert code == 1, out
    assert "first bad entry seq 1001" in out
    if head == "unsigned":
        assert "seq 1001: the journal_head row is not signed" in out
    else:
        assert "seq 1001: the journal_head row's signature does not match" in out


def test_history_rewritten_and_rehashed_is_reported(
    engine: Engine, clock: FakeClock, data_dir: Path, journal_cli: JournalCli
) -> None:
    journal = Journal.open(engine, clock, data_dir)
    made = _record(journal, clock, 1500)  # one a second: checkpoints at 601 (10 min), 1000
    assert _sealed(engine) == [601, 1000]

    # Seq 700 is edited; every hash after it recomputed; the checkpoint that no longer
    # matches (1000) deleted; the head's hash set to the new last hash.
    prev = made[698].hash
    for e in made[699:]:
        forged = list(e.hashed_values())
        if e.seq == 700:
            forged[USERNAME] = "someone.else"
        forged[PREV_HASH] = prev
        new = entry_hash(tuple(forged))
        sql(
            engine,
            "UPDATE journal_entries SET username = :u, prev_hash = :p, hash = :h WHERE seq = :s",
            u=forged[USERNAME],
            p=prev,
            h=new,
            s=e.seq,
        )
        prev = new
    sql(engine, "DELETE FROM journal_checkpoints WHERE seq >= 700")
    sql(engine, "UPDATE journal_head SET hash = :h", h=prev)

    code, out = journal_cli("verify")
    assert code == 1, out
    # The policy's checkpoints that are gone: the 1000th entry's, and the one of the
    # first entry appended over 10 minutes (+ 2 of grace) after the one at seq 601.
    assert "seq 1000: checkpoint missing: the policy seals every 1000th entry" in out
    assert "seq 1322: checkpoint missing: appended 12 min after the previous checkpoint" in out
    assert "seq 1501: the journal_head row's signature does not match" in out
    assert "first bad entry seq 1000" in out


def test_a_deleted_checkpoint_is_missing(
    engine: Engine, clock: FakeClock, data_dir: Path, journal_cli: JournalCli
) -> None:
    journal = Journal.open(engine, clock, data_dir)
    _record(journal, clock, 700, step_s=2)  # 1400 s: sealed at 301 (10 min), 601 (20 min)
    assert _sealed(engine) == [301, 601]
    # The last entries, appended less than 10 minutes after the last checkpoint, need
    # none, whenever the journal is verified (a backup a month later, say): the verdict
    # never depends on the time now.
    assert journal_cli("verify")[0] == 0

    sql(engine, "DELETE FROM journal_checkpoints WHERE seq = 601")
    code, out = journal_cli("verify")
    assert code == 1, out
    # 12 minutes (10 + 2 of grace) after the checkpoint at 301 (t = 600 s): t = 1322 s.
    assert "first bad entry seq 662" in out
    assert "checkpoint missing: appended 12 min after the previous checkpoint" in out


def test_appends_after_the_interval_are_sealed_by_the_append(
    engine: Engine, clock: FakeClock, data_dir: Path, journal_cli: JournalCli
) -> None:
    """No maintenance loop runs (a `beffroi user` command while the server is stopped):
    the append itself writes the checkpoint the interval asks for, and signs the head."""
    journal = Journal.open(engine, clock, data_dir)
    _record(journal, clock, 3)
    clock.advance(timedelta(hours=5))
    late = _record(journal, clock, 2)
    assert _sealed(engine) == [late[0].seq]
    with engine.connect() as conn:
        head = conn.execute(select(journal_head)).one()
    assert (head.seq, head.hash) == (late[-1].seq, late[-1].hash)
    assert head.signature is not None and head.key_fingerprint == journal.fingerprint
    code, out = journal_cli("verify", "--json")
    assert code == 0, out
    assert '"missing_checkpoints": 0' in out
    with engine.connect() as conn:
        assert conn.execute(select(journal_entries.c.seq)).scalars().all() == [1, 2, 3, 4, 5]
