"""Cameras: metadata and live status, within the user's communes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.web.camera_info import (
    CameraOut,
    camera_out,
    visible_camera_row,
    visible_camera_rows,
)
from beffroi.web.deps import Ctx, require

router = APIRouter(prefix="/api/cameras", tags=["cameras"])

CameraList = Annotated[Principal, Depends(require(Permission.CAMERA_LIST))]


@router.get("", response_model=list[CameraOut])
def list_cameras(ctx: Ctx, principal: CameraList) -> list[CameraOut]:
    with ctx.engine.connect() as conn:
        rows = visible_camera_rows(conn, principal)
    states = ctx.recorder.camera_states()
    return [camera_out(row, states.get(row.id)) for row in rows]


@router.get("/{camera_id}", response_model=CameraOut)
def get_camera(camera_id: str, ctx: Ctx, principal: CameraList) -> CameraOut:
    with ctx.engine.connect() as conn:
        row = visible_camera_row(conn, principal, camera_id)
    return camera_out(row, ctx.recorder.camera_states().get(camera_id))
