"""One way to run work in the background: a `Loop` does a round, then waits on the clock.

Retention, health sampling, the fault watcher, escalation, journal upkeep, incident
media and the MQTT feed are all "do a round, wait, again". Each used to carry its own
thread, stop event and wait; they now hand their round to a `Loop`, which

- waits with `Clock.wait_until`, so a test advancing a `FakeClock` drives hours of rounds in
  seconds, and a wall-clock step (NTP, `date -s`) never shortens or lengthens a pause;
- stops at once (`stop` interrupts the wait) and can be woken early (`wake`);
- survives a failing round (a database restart, a full disk): it logs, counts, and
  tries again at the next round;
- counts its rounds so tests wait for "one more round" instead of sleeping.

In a cluster, a loop that must run once in the centre (retention, sampling, upkeep) is
given a `leader` (`beffroi.cluster.leader.Leadership`): its rounds run only on the node
that leads it, and move to another node when that one dies. Without one, every round
runs (a single server).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from beffroi.clock import Clock

log = logging.getLogger(__name__)


class Leader(Protocol):
    def leads(self) -> bool:
        """Whether this node may run the loop's round now (a local, cheap read)."""
        ...


class Loop:
    """A named background loop calling `round` every `every_s` seconds of `clock` time.

    `every_s` may be a function, read after each round, for loops whose pace changes
    (the health sampler waits briefly while cameras settle, then once a few seconds).
    The first round runs at start unless `first_after_s` delays it.
    """

    def __init__(
        self,
        name: str,
        round: Callable[[], object],
        every_s: float | Callable[[], float],
        clock: Clock,
        *,
        first_after_s: float = 0.0,
        leader: Leader | None = None,
    ) -> None:
        self.name = name
        self.leader = leader
        self.skipped = 0  # rounds not run: another node leads
        self._round = round
        self._every = every_s if callable(every_s) else (lambda: float(every_s))
        self.clock = clock
        self.first_after_s = first_after_s
        self.rounds = 0
        self.errors = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self._first_at = 0.0

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        # Fixed here, not in the thread: clock time passing while it starts still counts.
        self._first_at = self.clock.monotonic() + self.first_after_s
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Interrupt the wait and join; a round in progress finishes first."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("%s: still finishing a round after %.0f s", self.name, timeout)
            self._thread = None

    def wake(self) -> None:
        """Run the next round now rather than at the end of the pause."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_rounds(self, count: int, timeout: float = 30.0) -> bool:
        """Block (real time) until `count` rounds have ended, failed ones included: how
        tests wait for the loop instead of sleeping."""
        deadline = time.monotonic() + timeout
        with self._done:
            while self.rounds < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(left)
        return True

    def _pause(self, deadline: float) -> bool:
        """Wait on the clock; True when the loop must end."""
        self.clock.wait_until(self._wake, deadline)
        self._wake.clear()
        return self._stop.is_set()

    def _run(self) -> None:
        if self.first_after_s > 0 and self._pause(self._first_at):
            return
        while not self._stop.is_set():
            try:
                if self.leader is None or self.leader.leads():
                    self._round()
                else:
                    self.skipped += 1
            except Exception:
                # One bad round (database restart, disk error) must not end the service.
                self.errors += 1
                log.exception("%s: round failed; trying again at the next round", self.name)
            # The next deadline is fixed before the round is counted: a test that sees
            # the count and then advances the clock always moves this pause forward.
            deadline = self.clock.monotonic() + self._every()
            with self._done:
                self.rounds += 1
                self._done.notify_all()
            if self._pause(deadline):
                return
