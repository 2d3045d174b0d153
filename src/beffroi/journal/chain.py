"""Appending to the chain, safely with concurrent writers in several processes.

Every append runs one transaction that first *updates* the single `journal_head` row
(`UPDATE … SET seq = seq + n RETURNING seq, hash`): on PostgreSQL that takes the row
lock, so a concurrent appender waits and then reads the committed head; on SQLite the
transaction is opened with `BEGIN IMMEDIATE`, so it holds the database's write lock
from its first statement and waits (busy_timeout) rather than failing. The entry's
seq, time and prev_hash are all read under that lock, so the chain can neither fork
nor reorder, and seq stays gapless: a rolled-back append also rolls back its head.

Checkpoints (`Ed25519` signatures over seq, hash and time of an entry) are the policy
`verify` holds the chain to (`CheckpointPolicy`): written in the same transaction when
an appended seq is a multiple of `every_entries`, or when the append comes `every` or
more after the last checkpoint (the chain's first entry when there is none), then
sealing the append's last entry; also by `checkpoint()` on demand, after a purge, on a
clean stop and from the maintenance loop when the tail has waited `every`. So an entry
appended more than `every` after the previous checkpoint always carries one at its
own time: deleting checkpoints (to rewrite the entries they sealed) leaves a hole that
`verify` names.

Every append with a key also signs the head row (seq, hash, time of the new last
entry; `keys.head_message`): rewinding the head over a deleted tail needs the key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from beffroi.clock import Clock, utc_ms
from beffroi.journal.entries import JournalEntry, NewEntry, seal
from beffroi.journal.keys import fingerprint, sign_checkpoint, sign_head
from beffroi.journal.tables import journal_checkpoints, journal_entries, journal_head
from beffroi.site.tables import cameras

HEAD_ID = 1

# Built once: an append runs on the request path of every video route, and building
# and cache-keying these statements per call was half the cost of journaling.
_ADVANCE_HEAD = (
    update(journal_head)
    .where(journal_head.c.id == HEAD_ID)
    .values(seq=journal_head.c.seq + bindparam("n"))
    .returning(journal_head.c.seq, journal_head.c.hash)
)
_SET_HEAD = (
    update(journal_head)
    .where(journal_head.c.id == HEAD_ID)
    .values(
        hash=bindparam("head_hash"),
        time_ms=bindparam("head_ms"),
        key_fingerprint=bindparam("head_key"),
        signature=bindparam("head_signature"),
    )
)
_INSERT_ENTRY = insert(journal_entries)
_INSERT_CHECKPOINT = insert(journal_checkpoints)
_LAST_CHECKPOINT_MS = (
    select(journal_checkpoints.c.time_ms).order_by(journal_checkpoints.c.seq.desc()).limit(1)
)
_FIRST_ENTRY_MS = select(journal_entries.c.time_ms).order_by(journal_entries.c.seq).limit(1)


class JournalError(RuntimeError):
    pass


@dataclass(frozen=True)
class CheckpointPolicy:
    """When to seal the chain: every `every_entries` entries (in the append itself) and
    at least every `every` while entries keep coming (the append that comes `every`
    after the last checkpoint, and the maintenance loop for a waiting tail).

    `grace` is for `verify` only: how much later than the policy a checkpoint may be
    (clocks of several processes appending to one database disagree a little)."""

    every_entries: int = 1000
    every: timedelta = timedelta(minutes=10)
    grace: timedelta = timedelta(minutes=2)

    @property
    def every_ms(self) -> int:
        return int(self.every.total_seconds() * 1000)

    @property
    def grace_ms(self) -> int:
        return int(self.grace.total_seconds() * 1000)


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    time_ms: int
    key_fingerprint: str
    signature: str


DEFAULT_POLICY = CheckpointPolicy()


@contextmanager
def locked_chain(engine: Engine) -> Iterator[Connection]:
    """A transaction that may append: on SQLite it holds the write lock from the start
    (a deferred transaction that reads first could not upgrade without SQLITE_BUSY)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def append(
    target: Engine | Connection,
    clock: Clock,
    entry: NewEntry,
    *,
    key: Ed25519PrivateKey | None = None,
    policy: CheckpointPolicy = DEFAULT_POLICY,
) -> JournalEntry:
    """Append `entry` and return it sealed (seq, time, hashes).

    Given an Engine, it runs and commits its own transaction. Given a Connection, it
    joins the caller's transaction (the entry commits or rolls back with the caller's
    change); on SQLite that transaction must not have read before, or must have been
    opened by `locked_chain`."""
    return append_many(target, clock, [entry], key=key, policy=policy)[0]


def append_many(
    target: Engine | Connection,
    clock: Clock,
    entries: Sequence[NewEntry],
    *,
    key: Ed25519PrivateKey | None = None,
    policy: CheckpointPolicy = DEFAULT_POLICY,
) -> list[JournalEntry]:
    """Append several entries in one transaction (one lock, one head update)."""
    if not entries:
        return []
    if isinstance(target, Engine):
        with locked_chain(target) as conn:
            return _append_locked(conn, clock, entries, key, policy)
    return _append_locked(target, clock, entries, key, policy)


