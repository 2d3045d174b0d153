"""Links a standard player (VLC, ffplay) can open without a header: a short-lived grant
bound to the user, the camera and the window, carried in the media URLs as `?grant=`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.clock import from_ms
from beffroi.journal.http import client_address
from beffroi.playback.grants import issue_grant, revoke_grant
from beffroi.web.camera_info import visible_camera_row
from beffroi.web.deps import Ctx, require
from beffroi.web.footage import check_footage, window
from beffroi.web.routes.playback import GRANT_HELP, journal_play, window_query
from beffroi.web.timeparams import INSTANT_HELP

router = APIRouter(prefix="/api/cameras", tags=["playback"])


class PlaybackLinkIn(BaseModel):
    start: datetime = Field(description="Start of the window to play (with a time zone)")
    end: datetime = Field(description="End of the window to play (with a time zone)")


class PlaybackLink(BaseModel):
    hls: str = Field(description="HLS playlist URL carrying the link's grant (VLC, ffplay)")
    mp4: str = Field(description="Fragmented MP4 stream URL carrying the grant")
    grant: str = Field(description="The grant token: shown once, valid for this window only")
    expires_at: datetime = Field(description="When the link stops working (UTC)")


def link_camera(
    camera_id: str,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.RECORDING_READ))],
) -> tuple[Principal, Any]:
    """(the caller, the camera's row): scope is checked before the request's body or
    query, so a camera outside it answers 404 whatever was sent, like a missing one."""
    with ctx.engine.connect() as conn:
        return principal, visible_camera_row(conn, principal, camera_id)


LinkCamera = Annotated[tuple[Principal, Any], Depends(link_camera)]


@router.post("/{camera_id}/playback-links", response_model=PlaybackLink, status_code=201)
def create_link(
    camera_id: str,
    body: PlaybackLinkIn,
    request: Request,
    ctx: Ctx,
    caller: LinkCamera,
) -> PlaybackLink:
    """A link a standard player can open without a header, valid 10 minutes, for this
    camera and window only."""
    principal = caller[0]
    start_ms, end_ms = window(body.start.isoformat(), body.end.isoformat())
    journal_play(request, check_footage(ctx, principal, camera_id, start_ms, end_ms), "link")
    grant = issue_grant(
        ctx.engine, ctx.clock, principal, camera_id, start_ms, end_ms, client_address(request)
    )
    query = window_query(start_ms, end_ms, grant=grant.token)
    base = str(request.url_for("stream", camera_id=camera_id))
    return PlaybackLink(
        hls=f"{base.removesuffix('.mp4')}.m3u8?{query}",
        mp4=f"{base}?{query}",
        grant=grant.token,
        expires_at=from_ms(grant.expires_ms),
    )


@router.delete("/{camera_id}/playback-links", status_code=204)
def revoke_link(
    camera_id: str,
    ctx: Ctx,
    caller: LinkCamera,
    grant: Annotated[str, Query(description=GRANT_HELP, max_length=100)],
    start: Annotated[str, Query(description=INSTANT_HELP)],
    end: Annotated[str, Query(description=INSTANT_HELP)],
) -> Response:
    """Revoke one of your links before it expires (404 if no such live link)."""
    start_ms, end_ms = window(start, end)
    if not revoke_grant(ctx.engine, grant, camera_id, start_ms, end_ms, caller[0].user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such playback link")
    return Response(status_code=204)
