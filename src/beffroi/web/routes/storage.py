"""Storage: the archive's report (free space, retention horizon), as the archive makes it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.web.deps import Ctx, require

router = APIRouter(tags=["storage"])


@router.get("/api/storage", response_model=None)
def storage(
    ctx: Ctx, _: Annotated[Principal, Depends(require(Permission.STORAGE_READ))]
) -> dict[str, Any]:
    if ctx.storage_report is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "storage report not available")
    return ctx.storage_report().model_dump(mode="json")
