"""Legal holds placed by hand (a supervisor protecting footage before the paperwork
arrives), the list of holds, and their release with a reason.

Holds are never deleted: releasing one records who, when and why, and its footage then
ages out at the next retention round unless another hold still covers it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from sqlalchemy import Connection, select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.archive.holds import (
    DAY_MS,
    HoldError,
    HoldNotFound,
    place_hold_in,
    release_hold_in,
    renew_hold_in,
)
from beffroi.archive.tables import holds
from beffroi.clock import utc_ms
from beffroi.journal.http import journal_action, register_change
from beffroi.requisitions.query import hold_out
from beffroi.requisitions.schemas import HoldIn, HoldOut, ReleaseIn, RenewIn
from beffroi.site.tables import cameras
from beffroi.web.camera_info import visible_camera_row
from beffroi.web.deps import Ctx, require
from beffroi.web.timeparams import unprocessable

router = APIRouter(prefix="/api/holds", tags=["holds"])

HoldId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Hold id")]
HoldManager = Annotated[Principal, Depends(require(Permission.HOLD_MANAGE))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HoldOut)
def place(body: HoldIn, request: Request, ctx: Ctx, principal: HoldManager) -> HoldOut:
    """Hold a camera's footage over a range, with the reason."""
    now_ms = utc_ms(ctx.clock.now())
    start_ms, end_ms = utc_ms(body.start), utc_ms(body.end)
    with register_change(request, principal) as change:
        row = visible_camera_row(change.conn, principal, body.camera)
        try:
            hold_id = place_hold_in(
                change.conn, body.camera, start_ms, end_ms, body.reason, principal.username,
                now_ms, expires_ms=now_ms + body.days * DAY_MS,
            )  # fmt: skip
        except HoldError as e:
            raise unprocessable(str(e)) from None
        placed = change.conn.execute(select(holds).where(holds.c.id == hold_id)).one()
        change.journal(
            "hold.place",
            camera=body.camera,
            commune=row.commune_id,
            start_ms=start_ms,
            end_ms=end_ms,
            detail={"hold": hold_id, "reason": body.reason, "days": body.days},
        )
    return hold_out(placed)


def _missing(hold_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no hold #{hold_id}")


def _visible_hold(conn: Connection, principal: Principal, hold_id: int) -> tuple[Any, Any]:
    """(the hold, its camera's row); 404 alike for a missing hold and one on a camera
    outside the principal's communes."""
    found = conn.execute(select(holds).where(holds.c.id == hold_id)).first()
    if found is None:
        raise _missing(hold_id)
    try:
        return found, visible_camera_row(conn, principal, found.camera_id)
    except HTTPException:
        raise _missing(hold_id) from None


@router.post("/{hold_id}/renew", response_model=HoldOut)
def renew(
    hold_id: HoldId, body: RenewIn, request: Request, ctx: Ctx, principal: HoldManager
) -> HoldOut:
    """Keep a hold placed by hand `days` more from now (at most 30), with the reason."""
    with register_change(request, principal) as change:
        found, row = _visible_hold(change.conn, principal, hold_id)
        try:
            expires = renew_hold_in(change.conn, hold_id, body.days, utc_ms(ctx.clock.now()))
        except HoldError as e:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from None
        change.journal(
            "hold.renew",
            camera=found.camera_id,
            commune=row.commune_id,
            start_ms=int(found.start_ms),
            end_ms=int(found.end_ms),
            detail={"hold": hold_id, "reason": body.reason, "until_ms": expires},
        )
        renewed = change.conn.execute(select(holds).where(holds.c.id == hold_id)).one()
    return hold_out(renewed)


@router.get("", response_model=list[HoldOut])
def list_holds(
    request: Request,
    ctx: Ctx,
    principal: HoldManager,
    active: Annotated[
        bool | None, Query(description="true: in force only; false: released only")
    ] = None,
    camera: Annotated[str | None, Query(max_length=64, description="One camera")] = None,
) -> list[HoldOut]:
    """Holds on the cameras of the user's communes, in force and released."""
    query = select(holds).join(cameras, cameras.c.id == holds.c.camera_id)
    if principal.communes is not None:
        query = query.where(cameras.c.commune_id.in_(sorted(principal.communes)))
    if active is not None:
        query = query.where(
            holds.c.released_ms.is_(None) if active else holds.c.released_ms.is_not(None)
        )
    if camera is not None:
        query = query.where(holds.c.camera_id == camera)
    with ctx.engine.connect() as conn:
        rows = conn.execute(query.order_by(holds.c.id)).all()
    detail: dict[str, object] = {"count": len(rows)}
    if active is not None:
        detail["active"] = active
    journal_action(request, principal, "hold.read", camera=camera, detail=detail)
    return [hold_out(r) for r in rows]


@router.post("/{hold_id}/release", response_model=HoldOut)
def release(
    hold_id: HoldId, body: ReleaseIn, request: Request, ctx: Ctx, principal: HoldManager
) -> HoldOut:
    """Release a hold in force, with the reason (e.g. the prosecutor's decision). Other
    holds on the same footage stay in force."""

    with register_change(request, principal) as change:
        found, row = _visible_hold(change.conn, principal, hold_id)
        try:
            release_hold_in(
                change.conn, hold_id, principal.username, body.reason, utc_ms(ctx.clock.now())
            )
        except HoldNotFound:
            raise _missing(hold_id) from None
        except HoldError as e:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=str(e)) from None
        released = change.conn.execute(select(holds).where(holds.c.id == hold_id)).one()
        change.journal(
            "hold.release",
            camera=found.camera_id,
            commune=row.commune_id,
            start_ms=int(found.start_ms),
            end_ms=int(found.end_ms),
            detail={
                "hold": hold_id,
                "reason": body.reason,
                "requisition": found.requisition_id,
            },
        )
    return hold_out(released)
