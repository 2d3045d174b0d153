"""The judicial requisitions register: record, load, scope, and move a requisition along.

A requisition and the legal holds on its ranges are written in ONE transaction
(`record_requisition`): there is never a registered requisition whose footage is not
yet protected, nor a hold pointing at a requisition that was rolled back. Every state
change is written to `requisition_history` in the transaction that makes it.

Closing a requisition (delivered, no footage, refused) does not release its holds: the
prosecutor decides when the footage may go (a delivered copy may be contested, a
refusal appealed). Holds are released one by one, with a reason (`/api/holds/{id}/release`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.archive.holds import lock_for_holds, place_hold_in
from beffroi.requisitions.numbering import allocate_number, register_year
from beffroi.requisitions.states import (
    EXTRACTING,
    RECEIVED,
    IllegalTransition,
    check_transition,
    history_detail,
)
from beffroi.requisitions.tables import (
    requisition_assignees,
    requisition_history,
    requisition_items,
    requisitions,
)
from beffroi.site.tables import cameras

__all__ = [
    "Authority",
    "Delivery",
    "IllegalTransition",
    "NewRequisition",
    "Requisition",
    "RequisitionClosed",
    "RequisitionItem",
    "RequisitionNotFound",
    "TooManyItems",
    "history",
    "hold_items",
    "load_requisition",
    "mark_extracting",
    "record_requisition",
    "transition",
    "visible_requisition",
]

# Items of one requisition, at creation and after additions (the API's limit).
MAX_ITEMS = 200


@dataclass(frozen=True)
class Authority:
    """Who requires the footage: the magistrate or judicial police officer."""

    name: str
    rank: str | None
    service: str
    unit: str | None


@dataclass(frozen=True)
class RequisitionItem:
    camera_id: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Delivery:
    """The handover of a delivered requisition."""

    to: str
    at_ms: int
    medium: str
    signature: str


@dataclass(frozen=True)
class Requisition:
    id: int
    number: str  # "2026-0042": per-year sequence, never repeats nor skips
    authority: Authority
    legal_basis: str  # "60-1" | "77-1-1" | "99-3" | "igp" | "other"
    procedure: str
    received_ms: int
    state: str  # "received" | "extracting" | "delivered" | "no_footage" | "refused"
    items: tuple[RequisitionItem, ...]
    assigned_to: tuple[int, ...]  # user ids of the investigators it is assigned to
    notes: str | None
    legal_basis_other: str | None = None
    created_by: str = ""
    created_ms: int = 0
    closed_ms: int | None = None
    delivery: Delivery | None = None
    close_reason: str | None = None  # the refusal reason, or a note on "no footage"


@dataclass(frozen=True)
class NewRequisition:
    """A requisition as received, validated by the caller (API schema)."""

    authority: Authority
    legal_basis: str
    procedure: str
    received_ms: int
    items: tuple[RequisitionItem, ...]
    legal_basis_other: str | None = None
    notes: str | None = None
    assigned_to: tuple[int, ...] = ()


class RequisitionNotFound(LookupError):
    """Missing, or outside the principal's scope: both read as 404."""


class RequisitionClosed(ValueError):
    """Delivered, closed without footage, or refused: nothing more may be added."""


class TooManyItems(ValueError):
    """More than MAX_ITEMS items in one requisition."""


