"""The leadership of a background loop among the nodes: one lease, renewed on a loop of
its own, so the loop it guards may run rounds as rare as it likes (an hourly upkeep)
while the leadership stays fresh.

`leads()` is a local read: the lease as last renewed, believed until a margin before it
expires by this node's monotonic clock. A database that stops answering therefore ends
the leadership by itself (a node cut from PostgreSQL stops leading before anyone else
may start), and a wall-clock step on this node never lengthens it.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from beffroi.clock import Clock, utc_ms
from beffroi.cluster.leases import Lease, acquire, release
from beffroi.loops import Loop

log = logging.getLogger(__name__)

TTL_S = 15.0


class Leadership:
    """Whether `node` leads `name` (`leads()`); `start` joins the race, `stop` resigns."""

    def __init__(
        self, engine: Engine, name: str, node: str, clock: Clock, ttl_s: float = TTL_S
    ) -> None:
        self.engine = engine
        self.name = f"loop:{name}"
        self.node = node
        self.clock = clock
        self.ttl_s = ttl_s
        # Renewed every third of the lease; believed until two thirds of it have gone.
        self.margin_s = ttl_s / 3
        self.lease: Lease | None = None
        self.taken = 0  # times this node became the leader
        self._valid_until = 0.0
        self.loop = Loop(self.name, self.renew, ttl_s / 3, clock)

    def leads(self) -> bool:
        return self.lease is not None and self.clock.monotonic() < self._valid_until

    def renew(self) -> None:
        """One round: take or renew the lease."""
        started = self.clock.monotonic()
        try:
            got = acquire(
                self.engine, self.name, self.node, utc_ms(self.clock.now()), int(self.ttl_s * 1000)
            )
        except SQLAlchemyError as exc:
            # Nothing renewed: the leadership runs out by itself at `_valid_until`.
            log.warning("%s: the lease could not be renewed: %s", self.name, exc)
            return
        was = self.leads()
        self.lease = got
        self._valid_until = started + self.ttl_s - self.margin_s if got is not None else 0.0
        if got is not None and not was:
            self.taken += 1
            log.info("%s: %s leads (token %d)", self.name, self.node, got.token)
        elif got is None and was:
            log.warning("%s: %s no longer leads", self.name, self.node)

    def start(self) -> Leadership:
        self.loop.start()
        return self

    def stop(self) -> None:
        """Resign: the lease is released, so another node leads at its next renewal."""
        self.loop.stop()
        lease, self.lease = self.lease, None
        if lease is not None:
            try:
                release(self.engine, lease)
            except SQLAlchemyError:
                log.warning("%s: could not release the lease; it expires by itself", self.name)
