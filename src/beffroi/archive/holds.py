"""Judicial holds: footage that retention and disk pressure must never delete.

A hold protects every segment of its camera that overlaps `[start_ms, end_ms]` (bounds
included) until it is released. Holds may overlap; each protects its own range, so
releasing one leaves the others in force. A hold is never deleted, only released, with
who released it, when and why: the holds table is itself part of the evidence trail.

Placing a hold and deciding a deletion serialise on the camera (`lock_for_holds`,
`lock_for_deletion`): retention reads the holds only once it holds the camera's lock, so
a hold committed while a deletion was being decided is either seen by it, or placed after
the deletion committed (the footage was already gone, and the destruction register says
so). Without the lock, a hold committed between retention's read of the holds and its
commit would lose footage by milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, false, insert, select, update

from beffroi.archive.retention import HoldRange
from beffroi.archive.tables import holds
from beffroi.clock import Clock, utc_ms
from beffroi.site.tables import cameras


class HoldError(ValueError):
    """A hold request that cannot be honoured (unknown camera, bad range, no reason)."""


class HoldNotFound(HoldError, LookupError):
    pass


def _required(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise HoldError(f"{what} is required")
    return value


def lock_for_holds(conn: Connection, camera_ids: Iterable[str]) -> set[str]:
    """Take the cameras' hold lock in the caller's transaction; returns those that exist.

    PostgreSQL: `FOR SHARE` on the camera rows, in id order (so two callers never
    deadlock); holds may be placed concurrently, a deletion waits for them. SQLite has
    one writer at a time: the hold's INSERT is what serialises it with a deletion.
    """
    ids = sorted(set(camera_ids))
    if not ids:
        return set()
    query = select(cameras.c.id).where(cameras.c.id.in_(ids)).order_by(cameras.c.id)
    if conn.dialect.name != "sqlite":
        query = query.with_for_update(read=True)
    return set(conn.execute(query).scalars())


def lock_for_deletion(conn: Connection, camera_ids: Iterable[str]) -> None:
    """Before a deletion reads the holds: wait for the holds being placed, block new ones.

    PostgreSQL: `FOR NO KEY UPDATE` on the camera rows (conflicts with `FOR SHARE`, not
    with the `FOR KEY SHARE` the recorder's inserts take, so recording never waits).
    SQLite: a write that matches no row, which takes the database's write lock now rather
    than at the first real write, after the holds were read.
    """
    ids = sorted(set(camera_ids))
    if not ids:
        return
    if conn.dialect.name == "sqlite":
        conn.execute(update(cameras).where(false()).values(id=cameras.c.id))
        return
    conn.execute(
        select(cameras.c.id)
        .where(cameras.c.id.in_(ids))
        .order_by(cameras.c.id)
        .with_for_update(key_share=True)
    ).all()


def place_hold_in(
    conn: Connection,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    reason: str,
    created_by: str,
    now_ms: int,
    requisition_id: int | None = None,
    expires_ms: int | None = None,
) -> int:
    """`place_hold` inside the caller's transaction (a requisition and its holds commit
    together); returns the hold id. `expires_ms`: when a hold placed by hand lapses."""
    if start_ms > end_ms:
        raise HoldError(f"hold range is reversed: start {start_ms} > end {end_ms}")
    reason = _required(reason, "a reason")
    created_by = _required(created_by, "the author")
    if camera_id not in lock_for_holds(conn, [camera_id]):
        raise HoldError(f"unknown camera {camera_id!r}")
    hold_id = conn.execute(
        insert(holds)
        .values(
            camera_id=camera_id,
            start_ms=start_ms,
            end_ms=end_ms,
            reason=reason,
            requisition_id=requisition_id,
            created_by=created_by,
            created_ms=now_ms,
            expires_ms=expires_ms,
        )
        .returning(holds.c.id)
    ).scalar_one()
    return int(hold_id)


def place_hold(
    engine: Engine,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    reason: str,
    created_by: str,
    clock: Clock,
    requisition_id: int | None = None,
) -> int:
    """Protect `camera_id`'s footage over `[start_ms, end_ms]`; returns the hold id."""
    with engine.begin() as conn:
        return place_hold_in(
            conn,
            camera_id,
            start_ms,
            end_ms,
            reason,
            created_by,
            utc_ms(clock.now()),
            requisition_id,
        )


