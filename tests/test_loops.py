"""The background loop every periodic service runs on: rounds paced by the clock."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from beffroi.clock import FakeClock
from beffroi.loops import Loop


def test_rounds_follow_the_clock_not_real_time_nor_wall_steps() -> None:
    clock = FakeClock()
    loop = Loop("test-loop", lambda: None, 60, clock)
    loop.start()
    try:
        assert loop.wait_rounds(1, timeout=30)  # the first round runs at start
        # A wall-clock step (date -s, a bad NTP source) is no passing of time.
        clock.step(timedelta(days=16))
        assert not loop.wait_rounds(2, timeout=0.2)
        clock.advance(59)
        assert not loop.wait_rounds(2, timeout=0.2)
        clock.advance(1)
        assert loop.wait_rounds(2, timeout=30)
        # Ten hours of rounds, driven in a few real seconds.
        for n in range(3, 603):
            clock.advance(60)
            assert loop.wait_rounds(n, timeout=30), f"round {n} never ran"
    finally:
        loop.stop()
    assert loop.rounds == 602 and loop.errors == 0


def test_wake_runs_a_round_now_and_stop_interrupts_the_pause() -> None:
    clock = FakeClock()
    loop = Loop("test-loop", lambda: None, 3600, clock)
    loop.start()
    assert loop.wait_rounds(1, timeout=30)
    loop.wake()
    assert loop.wait_rounds(2, timeout=30)
    started = time.monotonic()
    loop.stop(timeout=30)
    assert time.monotonic() - started < 30 and not loop.running
    assert not any(t.name == "test-loop" for t in threading.enumerate())


def test_a_failing_round_is_counted_and_the_loop_goes_on() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def round_() -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise OSError("database restarting")

    loop = Loop("test-loop", round_, 5, clock)
    loop.start()
    try:
        for n in range(1, 5):
            assert loop.wait_rounds(n, timeout=30)
            clock.advance(5)
    finally:
        loop.stop()
    assert loop.errors == 2 and len(calls) >= 4


def test_first_round_can_wait_and_pace_can_change() -> None:
    clock = FakeClock()
    paces = iter([1.0, 1.0, 100.0, 100.0, 100.0])
    loop = Loop("test-loop", lambda: None, lambda: next(paces), clock, first_after_s=30)
    loop.start()
    try:
        assert not loop.wait_rounds(1, timeout=0.2)
        clock.advance(30)
        assert loop.wait_rounds(1, timeout=30)
        clock.advance(1)
        assert loop.wait_rounds(2, timeout=30)
        clock.advance(1)
        assert loop.wait_rounds(3, timeout=30)
        clock.advance(1)  # now paced at 100 s
        assert not loop.wait_rounds(4, timeout=0.2)
    finally:
        loop.stop()
