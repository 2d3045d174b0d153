"""The one source of time.

Every decision that depends on time (retention, holds, session expiry, backoff) asks a
`Clock`, never `datetime.now()` or `time.time()` directly, so tests can run "15 days" of
retention in seconds by advancing a `FakeClock`. Time is always timezone-aware UTC;
Europe/Paris exists only for display.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime:
        """Current wall-clock time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes backwards."""

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""

    def wait_until(self, event: threading.Event, deadline: float) -> bool:
        """Wait until `event` is set or `monotonic()` reaches `deadline`; True when the
        event was set. Background loops pause with it, so a test drives them through
        hours by advancing a `FakeClock`. A deadline, not a duration, so time that passes
        before the wait begins is not lost."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def wait_until(self, event: threading.Event, deadline: float) -> bool:
        return event.wait(max(0.0, deadline - time.monotonic()))


class FakeClock:
    """A clock that only moves when told to; `sleep` advances it instantly."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._mono = 0.0
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, delta: timedelta | float) -> None:
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds
            self._moved.notify_all()

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))

    def wait_until(self, event: threading.Event, deadline: float) -> bool:
        """Block (in real time) until the event is set or a test has advanced this clock
        to the deadline: a loop waiting here sleeps until the test moves time."""
        with self._lock:
            while not event.is_set() and self._mono < deadline:
                # The event cannot notify this condition: look at it again every few ms.
                self._moved.wait(0.005)
        return event.is_set()

    def step(self, delta: timedelta | float) -> None:
        """Step the wall clock alone, as `date -s` or a bad NTP source does: the
        monotonic clock does not move."""
        seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
        with self._lock:
            self._now += timedelta(seconds=seconds)


_default: Clock = SystemClock()


def default_clock() -> Clock:
    return _default


def set_default_clock(clock: Clock) -> None:
    """Swap the process-wide clock (tests only)."""
    global _default
    _default = clock


def utc_ms(dt: datetime) -> int:
    """Milliseconds since the Unix epoch: the unit of every time stored in the index."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: Beffroi only stores timezone-aware UTC")
    return int(dt.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
