"""The judicial requisitions register: record, read, list (JSON, CSV, print), close.

Recording a requisition holds its ranges in the same transaction. Writes commit first,
then are journaled; if the journal cannot be written the request fails (500), so an
unjournaled change is never reported as done.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, Response, status
from sqlalchemy import Connection, select

from beffroi.access.permissions import Permission, Role
from beffroi.access.principal import Principal
from beffroi.archive.tables import holds
from beffroi.clock import from_ms, utc_ms
from beffroi.journal.http import RegisterChange, journal_action, register_change
from beffroi.requisitions.items import add_items
from beffroi.requisitions.query import (
    list_requisitions,
    requisition_detail,
    requisition_out,
    user_ids_by_name,
    usernames,
    without_footage,
)
from beffroi.requisitions.register import (
    Authority,
    IllegalTransition,
    NewRequisition,
    Requisition,
    RequisitionClosed,
    RequisitionItem,
    RequisitionNotFound,
    TooManyItems,
    record_requisition,
    transition,
    visible_requisition,
)
from beffroi.requisitions.report import register_csv, register_html
from beffroi.requisitions.schemas import (
    DeliverIn,
    ItemIn,
    ItemsIn,
    NoFootageIn,
    RefuseIn,
    RequisitionIn,
    RequisitionOut,
)
from beffroi.requisitions.states import DELIVERED, NO_FOOTAGE, REFUSED
from beffroi.web.camera_info import unknown_camera, visible_camera_row
from beffroi.web.deps import Ctx, require
from beffroi.web.timeparams import unprocessable

router = APIRouter(prefix="/api/requisitions", tags=["requisitions"])

# A requisition typed in at the desk may carry the minute on the paper, a little ahead
# of the server's clock; more than this is a typing error.
FUTURE_TOLERANCE_MS = 120_000

# Ids are 32-bit on both backends: a larger one is a 422, not a database overflow.
RequisitionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Requisition id")]
Manager = Annotated[Principal, Depends(require(Permission.REQUISITION_MANAGE))]
Reader = Annotated[Principal, Depends(require(Permission.REQUISITION_READ))]


def _not_found(requisition_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no requisition #{requisition_id}")


def _visible(conn: Connection, principal: Principal, requisition_id: int) -> Requisition:
    try:
        return visible_requisition(conn, principal, requisition_id)
    except RequisitionNotFound:
        raise _not_found(requisition_id) from None


def _assignees(conn: Connection, names: list[str]) -> tuple[int, ...]:
    found = user_ids_by_name(conn, names)
    for name in names:
        if name not in found:
            raise unprocessable(f"assigned_to: unknown user {name!r}")
        if found[name][1] != Role.INVESTIGATOR.value:
            raise unprocessable(f"assigned_to: {name!r} is not an investigator")
    return tuple(found[n][0] for n in names)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RequisitionOut)
def create_requisition(
    body: RequisitionIn, request: Request, ctx: Ctx, principal: Manager
) -> RequisitionOut:
    """Record a requisition and hold every requested range at once."""
    now_ms = utc_ms(ctx.clock.now())
    received_ms = utc_ms(body.received_at)
    if received_ms > now_ms + FUTURE_TOLERANCE_MS:
        raise unprocessable("received_at: in the future; give the date it was received")
    with ctx.engine.connect() as conn:
        communes = {
            i.camera: visible_camera_row(conn, principal, i.camera).commune_id for i in body.items
        }
        assigned = _assignees(conn, body.assigned_to)
    a = body.authority
    new = NewRequisition(
        authority=Authority(name=a.name, rank=a.rank, service=a.service, unit=a.unit),
        legal_basis=body.legal_basis,
        legal_basis_other=body.legal_basis_other,
        procedure=body.procedure,
        received_ms=received_ms,
        items=_items(body.items),
        notes=body.notes,
        assigned_to=assigned,
    )
    with register_change(request, principal) as change:
        try:
            req = record_requisition(change.conn, new, principal.username, now_ms)
        except LookupError:
            raise unknown_camera(body.items[0].camera) from None
        placed = change.conn.execute(
            select(holds).where(holds.c.requisition_id == req.id).order_by(holds.c.id)
        ).all()
        names = usernames(change.conn, req.assigned_to)
        change.journal(
            "requisition.create",
            start_ms=min(i.start_ms for i in req.items),
            end_ms=max(i.end_ms for i in req.items),
            detail={
                "requisition": req.number,
                "procedure": req.procedure,
                "legal_basis": req.legal_basis,
                "cameras": sorted(communes),
                "assigned_to": sorted(names.values()),
            },
        )
        _journal_holds(change, placed, communes, req.number)
    return requisition_out(req, names)


def _journal_holds(
    change: RegisterChange, placed: Iterable[Any], communes: dict[str, str], number: str
) -> None:
    for h in placed:
        change.journal(
            "hold.place",
            camera=h.camera_id,
            commune=communes[h.camera_id],
            start_ms=int(h.start_ms),
            end_ms=int(h.end_ms),
            detail={"hold": int(h.id), "requisition": number},
        )


def _items(body_items: list[ItemIn]) -> tuple[RequisitionItem, ...]:
    return tuple(RequisitionItem(i.camera, utc_ms(i.start), utc_ms(i.end)) for i in body_items)


@router.post("/{requisition_id}/items", response_model=RequisitionOut)
def add_requisition_items(
    requisition_id: RequisitionId, body: ItemsIn, request: Request, ctx: Ctx, principal: Manager
) -> RequisitionOut:
    """Add cameras and ranges to an open requisition (received or extracting), holding
    them in the same transaction. 409 when it is closed; a later export includes them."""
    now_ms = utc_ms(ctx.clock.now())
    items = _items(body.items)
    with register_change(request, principal) as change:
        req = _visible(change.conn, principal, requisition_id)
        communes = {
            i.camera: visible_camera_row(change.conn, principal, i.camera).commune_id
            for i in body.items
        }
        try:
            after, hold_ids = add_items(
                change.conn, requisition_id, items, principal.username, now_ms
            )
        except RequisitionClosed as e:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from None
        except TooManyItems as e:
            raise unprocessable(str(e)) from None
        except RequisitionNotFound:
            raise _not_found(requisition_id) from None
        except LookupError:
            raise unknown_camera(body.items[0].camera) from None
        placed = change.conn.execute(
            select(holds).where(holds.c.id.in_(hold_ids)).order_by(holds.c.id)
        ).all()
        names = usernames(change.conn, after.assigned_to)
        added = [
            {
                "camera": i.camera_id,
                "start": from_ms(i.start_ms).isoformat(),
                "end": from_ms(i.end_ms).isoformat(),
            }
            for i in items
        ]
        change.journal(
            "requisition.update",
            start_ms=min(i.start_ms for i in items),
            end_ms=max(i.end_ms for i in items),
            detail={"requisition": req.number, "added_items": added},
        )
        _journal_holds(change, placed, communes, req.number)
    return requisition_out(after, names)


@router.get(
    "",
    response_model=list[RequisitionOut],
    responses={200: {"content": {"text/csv": {}, "text/html": {}}}},
)
def list_register(
    request: Request,
    ctx: Ctx,
    principal: Reader,
    state: Annotated[
        Literal["received", "extracting", "delivered", "no_footage", "refused"] | None,
        Query(description="Only requisitions in this state"),
    ] = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2099, description="Register year (of the number)")
    ] = None,
    procedure: Annotated[
        str | None, Query(max_length=100, description="Only this procedure number")
    ] = None,
    format: Annotated[
        Literal["json", "csv", "html"], Query(description="json, csv, or html (printable)")
    ] = "json",
) -> Any:
    """The register: investigators see the requisitions assigned to them, the others
    those whose cameras all lie in their communes."""
    with ctx.engine.connect() as conn:
        reqs = list_requisitions(conn, principal, state=state, year=year, procedure=procedure)
        names = usernames(conn, (u for r in reqs for u in r.assigned_to))
    filters = {"state": state, "year": year, "procedure": procedure, "format": format}
    journal_action(
        request,
        principal,
        "requisition.read" if format == "json" else "requisition.export",
        detail={k: v for k, v in filters.items() if v is not None} | {"count": len(reqs)},
    )
    if format == "json":
        return [requisition_out(r, names) for r in reqs]
    now = ctx.clock.now()
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    disposition = {
        "Content-Disposition": f'attachment; filename="registre-requisitions-{stamp}.csv"'
    }
    if format == "csv":
        return Response(
            register_csv(reqs), media_type="text/csv; charset=utf-8", headers=disposition
        )
    described = ", ".join(
        f"{k} : {v}" for k, v in filters.items() if v is not None and k != "format"
    )
    return Response(
        register_html(reqs, now, principal.username, described),
        media_type="text/html; charset=utf-8",
    )


@router.get("/{requisition_id}", response_model=RequisitionOut)
def get_requisition(
    requisition_id: RequisitionId, request: Request, ctx: Ctx, principal: Reader
) -> RequisitionOut:
    """One requisition with, per item, the footage the archive holds (seconds, gaps,
    destructions), its holds and its history."""
    with ctx.engine.connect() as conn:
        req = _visible(conn, principal, requisition_id)
        out = requisition_detail(conn, req, utc_ms(ctx.clock.now()))
    journal_action(request, principal, "requisition.read", detail={"requisition": req.number})
    return out


def _close(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    requisition_id: int,
    to_state: str,
    values: dict[str, object],
    detail: dict[str, object],
) -> RequisitionOut:
    now_ms = utc_ms(ctx.clock.now())
    with register_change(request, principal) as change:
        req = _visible(change.conn, principal, requisition_id)
        if to_state == NO_FOOTAGE and req.state in ("received", "extracting"):
            messages = without_footage(change.conn, req, now_ms)
            if not messages:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    detail="footage exists in the requested ranges: export and deliver it, "
                    "or refuse the requisition",
                )
            detail = detail | {"messages": messages}
        try:
            after = transition(
                change.conn,
                requisition_id,
                to_state,
                principal.username,
                now_ms,
                values | {"closed_ms": now_ms},
                detail,
            )
        except IllegalTransition as e:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from None
        names = usernames(change.conn, after.assigned_to)
        change.journal(
            "requisition.update",
            detail={"requisition": req.number, "from": req.state, "to": to_state} | detail,
        )
    return requisition_out(after, names)


@router.post("/{requisition_id}/deliver", response_model=RequisitionOut)
def deliver(
    requisition_id: RequisitionId, body: DeliverIn, request: Request, ctx: Ctx, principal: Manager
) -> RequisitionOut:
    """extracting -> delivered: who received the package, when, on which medium, and
    who signed the handover. The holds stay in force."""
    now_ms = utc_ms(ctx.clock.now())
    at_ms = now_ms if body.delivered_at is None else utc_ms(body.delivered_at)
    if at_ms > now_ms + FUTURE_TOLERANCE_MS:
        raise unprocessable("delivered_at: in the future")
    facts: dict[str, object] = {
        "delivered_to": body.delivered_to,
        "delivered_at": from_ms(at_ms).isoformat(),
        "medium": body.medium,
        "signature": body.signature,
    }
    values: dict[str, object] = {
        "delivered_to": body.delivered_to,
        "delivered_ms": at_ms,
        "delivery_medium": body.medium,
        "handover_signature": body.signature,
    }
    return _close(request, ctx, principal, requisition_id, DELIVERED, values, facts)


@router.post("/{requisition_id}/no-footage", response_model=RequisitionOut)
def close_no_footage(
    requisition_id: RequisitionId,
    request: Request,
    ctx: Ctx,
    principal: Manager,
    body: Annotated[NoFootageIn | None, Body()] = None,
) -> RequisitionOut:
    """Close as *no footage*: allowed only when the index holds nothing in any range
    (409 otherwise). The holds stay in force."""
    note = body.note if body is not None else None
    facts: dict[str, object] = {"note": note} if note else {}
    return _close(
        request, ctx, principal, requisition_id, NO_FOOTAGE, {"close_reason": note}, facts
    )


@router.post("/{requisition_id}/refuse", response_model=RequisitionOut)
def refuse(
    requisition_id: RequisitionId, body: RefuseIn, request: Request, ctx: Ctx, principal: Manager
) -> RequisitionOut:
    """Close as refused, with the reason. The holds stay in force."""
    return _close(
        request,
        ctx,
        principal,
        requisition_id,
        REFUSED,
        {"close_reason": body.reason},
        {"reason": body.reason},
    )
