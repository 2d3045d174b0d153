"""Storage: the archive's report (free space, retention horizon), as the archive makes it,
limited to the cameras of the reader's communes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.archive.storage import for_cameras
from beffroi.site.tables import cameras
from beffroi.web.deps import Ctx, require

router = APIRouter(tags=["storage"])


@router.get("/api/storage", response_model=None)
def storage(
    ctx: Ctx, principal: Annotated[Principal, Depends(require(Permission.STORAGE_READ))]
) -> dict[str, Any]:
    if ctx.storage_report is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "storage report not available")
    report = ctx.storage_report()
    if principal.communes is not None:
        with ctx.engine.connect() as conn:
            commune_of = dict(conn.execute(select(cameras.c.id, cameras.c.commune_id)).all())
        # Footage of a camera no longer in the table belongs to no commune one can name.
        report = for_cameras(
            report, lambda cid: cid in commune_of and principal.sees_commune(commune_of[cid])
        )
    return report.model_dump(mode="json")
