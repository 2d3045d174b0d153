"""The chain: hashes, links, gapless seq, checkpoints, and concurrent appenders that never
fork it (threads, and two processes on the same database)."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from beffroi.clock import FakeClock, utc_ms
from beffroi.journal.chain import CheckpointPolicy, append, checkpoint, checkpoint_due, locked_chain
from beffroi.journal.entries import GENESIS, NewEntry, canonical, entry_hash
from beffroi.journal.keys import load_or_create_key, load_public_key
from beffroi.journal.tables import journal_checkpoints, journal_entries, journal_head
from beffroi.journal.verify import verify_journal
from beffroi.site.tables import cameras, communes
from tests.journal.helpers import entry, fill


def test_chain_links_and_hashes(engine: Engine, clock: FakeClock) -> None:
    made = fill(engine, clock, 5)
    assert [e.seq for e in made] == [1, 2, 3, 4, 5]
    assert made[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(made):
        assert after.prev_hash == before.hash
        assert after.time_ms == before.time_ms + 1000
    assert made[2].hash == entry_hash(made[2].hashed_values())
    report = verify_journal(engine, None)
    assert report.ok, report.summary()
    assert (report.entries, report.first_seq, report.last_seq) == (5, 1, 5)
    with engine.connect() as conn:
        head = conn.execute(select(journal_head)).one()
    assert (head.seq, head.hash) == (5, made[-1].hash)


def test_canonical_form_is_the_documented_json(clock: FakeClock) -> None:
    # The exact text an outside verifier must rebuild (docs/design/journal.md).
    values = ("auth.login", None, None, ",a,", None, None, "ok", GENESIS, "operator", 1,
              "10.0.0.1", None, 1700000000000, 3, "é")  # fmt: skip
    assert (
        canonical(values)
        == (
            '{"action":"auth.login","camera":null,"commune":null,"communes":",a,",'
            '"detail":null,"end_ms":null,"outcome":"ok","prev_hash":"' + GENESIS + '",'
            '"role":"operator","seq":1,"source":"10.0.0.1","start_ms":null,'
            '"time_ms":1700000000000,"user_id":3,"username":"é"}'
        ).encode()
    )


def test_camera_commune_is_looked_up(engine: Engine, clock: FakeClock) -> None:
    with engine.begin() as conn:
        conn.execute(communes.insert().values(id="chambray", name="Chambray", updated_ms=0))
        conn.execute(
            cameras.insert().values(
                id="cha-001", name="c", commune_id="chambray", stream_url="rtsp://x",
                retention_s=86400, view="general", enabled=True, updated_ms=0,
            )
        )  # fmt: skip
    e = append(engine, clock, NewEntry(action="snapshot.read", camera="cha-001"))
    assert e.commune == "chambray"
    unknown = append(engine, clock, NewEntry(action="snapshot.read", camera="nope"))
    assert unknown.commune is None


def test_bad_entries_are_refused() -> None:
    with pytest.raises(ValueError):
        NewEntry(action="recording.read", outcome="maybe")
    with pytest.raises(ValueError):
        NewEntry(action="DROP TABLE;")


def test_append_in_callers_transaction_rolls_back_with_it(engine: Engine, clock: FakeClock) -> None:
    fill(engine, clock, 2)
    with pytest.raises(RuntimeError), locked_chain(engine) as conn:
        append(conn, clock, entry(99))
        raise RuntimeError("the caller's change failed")
    third = append(engine, clock, entry(3))
    assert third.seq == 3  # the rolled-back append left no gap
    assert verify_journal(engine, None).ok


def test_checkpoints_every_n_entries_and_on_demand(
    engine: Engine, clock: FakeClock, data_dir
) -> None:
    key = load_or_create_key(data_dir)
    policy = CheckpointPolicy(every_entries=4, every=timedelta(minutes=10))
    fill(engine, clock, 10, key=key, policy=policy)
    with engine.connect() as conn:
        seqs = list(conn.execute(select(journal_checkpoints.c.seq)).scalars())
    assert seqs == [4, 8]
    assert checkpoint_due(engine, clock, policy) is False  # the last is 2 s old
    clock.advance(timedelta(minutes=11))
    assert checkpoint_due(engine, clock, policy) is True
    cp = checkpoint(engine, clock, key)
    assert cp is not None and cp.seq == 10
    assert checkpoint(engine, clock, key) is None  # nothing new to seal
    report = verify_journal(engine, load_public_key(data_dir))
    assert report.ok, report.summary()
    assert report.checkpoints == 3


def _assert_unforked(engine: Engine, n: int) -> None:
    with engine.connect() as conn:
        seqs = list(conn.execute(select(journal_entries.c.seq).order_by("seq")).scalars())
    assert seqs == list(range(1, n + 1))
    report = verify_journal(engine, None)
    assert report.ok, report.summary()


def test_concurrent_threads_never_fork_the_chain(engine: Engine, clock: FakeClock) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(25):
                append(engine, clock, entry(t * 100 + i))
        except BaseException as exc:  # surfaced below: a thread's failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    _assert_unforked(engine, 200)


WRITER = """
import sys
from beffroi.clock import SystemClock
from beffroi.db.engine import make_engine
from beffroi.journal.chain import append
from beffroi.journal.entries import NewEntry
engine = make_engine(sys.argv[1])
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # both processes start appending together
for i in range(int(sys.argv[2])):
    append(engine, SystemClock(), NewEntry(action="user.create", username=f"p{sys.argv[3]}-{i}"))
"""


def test_two_processes_never_fork_the_chain(engine: Engine, db_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, "60", str(p)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        assert p.wait(timeout=60) == 0
    _assert_unforked(engine, 120)
    with engine.connect() as conn:
        names = list(conn.execute(select(journal_entries.c.username)).scalars())
    # Both processes wrote, interleaved in one chain.
    assert {n.split("-")[0] for n in names} == {"p0", "p1"}


def test_time_comes_from_the_clock(engine: Engine, clock: FakeClock) -> None:
    e = append(engine, clock, entry(0))
    assert e.time_ms == utc_ms(clock.now())