def release_hold_in(
    conn: Connection, hold_id: int, released_by: str, reason: str, now_ms: int
) -> None:
    """`release_hold` inside the caller's transaction."""
    reason = _required(reason, "a release reason")
    released_by = _required(released_by, "the releasing user")
    row = conn.execute(select(holds.c.released_ms).where(holds.c.id == hold_id)).first()
    if row is None:
        raise HoldNotFound(f"no hold #{hold_id}")
    if row.released_ms is not None:
        raise HoldError(f"hold #{hold_id} is already released")
    # The released_ms IS NULL guard makes two concurrent releases record only one.
    done = conn.execute(
        update(holds)
        .where(holds.c.id == hold_id, holds.c.released_ms.is_(None))
        .values(released_ms=now_ms, released_by=released_by, release_reason=reason)
    ).rowcount
    if done != 1:
        raise HoldError(f"hold #{hold_id} is already released")


def release_hold(engine: Engine, hold_id: int, released_by: str, reason: str, clock: Clock) -> None:
    """Release an active hold; its footage then ages out normally at the next round."""
    with engine.begin() as conn:
        release_hold_in(conn, hold_id, released_by, reason, utc_ms(clock.now()))


def active_holds(conn: Connection | Engine, camera_id: str | None = None) -> list[HoldRange]:
    """Unreleased holds, optionally of one camera, ordered by camera and start."""
    query = select(holds.c.camera_id, holds.c.start_ms, holds.c.end_ms).where(
        holds.c.released_ms.is_(None)
    )
    if camera_id is not None:
        query = query.where(holds.c.camera_id == camera_id)
    query = query.order_by(holds.c.camera_id, holds.c.start_ms)
    if isinstance(conn, Engine):
        with conn.connect() as c:
            rows = c.execute(query).all()
    else:
        rows = conn.execute(query).all()
    return [HoldRange(r.camera_id, int(r.start_ms), int(r.end_ms)) for r in rows]


MANUAL_HOLD_MAX_DAYS = 30  # a hold without a requisition lapses within this, unless renewed
DAY_MS = 86_400_000


def renew_hold_in(conn: Connection, hold_id: int, days: int, now_ms: int) -> int:
    """Extend a hold placed by hand to `days` from now (at most 30); its new expiry.
    HoldNotFound, or HoldError for a released hold or a requisition's (which lasts as
    long as its requisition needs it)."""
    if not 1 <= days <= MANUAL_HOLD_MAX_DAYS:
        raise HoldError(f"a hold is renewed for 1 to {MANUAL_HOLD_MAX_DAYS} days")
    row = conn.execute(
        select(holds.c.released_ms, holds.c.expires_ms).where(holds.c.id == hold_id)
    ).first()
    if row is None:
        raise HoldNotFound(f"no hold #{hold_id}")
    if row.released_ms is not None:
        raise HoldError(f"hold #{hold_id} is released")
    if row.expires_ms is None:
        raise HoldError(f"hold #{hold_id} belongs to a requisition: it does not lapse")
    expires = now_ms + days * DAY_MS
    conn.execute(update(holds).where(holds.c.id == hold_id).values(expires_ms=expires))
    return expires


def lapsed_holds(conn: Connection, now_ms: int) -> list[Any]:
    """Holds placed by hand whose expiry has passed and that are still in force."""
    return list(
        conn.execute(
            select(holds)
            .where(
                holds.c.released_ms.is_(None),
                holds.c.expires_ms.is_not(None),
                holds.c.expires_ms <= now_ms,
            )
            .order_by(holds.c.id)
        ).all()
    )
