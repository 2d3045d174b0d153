"""Retention of the journal itself: old entries go, under a sealed `journal.purge` entry.

The decision is pure (`decide_purge`): given now, the policy and where the chain
stands, which seqs to delete. Deletion is always a *prefix* of the chain (seq 1..L, or
first..L after an earlier purge), never by time alone: clocks of several processes may
disagree by a little, and a hole in the middle of the chain would be tampering.

`apply_purge` deletes that prefix and, in the same transaction, appends a
`journal.purge` entry whose detail records the range (`first_seq`, `last_seq`,
`from_ms`, `to_ms`, `count`) and `last_hash`, the hash of the last deleted entry. The
verifier then accepts a chain whose first entry has seq L+1 and prev_hash `last_hash`
because a chained, signed-over entry vouches for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, delete, func, select

from beffroi.clock import Clock, utc_ms
from beffroi.journal.chain import DEFAULT_POLICY, CheckpointPolicy, append, locked_chain
from beffroi.journal.entries import NewEntry, canonical_detail
from beffroi.journal.tables import journal_checkpoints, journal_entries
from beffroi.site.tables import cameras

DEFAULT_RETENTION = timedelta(days=365)
# The longest video retention the law allows (CSI L252-5): the journal of who watched
# footage must outlive the footage, whatever the site file says.
VIDEO_RETENTION_CAP = timedelta(days=30)


@dataclass(frozen=True)
class JournalRetention:
    keep: timedelta = DEFAULT_RETENTION

    def effective(self, longest_video: timedelta | None = None) -> timedelta:
        """`keep`, raised to the longest video retention (and never under 30 days)."""
        floor = max(VIDEO_RETENTION_CAP, longest_video or timedelta(0))
        return max(self.keep, floor)


@dataclass(frozen=True)
class ChainState:
    """Where the chain stands, as `apply_purge` reads it under the lock."""

    first_seq: int | None  # None: the journal is empty
    last_seq: int | None
    first_kept_seq: int | None  # the first entry at or after the cutoff; None: all older


@dataclass(frozen=True)
class PurgePlan:
    cutoff_ms: int
    first_seq: int
    last_seq: int

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1


def cutoff_ms(now: datetime, policy: JournalRetention, longest_video: timedelta | None) -> int:
    return utc_ms(now - policy.effective(longest_video))


def decide_purge(cutoff: int, state: ChainState) -> PurgePlan | None:
    """The prefix to delete: every entry before the first one recorded at or after
    `cutoff` (all of them when none is that recent). None when nothing is old enough."""
    if state.first_seq is None or state.last_seq is None:
        return None
    last = state.last_seq if state.first_kept_seq is None else state.first_kept_seq - 1
    if last < state.first_seq:
        return None
    return PurgePlan(cutoff, state.first_seq, last)


def longest_video_retention(conn: Connection) -> timedelta:
    seconds = conn.execute(select(func.max(cameras.c.retention_s))).scalar()
    return timedelta(seconds=int(seconds or 0))


def apply_purge(
    engine: Engine,
    clock: Clock,
    policy: JournalRetention = JournalRetention(),
    *,
    key: Ed25519PrivateKey | None = None,
    checkpoint_policy: CheckpointPolicy = DEFAULT_POLICY,
) -> NewEntry | None:
    """Delete the entries older than the retention, sealed by a `journal.purge` entry.
    Returns the purge entry appended, or None when there was nothing to delete."""
    with locked_chain(engine) as conn:
        longest = longest_video_retention(conn)
        cutoff = cutoff_ms(clock.now(), policy, longest)
        first, last = conn.execute(
            select(func.min(journal_entries.c.seq), func.max(journal_entries.c.seq))
        ).one()
        kept = conn.execute(
            select(func.min(journal_entries.c.seq)).where(journal_entries.c.time_ms >= cutoff)
        ).scalar()
        plan = decide_purge(cutoff, ChainState(first, last, kept))
        if plan is None:
            return None
        bounds = conn.execute(
            select(func.min(journal_entries.c.time_ms), func.max(journal_entries.c.time_ms)).where(
                journal_entries.c.seq.between(plan.first_seq, plan.last_seq)
            )
        ).one()
        last_hash = conn.execute(
            select(journal_entries.c.hash).where(journal_entries.c.seq == plan.last_seq)
        ).scalar_one()
        conn.execute(delete(journal_entries).where(journal_entries.c.seq <= plan.last_seq))
        conn.execute(delete(journal_checkpoints).where(journal_checkpoints.c.seq <= plan.last_seq))
        entry = NewEntry(
            action="journal.purge",
            detail=canonical_detail(
                {
                    "first_seq": plan.first_seq,
                    "last_seq": plan.last_seq,
                    "count": plan.count,
                    "from_ms": bounds[0],
                    "to_ms": bounds[1],
                    "last_hash": last_hash,
                    "cutoff_ms": plan.cutoff_ms,
                    "retention_days": policy.effective(longest).days,
                }
            ),
        )
        append(conn, clock, entry, key=key, policy=checkpoint_policy)
    return entry
