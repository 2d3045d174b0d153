"""One recorder per centre: the data directory's lock and the database's recorder
lease, on SQLite and PostgreSQL (the lease's waits in real time, on a 1.5 s lease)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from beffroi.clock import FakeClock, SystemClock
from beffroi.cluster.leases import holders
from beffroi.cluster.sole import AnotherCentreError, claim_recorder, lock_data_dir


def test_a_data_directory_is_locked_while_its_server_lives(tmp_path: Path) -> None:
    first = lock_data_dir(tmp_path)
    with pytest.raises(AnotherCentreError, match=r"another Beffroi runs with .* \(pid \d+"):
        lock_data_dir(tmp_path)
    first.close()  # the process ended: the kernel dropped the lock
    lock_data_dir(tmp_path).close()


def test_a_second_server_on_the_database_is_refused_while_the_first_renews(
    engine: Engine, tmp_path: Path
) -> None:
    clock = SystemClock()
    first = claim_recorder(engine, clock, tmp_path / "a", ttl_s=1.5)
    try:
        with pytest.raises(AnotherCentreError, match="another Beffroi records this centre"):
            claim_recorder(engine, clock, tmp_path / "b", ttl_s=1.5)
        assert first.leads()
    finally:
        first.stop()  # a clean stop releases the lease
    second = claim_recorder(engine, clock, tmp_path / "b", ttl_s=1.5)
    try:
        assert second.leads() and second.lease is not None and second.lease.token == 2
    finally:
        second.stop()


def test_a_dead_servers_lease_runs_out_and_a_restart_takes_it_back(
    engine: Engine, tmp_path: Path
) -> None:
    dead = FakeClock()
    gone = claim_recorder(engine, dead, tmp_path / "a")
    gone.loop.stop()  # killed: nothing renews, nothing releases
    # The same data directory restarting takes it back at once, under the same token.
    again = claim_recorder(engine, dead, tmp_path / "a")
    assert again.lease is not None and again.lease.token == 1
    again.loop.stop()
    # Another server waits for the lease to run out (its clock's sleep), then records.
    other = FakeClock(dead.now())
    taken = claim_recorder(engine, other, tmp_path / "b")
    try:
        assert taken.leads() and taken.lease is not None and taken.lease.token == 2
        assert [h.holder.endswith("/b") for h in holders(engine, "loop:recorder")] == [True]
    finally:
        taken.stop()