def record_requisition(conn: Connection, new: NewRequisition, by: str, now_ms: int) -> Requisition:
    """Register `new` and hold its ranges, in the caller's transaction.

    The number is taken first: on SQLite that write takes the database's write lock, on
    PostgreSQL the counter row's lock, so concurrent registrations serialise from here
    to their commit and numbers follow the order of commits, without gaps.
    """
    if not new.items:
        raise ValueError("a requisition needs at least one item")
    year = register_year(now_ms)
    seq = allocate_number(conn, year)
    number = f"{year}-{seq:04d}"
    missing = {i.camera_id for i in new.items} - lock_for_holds(
        conn, (i.camera_id for i in new.items)
    )
    if missing:
        raise LookupError(f"unknown camera {sorted(missing)[0]}")
    a = new.authority
    req_id = conn.execute(
        insert(requisitions)
        .values(
            number=number,
            year=year,
            seq=seq,
            authority_name=a.name,
            authority_rank=a.rank,
            authority_service=a.service,
            authority_unit=a.unit,
            legal_basis=new.legal_basis,
            legal_basis_other=new.legal_basis_other,
            procedure=new.procedure,
            received_ms=new.received_ms,
            state=RECEIVED,
            notes=new.notes,
            created_by=by,
            created_ms=now_ms,
        )
        .returning(requisitions.c.id)
    ).scalar_one()
    if new.assigned_to:
        conn.execute(
            insert(requisition_assignees),
            [{"requisition_id": req_id, "user_id": u} for u in sorted(set(new.assigned_to))],
        )
    hold_items(conn, int(req_id), number, new.procedure, 0, new.items, by, now_ms)
    history(conn, int(req_id), None, RECEIVED, by, now_ms, {"number": number})
    found = load_requisition(conn, int(req_id))
    assert found is not None  # just inserted in this transaction
    return found


def hold_items(
    conn: Connection,
    requisition_id: int,
    number: str,
    procedure: str,
    first_position: int,
    items: Sequence[RequisitionItem],
    by: str,
    now_ms: int,
) -> list[int]:
    """Store `items` from `first_position` on and hold each range (the caller locked the
    cameras with `lock_for_holds`); returns the holds' ids."""
    conn.execute(
        insert(requisition_items),
        [
            {
                "requisition_id": requisition_id,
                "position": first_position + pos,
                "camera_id": i.camera_id,
                "start_ms": i.start_ms,
                "end_ms": i.end_ms,
            }
            for pos, i in enumerate(items)
        ],
    )
    return [
        place_hold_in(
            conn,
            i.camera_id,
            i.start_ms,
            i.end_ms,
            f"réquisition {number} (procédure {procedure})",
            by,
            now_ms,
            requisition_id=requisition_id,
        )
        for i in items
    ]


def load_requisition(conn: Connection, requisition_id: int) -> Requisition | None:
    row = conn.execute(select(requisitions).where(requisitions.c.id == requisition_id)).first()
    if row is None:
        return None
    return _load_many(conn, [row])[0]


def load_requisitions(conn: Connection, rows: Sequence[Any]) -> list[Requisition]:
    """Requisitions of `rows` (rows of `requisitions`), items and assignees included."""
    return _load_many(conn, rows)


def _load_many(conn: Connection, rows: Sequence[Any]) -> list[Requisition]:
    ids = [int(r.id) for r in rows]
    items: dict[int, list[RequisitionItem]] = {i: [] for i in ids}
    assignees: dict[int, list[int]] = {i: [] for i in ids}
    # Chunks keep the IN list under SQLite's bound-parameter limit on a big register.
    for lo in range(0, len(ids), 500):
        chunk = ids[lo : lo + 500]
        for it in conn.execute(
            select(requisition_items)
            .where(requisition_items.c.requisition_id.in_(chunk))
            .order_by(requisition_items.c.requisition_id, requisition_items.c.position)
        ):
            items[int(it.requisition_id)].append(
                RequisitionItem(it.camera_id, int(it.start_ms), int(it.end_ms))
            )
        for a in conn.execute(
            select(requisition_assignees).where(requisition_assignees.c.requisition_id.in_(chunk))
        ):
            assignees[int(a.requisition_id)].append(int(a.user_id))
    return [_from_row(r, items[int(r.id)], assignees[int(r.id)]) for r in rows]


