"""Wall layouts of the console: the user's own and the centre's shared ones.

Any viewer (`camera.view_live`) reads its own layouts and the shared ones and writes its
own; writing or deleting a shared layout needs `layout.share` (supervisors). Cameras
outside the caller's scope are refused on write (422 naming the tile) and read as null.
Every write and deletion is journaled (`layout.write`, `layout.delete`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.console.layouts import (
    LayoutError,
    LayoutIn,
    LayoutOut,
    delete_layout,
    list_layouts,
    read_layout,
    write_layout,
)
from beffroi.console.tables import SHARED_OWNER
from beffroi.journal.http import journal_action
from beffroi.web.camera_info import visible_camera_rows
from beffroi.web.deps import Ctx, require

router = APIRouter(prefix="/api/layouts", tags=["console"])

Viewer = Annotated[Principal, Depends(require(Permission.CAMERA_VIEW_LIVE))]
Name = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f/]*\S[^\x00-\x1f\x7f/]*$",
        description="Name of the layout (no slash, no control character)",
    ),
]
SharedFlag = Annotated[
    bool, Query(description="The shared layout of that name rather than the caller's own")
]


def _visible(ctx: Ctx, principal: Principal) -> set[str]:
    with ctx.engine.connect() as conn:
        return {row.id for row in visible_camera_rows(conn, principal)}


def _owner(principal: Principal, shared: bool) -> int:
    if not shared:
        return principal.user_id
    if not principal.can(Permission.LAYOUT_SHARE):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"permission required: {Permission.LAYOUT_SHARE}"
        )
    return SHARED_OWNER


@router.get("", response_model=list[LayoutOut])
def layouts_list(ctx: Ctx, principal: Viewer) -> list[LayoutOut]:
    """The caller's layouts, then the shared ones."""
    visible = _visible(ctx, principal)
    with ctx.engine.connect() as conn:
        return list_layouts(conn, principal.user_id, visible)


@router.put("/{name}", response_model=LayoutOut)
def layout_write(
    name: Name,
    body: LayoutIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    principal: Viewer,
) -> LayoutOut:
    """Create or replace a layout (201 when created)."""
    if principal.user_id == SHARED_OWNER:  # an API token is no user: no layouts of its own
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="layouts belong to users")
    owner = _owner(principal, body.shared)
    visible = _visible(ctx, principal)
    with ctx.engine.begin() as conn:
        try:
            created = write_layout(
                conn, owner, name, body, visible, principal.username, ctx.clock.now()
            )
        except LayoutError as exc:
            loc = ["body", *(int(p) if p.isdigit() else p for p in exc.field.split("."))]
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[{"loc": loc, "msg": str(exc), "type": "value_error"}],
            ) from None
        out = read_layout(conn, owner, name, visible)
    assert out is not None
    journal_action(
        request,
        principal,
        "layout.write",
        detail={
            "name": name,
            "shared": body.shared,
            "grid": body.grid,
            "cameras": out.cameras,
            "created": created,
        },
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return out


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def layout_delete(
    name: Name, request: Request, ctx: Ctx, principal: Viewer, shared: SharedFlag = False
) -> Response:
    """Delete one's own layout, or a shared one (`?shared=true`, needs layout.share)."""
    owner = _owner(principal, shared)
    with ctx.engine.begin() as conn:
        found = delete_layout(conn, owner, name)
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown layout {name}")
    journal_action(request, principal, "layout.delete", detail={"name": name, "shared": shared})
    return Response(status_code=status.HTTP_204_NO_CONTENT)
