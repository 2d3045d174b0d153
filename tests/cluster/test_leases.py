"""Leases with fencing tokens, and the leadership of background loops built on them:
several nodes (threads with their own names) on one database, SQLite and PostgreSQL,
time from the fake clock."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, insert

from beffroi.clock import FakeClock, utc_ms
from beffroi.cluster.leader import Leadership
from beffroi.cluster.leases import acquire, check_fence, holders, release
from beffroi.loops import Loop
from beffroi.site.tables import communes

TTL = 15_000


def now(clock: FakeClock) -> int:
    return utc_ms(clock.now())


def test_one_holder_then_another_once_it_expires(engine: Engine, clock: FakeClock) -> None:
    a = acquire(engine, "loop:retention", "node-a", now(clock), TTL)
    assert a is not None and a.token == 1
    assert acquire(engine, "loop:retention", "node-b", now(clock), TTL) is None
    clock.advance(10)
    renewed = acquire(engine, "loop:retention", "node-a", now(clock), TTL)
    assert renewed is not None and renewed.token == 1  # renewing keeps the token
    clock.advance(14)
    assert acquire(engine, "loop:retention", "node-b", now(clock), TTL) is None
    clock.advance(2)  # node-a stopped renewing 16 s ago: its lease is gone
    b = acquire(engine, "loop:retention", "node-b", now(clock), TTL)
    assert b is not None and b.token == 2
    assert [(h.holder, h.token) for h in holders(engine, "loop:")] == [("node-b", 2)]


def test_a_write_under_a_lost_lease_is_fenced(engine: Engine, clock: FakeClock) -> None:
    a = acquire(engine, "camera:jlt-001", "node-a", now(clock), TTL)
    assert a is not None
    with engine.begin() as conn:
        assert check_fence(conn, a, now(clock))
    clock.advance(20)
    b = acquire(engine, "camera:jlt-001", "node-b", now(clock), TTL)
    assert b is not None and b.token == a.token + 1
    # node-a, paused through its expiry, wakes and tries to write: refused by the token.
    with engine.begin() as conn:
        assert not check_fence(conn, a, now(clock))
        assert check_fence(conn, b, now(clock))
    # Even its own clock running late does not help it: the token moved on.
    with engine.begin() as conn:
        assert not check_fence(conn, a, now(clock) - 60_000)


def test_a_released_lease_is_taken_at_once(engine: Engine, clock: FakeClock) -> None:
    a = acquire(engine, "loop:sampler", "node-a", now(clock), TTL)
    assert a is not None and release(engine, a)
    b = acquire(engine, "loop:sampler", "node-b", now(clock), TTL)
    assert b is not None and b.token == 2
    assert not release(engine, a), "an old lease releases nothing"


def test_racing_nodes_never_both_win(engine: Engine, clock: FakeClock) -> None:
    with engine.begin() as conn:  # a write first, so SQLite's file exists for every thread
        conn.execute(insert(communes).values(id="x", name="X", updated_ms=0))
    for round_ in range(3):
        clock.advance(20)  # every previous lease expired
        won: list[str] = []
        start = threading.Barrier(4)

        def race(node: str, start: threading.Barrier, won: list[str]) -> None:
            start.wait()
            if acquire(engine, "loop:race", node, now(clock), TTL) is not None:
                won.append(node)

        threads = [threading.Thread(target=race, args=(f"node-{i}", start, won)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(won) == 1, (round_, won)


def test_a_loop_runs_on_its_leader_only_and_moves_when_it_dies(
    engine: Engine, clock: FakeClock
) -> None:
    ran: list[str] = []
    nodes = {}
    for node in ("node-a", "node-b"):
        leader = Leadership(engine, "retention", node, clock, ttl_s=15)
        loop = Loop(f"retention@{node}", lambda n=node: ran.append(n), 5, clock, leader=leader)
        nodes[node] = (leader, loop)
    a_leader, a_loop = nodes["node-a"]
    b_leader, b_loop = nodes["node-b"]
    a_leader.start()
    assert a_leader.loop.wait_rounds(1)
    b_leader.start()
    assert b_leader.loop.wait_rounds(1)
    a_loop.start()
    b_loop.start()
    try:
        advance(clock, 60, a_loop, b_loop, a_leader.loop, b_leader.loop)
        assert set(ran) == {"node-a"} and len(ran) >= 10
        # node-a dies (no release: kill -9). Its lease runs out; node-b takes over.
        a_leader.loop.stop()
        a_loop.stop()
        ran.clear()
        advance(clock, 30, b_loop, b_leader.loop)
        assert b_leader.leads() and b_leader.lease is not None and b_leader.lease.token == 2
        assert "node-b" in ran and "node-a" not in ran
        # A clean stop resigns: node-a, back, takes over at its first renewal.
        b_leader.stop()
        a_leader.loop.start()
        advance(clock, 5, a_leader.loop)
        assert a_leader.leads() and not b_leader.leads()
    finally:
        for leader, loop in nodes.values():
            loop.stop()
            leader.stop()


def advance(clock: FakeClock, seconds: int, *loops: Loop) -> None:
    """Move the clock 5 s (every loop's period here) at a time, waiting each step for
    the round each loop then runs."""
    for _ in range(seconds // 5):
        before = [(loop, loop.rounds) for loop in loops]
        clock.advance(5)
        for loop, count in before:
            assert loop.wait_rounds(count + 1, timeout=10), loop.name
