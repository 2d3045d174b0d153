"""Judicial holds: footage that retention and disk pressure must never delete.

A hold protects every segment of its camera that overlaps `[start_ms, end_ms]` (bounds
included) until it is released. Holds may overlap; each protects its own range, so
releasing one leaves the others in force. A hold is never deleted, only released, with
who released it, when and why: the holds table is itself part of the evidence trail.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update

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
    if start_ms > end_ms:
        raise HoldError(f"hold range is reversed: start {start_ms} > end {end_ms}")
    reason = _required(reason, "a reason")
    created_by = _required(created_by, "the author")
    with engine.begin() as conn:
        if conn.execute(select(cameras.c.id).where(cameras.c.id == camera_id)).first() is None:
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
                created_ms=utc_ms(clock.now()),
            )
            .returning(holds.c.id)
        ).scalar_one()
    return int(hold_id)


def release_hold(engine: Engine, hold_id: int, released_by: str, reason: str, clock: Clock) -> None:
    """Release an active hold; its footage then ages out normally at the next round."""
    reason = _required(reason, "a release reason")
    released_by = _required(released_by, "the releasing user")
    with engine.begin() as conn:
        row = conn.execute(select(holds.c.released_ms).where(holds.c.id == hold_id)).first()
        if row is None:
            raise HoldNotFound(f"no hold #{hold_id}")
        if row.released_ms is not None:
            raise HoldError(f"hold #{hold_id} is already released")
        # The released_ms IS NULL guard makes two concurrent releases record only one.
        done = conn.execute(
            update(holds)
            .where(holds.c.id == hold_id, holds.c.released_ms.is_(None))
            .values(
                released_ms=utc_ms(clock.now()),
                released_by=released_by,
                release_reason=reason,
            )
        ).rowcount
        if done != 1:
            raise HoldError(f"hold #{hold_id} is already released")


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