def _append_locked(
    conn: Connection,
    clock: Clock,
    entries: Sequence[NewEntry],
    key: Ed25519PrivateKey | None,
    policy: CheckpointPolicy,
) -> list[JournalEntry]:
    head = conn.execute(_ADVANCE_HEAD, {"n": len(entries)}).first()
    if head is None:
        raise JournalError("journal_head row missing: the journal schema was damaged")
    seq = int(head.seq) - len(entries)
    prev = str(head.hash)
    # Read under the lock: times never go backwards along the chain (one clock).
    now_ms = utc_ms(clock.now())
    communes = _camera_communes(conn, entries)
    sealed: list[JournalEntry] = []
    for entry in entries:
        seq += 1
        commune = entry.commune if entry.commune is not None else communes.get(entry.camera)
        done = seal(entry, seq, now_ms, prev, commune)
        sealed.append(done)
        prev = done.hash
    conn.execute(_INSERT_ENTRY, [_row(e) for e in sealed])
    head_key = head_signature = None
    if key is not None:
        _seal_due(conn, key, policy, sealed, now_ms)
        head_key = fingerprint(key.public_key())
        head_signature = sign_head(key, sealed[-1].seq, prev, now_ms)
    conn.execute(
        _SET_HEAD,
        {
            "head_hash": prev,
            "head_ms": now_ms,
            "head_key": head_key,
            "head_signature": head_signature,
        },
    )
    return sealed


def _seal_due(
    conn: Connection,
    key: Ed25519PrivateKey,
    policy: CheckpointPolicy,
    sealed: Sequence[JournalEntry],
    now_ms: int,
) -> None:
    """The checkpoints the policy asks of this append: one per multiple of
    `every_entries` (a batch may hold several), else one at its end when the last
    checkpoint is `every` old."""
    if policy.every_entries > 0:
        due = [e for e in sealed if e.seq % policy.every_entries == 0]
        for e in due:
            _insert_checkpoint(conn, key, e.seq, e.hash, now_ms)
        if due:
            return  # entries of the batch after them are as recent: not due by time
    if policy.every_ms <= 0:
        return
    since = conn.execute(_LAST_CHECKPOINT_MS).scalar()
    if since is None:  # never sealed (or everything sealed was purged): from the start
        since = conn.execute(_FIRST_ENTRY_MS).scalar()
    if since is not None and now_ms - int(since) >= policy.every_ms:
        _insert_checkpoint(conn, key, sealed[-1].seq, sealed[-1].hash, now_ms)


def _camera_communes(conn: Connection, entries: Sequence[NewEntry]) -> dict[str | None, str]:
    wanted = {e.camera for e in entries if e.camera is not None and e.commune is None}
    if not wanted:
        return {}
    rows = conn.execute(
        select(cameras.c.id, cameras.c.commune_id).where(cameras.c.id.in_(sorted(wanted)))
    )
    return {r.id: r.commune_id for r in rows}


def _row(e: JournalEntry) -> dict[str, object]:
    return {
        "seq": e.seq,
        "time_ms": e.time_ms,
        "user_id": e.user_id,
        "username": e.username,
        "role": e.role,
        "communes": e.communes,
        "source": e.source,
        "action": e.action,
        "camera_id": e.camera,
        "commune_id": e.commune,
        "start_ms": e.start_ms,
        "end_ms": e.end_ms,
        "detail": e.detail,
        "outcome": e.outcome,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _insert_checkpoint(
    conn: Connection, key: Ed25519PrivateKey, seq: int, entry_hash: str, time_ms: int
) -> Checkpoint:
    cp = Checkpoint(
        seq=seq,
        hash=entry_hash,
        time_ms=time_ms,
        key_fingerprint=fingerprint(key.public_key()),
        signature=sign_checkpoint(key, seq, entry_hash, time_ms),
    )
    conn.execute(_INSERT_CHECKPOINT, cp.__dict__)
    return cp


def last_checkpoint(conn: Connection) -> Checkpoint | None:
    row = conn.execute(
        select(journal_checkpoints).order_by(journal_checkpoints.c.seq.desc()).limit(1)
    ).first()
    return Checkpoint(**row._asdict()) if row is not None else None


def checkpoint(engine: Engine, clock: Clock, key: Ed25519PrivateKey) -> Checkpoint | None:
    """Seal the last entry now (on demand). None when the journal is empty or the last
    entry is already sealed."""
    with locked_chain(engine) as conn:
        last = conn.execute(
            select(journal_entries.c.seq, journal_entries.c.hash)
            .order_by(journal_entries.c.seq.desc())
            .limit(1)
        ).first()
        if last is None:
            return None
        previous = last_checkpoint(conn)
        if previous is not None and previous.seq >= last.seq:
            return None
        return _insert_checkpoint(conn, key, int(last.seq), str(last.hash), utc_ms(clock.now()))


def checkpoint_due(engine: Engine, clock: Clock, policy: CheckpointPolicy) -> bool:
    """True when entries were appended after the last checkpoint and it is older than
    `policy.every` (or there is none)."""
    with engine.connect() as conn:
        head = conn.execute(select(journal_head.c.seq).where(journal_head.c.id == HEAD_ID)).scalar()
        previous = last_checkpoint(conn)
    if not head:
        return False
    if previous is None:
        return True
    age_ms = utc_ms(clock.now()) - previous.time_ms
    return int(head) > previous.seq and age_ms >= policy.every.total_seconds() * 1000
