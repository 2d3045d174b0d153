"""Reading the register: the scoped list, and a requisition as the API shows it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Select, exists, not_, select

from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.access.tables import users
from beffroi.archive.tables import holds
from beffroi.clock import from_ms
from beffroi.requisitions.footage import item_footage
from beffroi.requisitions.register import Requisition, load_requisitions
from beffroi.requisitions.schemas import (
    AuthorityOut,
    DeliveryOut,
    DestroyedOut,
    FootageOut,
    HistoryOut,
    HoldOut,
    Interval,
    ItemOut,
    RequisitionOut,
)
from beffroi.requisitions.tables import (
    requisition_assignees,
    requisition_history,
    requisition_items,
    requisitions,
)
from beffroi.site.tables import cameras


def scoped_requisitions(principal: Principal) -> Select[Any]:
    """The requisitions `principal` may see, as SQL (the rule of `sees_requisition`)."""
    query = select(requisitions)
    if principal.role == Role.INVESTIGATOR:
        return query.where(
            exists().where(
                requisition_assignees.c.requisition_id == requisitions.c.id,
                requisition_assignees.c.user_id == principal.user_id,
            )
        )
    if principal.communes is not None:
        # Visible when no item's camera lies outside the principal's communes.
        outside = exists().where(
            requisition_items.c.requisition_id == requisitions.c.id,
            cameras.c.id == requisition_items.c.camera_id,
            not_(cameras.c.commune_id.in_(sorted(principal.communes))),
        )
        query = query.where(not_(outside))
    return query


def list_requisitions(
    conn: Connection,
    principal: Principal,
    *,
    state: str | None = None,
    year: int | None = None,
    procedure: str | None = None,
) -> list[Requisition]:
    query = scoped_requisitions(principal)
    if state is not None:
        query = query.where(requisitions.c.state == state)
    if year is not None:
        query = query.where(requisitions.c.year == year)
    if procedure is not None:
        query = query.where(requisitions.c.procedure == procedure)
    rows = conn.execute(query.order_by(requisitions.c.year, requisitions.c.seq)).all()
    return load_requisitions(conn, rows)


def usernames(conn: Connection, user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(ids)))
    return {int(r.id): r.username for r in rows}


def user_ids_by_name(conn: Connection, names: Iterable[str]) -> dict[str, tuple[int, str]]:
    """username -> (id, role) for the names that exist."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    rows = conn.execute(
        select(users.c.id, users.c.username, users.c.role).where(users.c.username.in_(wanted))
    )
    return {r.username: (int(r.id), r.role) for r in rows}


def _interval(start_ms: int, end_ms: int) -> Interval:
    return Interval(
        start=from_ms(start_ms), end=from_ms(end_ms), seconds=(end_ms - start_ms) / 1000
    )


def hold_out(r: Any) -> HoldOut:
    return HoldOut(
        id=int(r.id),
        camera=r.camera_id,
        start=from_ms(int(r.start_ms)),
        end=from_ms(int(r.end_ms)),
        reason=r.reason,
        requisition_id=r.requisition_id,
        created_by=r.created_by,
        created_at=from_ms(int(r.created_ms)),
        active=r.released_ms is None,
        released_by=r.released_by,
        released_at=None if r.released_ms is None else from_ms(int(r.released_ms)),
        release_reason=r.release_reason,
        expires_at=None if r.expires_ms is None else from_ms(int(r.expires_ms)),
    )


def requisition_out(
    req: Requisition, names: dict[int, str], items: list[ItemOut] | None = None
) -> RequisitionOut:
    a = req.authority
    d = req.delivery
    return RequisitionOut(
        id=req.id,
        number=req.number,
        state=req.state,
        authority=AuthorityOut(name=a.name, rank=a.rank, service=a.service, unit=a.unit),
        legal_basis=req.legal_basis,
        legal_basis_other=req.legal_basis_other,
        procedure=req.procedure,
        received_at=from_ms(req.received_ms),
        notes=req.notes,
        assigned_to=[names.get(u, f"#{u}") for u in req.assigned_to],
        created_by=req.created_by,
        created_at=from_ms(req.created_ms),
        closed_at=None if req.closed_ms is None else from_ms(req.closed_ms),
        delivery=None
        if d is None
        else DeliveryOut(to=d.to, at=from_ms(d.at_ms), medium=d.medium, signature=d.signature),
        close_reason=req.close_reason,
        items=items
        if items is not None
        else [
            ItemOut(camera=i.camera_id, start=from_ms(i.start_ms), end=from_ms(i.end_ms))
            for i in req.items
        ],
    )


def requisition_detail(conn: Connection, req: Requisition, now_ms: int) -> RequisitionOut:
    """One requisition with, per item, what the archive holds; its holds and history."""
    items = []
    for item in req.items:
        f = item_footage(conn, item, now_ms)
        items.append(
            ItemOut(
                camera=item.camera_id,
                start=from_ms(item.start_ms),
                end=from_ms(item.end_ms),
                footage=FootageOut(
                    recorded_seconds=f.recorded_ms / 1000,
                    ranges=[_interval(s, e) for s, e in f.ranges],
                    gaps=[_interval(s, e) for s, e in f.gaps],
                    destroyed=[
                        DestroyedOut(
                            **_interval(d.start_ms, d.end_ms).model_dump(),
                            reason=d.reason,
                            destroyed_at=from_ms(d.destroyed_ms),
                        )
                        for d in f.destroyed
                    ],
                    messages=f.messages,
                ),
            )
        )
    out = requisition_out(req, usernames(conn, req.assigned_to), items)
    out.holds = [
        hold_out(r)
        for r in conn.execute(
            select(holds).where(holds.c.requisition_id == req.id).order_by(holds.c.id)
        )
    ]
    out.history = [
        HistoryOut(
            from_state=h.from_state,
            to_state=h.to_state,
            by=h.by,
            at=from_ms(int(h.at_ms)),
            detail=h.detail,
        )
        for h in conn.execute(
            select(requisition_history)
            .where(requisition_history.c.requisition_id == req.id)
            .order_by(requisition_history.c.id)
        )
    ]
    return out


def without_footage(conn: Connection, req: Requisition, now_ms: int) -> list[str]:
    """Empty when some item has footage; else one message per item (closing as
    no_footage is then allowed)."""
    messages: list[str] = []
    for item in req.items:
        f = item_footage(conn, item, now_ms)
        if f.has_footage:
            return []
        messages.extend(f.messages)
    return messages
