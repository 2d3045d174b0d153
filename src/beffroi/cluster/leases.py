"""Leases with fencing tokens, in the shared database.

A lease names one thing only one node may do at a time (lead a background loop; later,
record a camera). A node holds it until `expires_ms` unless it renews it; a lease that
expired, or was released, may be taken by any node, and each change of holder adds one
to its `token`. Whatever the holder writes under the lease is checked against the
token in the same transaction (`check_fence`), so a node that lost its lease (paused,
cut from the network, its clock late) can never write again under the old one: the
fencing token, not the clock, is what guarantees a single writer.

Every change is a compare-and-set on the token (`UPDATE … WHERE token = :seen`), so two
nodes racing for an expired lease cannot both win, on PostgreSQL as on SQLite, without
holding a row lock across a round trip.

Expiry is in the nodes' wall clock (UTC ms): nodes of a cluster keep NTP time, and a
holder stops believing in its lease a margin before it expires by its own monotonic
clock (`leader.Leadership`), so a skew smaller than the margin never gives two
leaders; fencing covers the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from beffroi.cluster.tables import leases


@dataclass(frozen=True)
class Lease:
    name: str
    holder: str
    token: int
    expires_ms: int


def acquire(engine: Engine, name: str, node: str, now_ms: int, ttl_ms: int) -> Lease | None:
    """Take or renew `name` for `node` until `now_ms + ttl_ms`; None when another node
    holds it. Renewing keeps the token; taking it from nobody or from an expired holder
    (this node included) gives a new one."""
    expires = now_ms + ttl_ms
    with engine.begin() as conn:
        row = conn.execute(select(leases).where(leases.c.name == name)).first()
        if row is None:
            return _first(conn, name, node, now_ms, expires)
        live = row.holder is not None and row.expires_ms > now_ms
        if live and row.holder != node:
            return None
        token = int(row.token) if live else int(row.token) + 1
        values = {"holder": node, "token": token, "expires_ms": expires}
        if not live:
            values["acquired_ms"] = now_ms
        done = conn.execute(
            update(leases)
            .where(leases.c.name == name, leases.c.token == row.token)
            .values(**values)
        ).rowcount
    return Lease(name, node, token, expires) if done == 1 else None


def _first(conn: Connection, name: str, node: str, now_ms: int, expires: int) -> Lease | None:
    try:
        with conn.begin_nested():  # a node racing us to the first row: it won
            conn.execute(
                insert(leases).values(
                    name=name, holder=node, token=1, expires_ms=expires, acquired_ms=now_ms
                )
            )
    except IntegrityError:
        return None
    return Lease(name, node, 1, expires)


def release(engine: Engine, lease: Lease) -> bool:
    """Give the lease up at once (a clean stop), if still held under its token."""
    with engine.begin() as conn:
        done = conn.execute(
            update(leases)
            .where(
                leases.c.name == lease.name,
                leases.c.holder == lease.holder,
                leases.c.token == lease.token,
            )
            .values(holder=None)
        ).rowcount
    return done == 1


def check_fence(conn: Connection, lease: Lease, now_ms: int) -> bool:
    """Whether `lease` still holds, read in the caller's transaction before it writes
    under it. On PostgreSQL the row is locked for share until that transaction ends, so
    a takeover waits for the write to commit rather than slipping in between."""
    row = conn.execute(
        select(leases.c.holder, leases.c.token, leases.c.expires_ms)
        .where(leases.c.name == lease.name)
        .with_for_update(read=True)
    ).first()
    return (
        row is not None
        and row.holder == lease.holder
        and int(row.token) == lease.token
        and int(row.expires_ms) > now_ms
    )


def holders(engine: Engine, prefix: str = "") -> list[Lease]:
    """Leases whose name starts with `prefix`, held or not (holder "" when released)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(leases).where(leases.c.name.startswith(prefix)).order_by(leases.c.name)
        ).all()
    return [Lease(r.name, r.holder or "", int(r.token), int(r.expires_ms)) for r in rows]