def _from_row(row: Any, items: list[RequisitionItem], assigned: list[int]) -> Requisition:
    delivery = None
    if row.delivered_ms is not None:
        delivery = Delivery(
            to=row.delivered_to,
            at_ms=int(row.delivered_ms),
            medium=row.delivery_medium,
            signature=row.handover_signature,
        )
    return Requisition(
        id=int(row.id),
        number=row.number,
        authority=Authority(
            name=row.authority_name,
            rank=row.authority_rank,
            service=row.authority_service,
            unit=row.authority_unit,
        ),
        legal_basis=row.legal_basis,
        procedure=row.procedure,
        received_ms=int(row.received_ms),
        state=row.state,
        items=tuple(items),
        assigned_to=tuple(sorted(assigned)),
        notes=row.notes,
        legal_basis_other=row.legal_basis_other,
        created_by=row.created_by,
        created_ms=int(row.created_ms),
        closed_ms=None if row.closed_ms is None else int(row.closed_ms),
        delivery=delivery,
        close_reason=row.close_reason,
    )


def item_communes(conn: Connection, req: Requisition) -> set[str]:
    ids = sorted({i.camera_id for i in req.items})
    return set(conn.execute(select(cameras.c.commune_id).where(cameras.c.id.in_(ids))).scalars())


def sees_requisition(conn: Connection, principal: Principal, req: Requisition) -> bool:
    """The scope rule: investigators see what is assigned to them; the others see a
    requisition when they see the commune of every item's camera."""
    if principal.role == Role.INVESTIGATOR:
        return principal.user_id in req.assigned_to
    if principal.communes is None:
        return True
    return all(principal.sees_commune(c) for c in item_communes(conn, req))


def visible_requisition(conn: Connection, principal: Principal, requisition_id: int) -> Requisition:
    """Raises RequisitionNotFound when missing OR outside the principal's scope (same
    answer: 404)."""
    req = load_requisition(conn, requisition_id)
    if req is None or not sees_requisition(conn, principal, req):
        raise RequisitionNotFound(f"no requisition #{requisition_id}")
    return req


def transition(
    conn: Connection,
    requisition_id: int,
    to_state: str,
    by: str,
    now_ms: int,
    values: dict[str, object] | None = None,
    detail: dict[str, object] | None = None,
) -> Requisition:
    """Move the requisition to `to_state` (raises IllegalTransition), store `values` on
    its row and the transition in its history, in the caller's transaction.

    The UPDATE is guarded by the state read, so two concurrent transitions cannot both
    succeed from the same state: the loser sees a changed state and gets the 409."""
    row = conn.execute(
        select(requisitions.c.state).where(requisitions.c.id == requisition_id)
    ).first()
    if row is None:
        raise RequisitionNotFound(f"no requisition #{requisition_id}")
    check_transition(row.state, to_state)
    done = conn.execute(
        update(requisitions)
        .where(requisitions.c.id == requisition_id, requisitions.c.state == row.state)
        .values(state=to_state, **(values or {}))
    ).rowcount
    if done != 1:
        raise IllegalTransition(row.state, to_state, "changed meanwhile by another request")
    history(conn, requisition_id, row.state, to_state, by, now_ms, detail)
    found = load_requisition(conn, requisition_id)
    assert found is not None
    return found


def mark_extracting(conn: Connection, requisition_id: int, by: str, now_ms: int) -> None:
    """received -> extracting (no-op when already extracting); records the transition."""
    state = conn.execute(
        select(requisitions.c.state).where(requisitions.c.id == requisition_id)
    ).scalar_one_or_none()
    if state is None:
        raise RequisitionNotFound(f"no requisition #{requisition_id}")
    if state == EXTRACTING:
        return
    transition(conn, requisition_id, EXTRACTING, by, now_ms)


def history(
    conn: Connection,
    requisition_id: int,
    from_state: str | None,
    to_state: str,
    by: str,
    now_ms: int,
    detail: dict[str, object] | None,
) -> None:
    conn.execute(
        insert(requisition_history).values(
            requisition_id=requisition_id,
            from_state=from_state,
            to_state=to_state,
            by=by,
            at_ms=now_ms,
            detail=history_detail(detail),
        )
    )
