"""More items for an open requisition: the investigator widens the request, or the
operator exports a further range from the timeline into it (`POST …/items`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, update

from beffroi.archive.holds import lock_for_holds
from beffroi.requisitions.register import (
    MAX_ITEMS,
    Requisition,
    RequisitionClosed,
    RequisitionItem,
    RequisitionNotFound,
    TooManyItems,
    history,
    hold_items,
    load_requisition,
)
from beffroi.requisitions.states import CLOSED
from beffroi.requisitions.tables import requisitions


def add_items(
    conn: Connection,
    requisition_id: int,
    items: Sequence[RequisitionItem],
    by: str,
    now_ms: int,
) -> tuple[Requisition, list[int]]:
    """Append `items` to an open requisition and hold their ranges, in the caller's
    transaction; returns the requisition after and the ids of the holds placed.

    The first statement is a write guarded by the state (`SET state = state WHERE state
    is open`): it takes the requisition row's lock on PostgreSQL and the write lock on
    SQLite, so a concurrent close either happens before (RequisitionClosed) or waits for
    this commit; the items are never added to a closed requisition. The addition is
    recorded in the history (same state before and after, the items in its facts).
    """
    if not items:
        raise ValueError("no item to add")
    r = requisitions.c
    opened = conn.execute(
        update(requisitions)
        .where(r.id == requisition_id, r.state.not_in(sorted(CLOSED)))
        .values(state=r.state)
    ).rowcount
    req = load_requisition(conn, requisition_id)
    if req is None:
        raise RequisitionNotFound(f"no requisition #{requisition_id}")
    if opened != 1:
        raise RequisitionClosed(f"requisition {req.number} is closed ({req.state})")
    if len(req.items) + len(items) > MAX_ITEMS:
        raise TooManyItems(
            f"at most {MAX_ITEMS} items per requisition: it has {len(req.items)}, "
            f"{len(items)} more asked"
        )
    missing = {i.camera_id for i in items} - lock_for_holds(conn, (i.camera_id for i in items))
    if missing:
        raise LookupError(f"unknown camera {sorted(missing)[0]}")
    placed = hold_items(
        conn, requisition_id, req.number, req.procedure, len(req.items), items, by, now_ms
    )
    added = [{"camera": i.camera_id, "start_ms": i.start_ms, "end_ms": i.end_ms} for i in items]
    history(conn, requisition_id, req.state, req.state, by, now_ms, {"added_items": added})
    after = load_requisition(conn, requisition_id)
    assert after is not None
    return after, placed
