"""The journal as one object per process, and its maintenance loop.

`Journal` binds the engine, the clock, the installation key and the policies, so a
route or a command records an entry with one call. `enabled=False` exists for the
benchmark only (journaling off vs on in the same run): Beffroi itself never turns it
off.

`JournalMaintenance` runs in a daemon thread of `beffroi run`: every `interval_s` it
seals the chain when entries arrived since a checkpoint older than `policy.every`,
publishes the new checkpoints (`publish.py`, site file `journal.publish`), and once per
`purge_every` it applies the retention. A step that fails is logged and retried at the
next round; it never stops the other steps nor ends the thread. Under a database role
that may not delete journal entries (docs/design/journal.md, "Database roles") the
retention is refused: it is logged, and left to `beffroi journal purge` run as the
retention role.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from beffroi.clock import Clock
from beffroi.journal.chain import (
    DEFAULT_POLICY,
    Checkpoint,
    CheckpointPolicy,
    append,
    checkpoint,
    checkpoint_due,
    locked_chain,
)
from beffroi.journal.entries import JournalEntry, NewEntry
from beffroi.journal.keys import fingerprint, load_or_create_key
from beffroi.journal.publish import CheckpointPublisher, publisher_for
from beffroi.journal.retention import JournalRetention, apply_purge
from beffroi.loops import Loop
from beffroi.site.models import Site

# SQLSTATE of "permission denied" (PostgreSQL's insufficient_privilege).
INSUFFICIENT_PRIVILEGE = "42501"

log = logging.getLogger(__name__)


@dataclass
class Journal:
    engine: Engine
    clock: Clock
    key: Ed25519PrivateKey | None = None
    policy: CheckpointPolicy = DEFAULT_POLICY
    retention: JournalRetention = field(default_factory=JournalRetention)
    enabled: bool = True
    data_dir: Path | None = None
    # Where checkpoints are published (`configure`); None: nowhere.
    publisher: CheckpointPublisher | None = None

    @classmethod
    def open(cls, engine: Engine, clock: Clock, data_dir: Path | str, **kw: object) -> Journal:
        """The journal of the installation in `data_dir` (its key created on first use)."""
        key = load_or_create_key(data_dir)
        return cls(engine, clock, key, data_dir=Path(data_dir), **kw)  # type: ignore[arg-type]

    def configure(self, site: Site) -> None:
        """Apply the site file's `journal` section (at start and on each reload)."""
        self.publisher = publisher_for(
            site.journal.publish, site.notifications.smtp, self.publisher, self.data_dir
        )

    def publish(self) -> int:
        """Send the checkpoints not yet published to the configured targets."""
        if self.publisher is None:
            return 0
        return self.publisher.publish_pending(self.engine, self.clock.now())

    @property
    def fingerprint(self) -> str | None:
        return fingerprint(self.key.public_key()) if self.key is not None else None

    def record(self, entry: NewEntry, conn: Connection | None = None) -> JournalEntry | None:
        """Append `entry`; in `conn`'s transaction when given (one opened by
        `transaction()`), so that the change it records and the entry commit together."""
        if not self.enabled:
            return None
        target = conn if conn is not None else self.engine
        return append(target, self.clock, entry, key=self.key, policy=self.policy)

    def transaction(self) -> AbstractContextManager[Connection]:
        """A transaction for a change of a legal register and its journal entries: both
        commit, or neither (on SQLite it takes the write lock at once, as appends need)."""
        return locked_chain(self.engine)

    def checkpoint(self) -> Checkpoint | None:
        if self.key is None:
            raise RuntimeError("no installation key: checkpoints cannot be signed")
        return checkpoint(self.engine, self.clock, self.key)

    def purge(self) -> NewEntry | None:
        """Apply the retention; the new start of the chain is sealed at once."""
        entry = apply_purge(
            self.engine, self.clock, self.retention, key=self.key, checkpoint_policy=self.policy
        )
        if entry is not None and self.key is not None:
            self.checkpoint()
        return entry


class JournalMaintenance:
    def __init__(
        self,
        journal: Journal,
        interval_s: float = 60.0,
        purge_every: timedelta = timedelta(hours=6),
    ) -> None:
        self.journal = journal
        self.interval_s = interval_s
        self.purge_every_s = purge_every.total_seconds()
        self._last_purge: float | None = None
        self.loop = Loop("journal", self.run_once, interval_s, journal.clock)

    def run_once(self) -> None:
        for step in (self._purge, self._seal, self.journal.publish):
            try:
                step()
            except Exception:
                log.exception("journal maintenance: %s failed; retrying next round", step.__name__)

    def _purge(self) -> None:
        j = self.journal
        now = j.clock.monotonic()
        if self._last_purge is not None and now - self._last_purge < self.purge_every_s:
            return
        try:
            purged = j.purge()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                raise  # retried at the next round
            self._last_purge = now  # said once per purge_every, not every round
            log.warning(
                "journal: this database role may not delete journal entries, so the "
                "retention is not applied here: run `beffroi journal purge` as the "
                "retention role (docs/design/journal.md, Database roles)"
            )
            return
        self._last_purge = now
        if purged is not None:
            log.info("journal: purged old entries: %s", purged.detail)

    def _seal(self) -> None:
        j = self.journal
        if j.key is not None and checkpoint_due(j.engine, j.clock, j.policy):
            j.checkpoint()

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop(10)
        # Seal what the last minutes appended, so a clean stop leaves no unsealed tail.
        if self.journal.key is not None:
            try:
                self.journal.checkpoint()
            except Exception:
                log.exception("journal: final checkpoint failed")
        try:
            self.journal.publish()
        except Exception:
            log.exception("journal: publishing the last checkpoints failed")
