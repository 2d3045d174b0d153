"""Incidents: the queue of alarms to verify, within the user's communes.

An incident of another commune answers 404 exactly like a missing one. Acknowledging
and closing are journaled with their author; an illegal step (closing what nobody
acknowledged, acknowledging twice) is a 409 that says the current state.

What an incident shows (its snapshot, clip and live links) follows the camera rules:
a URL is given only to a reader who may see that camera's images (an auditor reads the
incident, never its images), each image served is journaled, and a camera outside the
reader's scope answers 404 like a missing one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import FileResponse
from pydantic import AwareDatetime, BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import Connection, select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.clock import from_ms, utc_ms
from beffroi.incidents.footage import Footage
from beffroi.incidents.media import INCIDENTS_DIR, READY
from beffroi.incidents.queries import (
    IncidentDetail,
    IncidentOut,
    MediaRights,
    get_incident,
    incident_media_out,
    list_incidents,
)
from beffroi.incidents.service import Actor, IncidentService, UnknownIncidentError
from beffroi.incidents.states import Disposition, IllegalTransitionError, State
from beffroi.incidents.stills import frame_png
from beffroi.incidents.tables import incident_media
from beffroi.journal.http import journal_action, register_change
from beffroi.paths import inside
from beffroi.site.tables import cameras
from beffroi.web.camera_info import unknown_camera, visible_camera_row
from beffroi.web.deps import Ctx, require
from beffroi.web.routes.recordings import ImageFormat

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/incidents", tags=["incidents"])

Reader = Annotated[Principal, Depends(require(Permission.INCIDENT_READ))]
Manager = Annotated[Principal, Depends(require(Permission.INCIDENT_MANAGE))]
SnapshotReader = Annotated[Principal, Depends(require(Permission.SNAPSHOT_READ))]
RecordingReader = Annotated[Principal, Depends(require(Permission.RECORDING_READ))]
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Incident number")]
SLUG = r"^[a-z0-9][a-z0-9-]*$"
CameraId = Annotated[
    str, Path(max_length=64, pattern=SLUG, description="A camera of the incident, e.g. jlt-004")
]


class CloseIn(BaseModel):
    disposition: Disposition = Field(
        description="false_alarm | technical_fault | confirmed_intrusion | other"
    )
    police_called_at: AwareDatetime | None = Field(
        default=None,
        validate_default=True,
        description="When the police were called: required for confirmed_intrusion only",
    )
    notes: str | None = Field(default=None, max_length=4000, description="The agent's notes")

    @field_validator("police_called_at")
    @classmethod
    def _police_with_intrusion(cls, value: object, info: ValidationInfo) -> object:
        confirmed = info.data.get("disposition") == Disposition.CONFIRMED_INTRUSION
        if confirmed and value is None:
            raise ValueError("a confirmed intrusion needs the time the police were called")
        if value is not None and not confirmed:
            raise ValueError("only a confirmed intrusion has a police call time")
        return value


@router.get("", response_model=list[IncidentOut])
def incidents_list(
    ctx: Ctx,
    principal: Reader,
    state: Annotated[State | None, Query(description="Only incidents in this state")] = None,
    kind: Annotated[
        str | None, Query(max_length=32, pattern=r"^[a-z_]+$", description="e.g. intrusion")
    ] = None,
    commune: Annotated[
        str | None, Query(max_length=64, pattern=SLUG, description="One of your communes")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Opened at or after this time")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 100,
) -> list[IncidentOut]:
    return list_incidents(
        ctx.engine,
        principal.communes,
        state=state.value if state is not None else None,
        kind=kind,
        commune=commune,
        since_ms=utc_ms(since) if since is not None else None,
        limit=limit,
    )


def _unknown(incident_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown incident {incident_id}")


def _visible(ctx: Ctx, principal: Principal, incident_id: int) -> IncidentDetail:
    found = get_incident(ctx.engine, principal.communes, incident_id)
    if found is None:
        raise _unknown(incident_id)
    return found


def _shown(ctx: Ctx, principal: Principal, incident_id: int) -> IncidentDetail:
    """The incident with its media, URLs only for the images the reader may see."""
    found = _visible(ctx, principal, incident_id)
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(cameras.c.id, cameras.c.commune_id).where(cameras.c.id.in_(found.cameras))
        ).all()
    visible = frozenset(r.id for r in rows if principal.sees_camera(r.id, r.commune_id))

    def allowed(permission: Permission) -> frozenset[str]:
        return visible if principal.can(permission) else frozenset()

    rights = MediaRights(
        snapshots=allowed(Permission.SNAPSHOT_READ),
        clips=allowed(Permission.RECORDING_READ),
        live=allowed(Permission.CAMERA_VIEW_LIVE),
    )
    found.media = incident_media_out(ctx.engine, incident_id, found.cameras, rights)
    return found


@router.get("/{incident_id}", response_model=IncidentDetail)
def incident_detail(incident_id: IncidentId, ctx: Ctx, principal: Reader) -> IncidentDetail:
    return _shown(ctx, principal, incident_id)


def _media_row(
    ctx: Ctx, principal: Principal, incident_id: int, camera_id: str, kind: str, part: int = 0
) -> tuple[Any, Any]:
    """(the camera's row, the ready media row); 404 for an incident the reader may not
    read, a camera outside the incident or the reader's scope, or media not made."""
    if not principal.can(Permission.INCIDENT_READ):  # an investigator: footage, not incidents
        raise _unknown(incident_id)
    found = _visible(ctx, principal, incident_id)
    if camera_id not in found.cameras:
        raise unknown_camera(camera_id)
    with ctx.engine.connect() as conn:
        camera = visible_camera_row(conn, principal, camera_id)
        row = conn.execute(
            select(incident_media).where(
                incident_media.c.incident_id == incident_id,
                incident_media.c.camera_id == camera_id,
                incident_media.c.kind == kind,
                incident_media.c.part == part,
            )
        ).first()
    if row is None or row.state != READY or not row.path:
        state = row.state if row is not None else "none"
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"no {kind} of {camera_id} for incident {incident_id} ({state})",
        )
    return camera, row


def _gone(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{what} is no longer available")


@router.get(
    "/{incident_id}/snapshots/{camera_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The frame"}},
)
def incident_snapshot(
    incident_id: IncidentId,
    camera_id: CameraId,
    request: Request,
    ctx: Ctx,
    principal: SnapshotReader,
    format: Annotated[
        ImageFormat, Query(description="jpeg (stored) or png (lossless, decoded on demand)")
    ] = ImageFormat.jpeg,
) -> Response:
    """The camera's frame at the alarm instant. `X-Frame-Time` is the frame's capture
    time; the PNG is decoded again from the archive (or the incident's clip)."""
    camera, row = _media_row(ctx, principal, incident_id, camera_id, "snapshot")
    if format is ImageFormat.png:
        footage = Footage(ctx.engine, ctx.archive_root, ctx.data_dir, ctx.recorder)
        content = frame_png(footage, row)
        if content is None:
            raise _gone("the lossless frame")
    else:
        path = inside(ctx.data_dir, row.path, INCIDENTS_DIR)
        try:
            if path is None:
                raise FileNotFoundError(row.path)
            content = path.read_bytes()
        except FileNotFoundError:
            raise _gone("the snapshot") from None
        if hashlib.sha256(content).hexdigest() != row.sha256:
            log.error("incident %s: snapshot %s altered: %s", incident_id, camera_id, row.path)
            raise HTTPException(
                status.HTTP_409_CONFLICT, detail="the stored snapshot no longer matches its SHA-256"
            )
    journal_action(
        request,
        principal,
        "snapshot.read",
        camera=camera_id,
        commune=camera.commune_id,
        start_ms=row.start_ms,
        end_ms=row.start_ms,
        detail={"incident": incident_id, "format": format.value},
    )
    return Response(
        content=content,
        media_type=f"image/{format.value}",
        headers={
            "X-Frame-Time": from_ms(row.start_ms).isoformat(),
            "X-Frame-Size": f"{row.width}x{row.height}",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/{incident_id}/clip/{camera_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "The clip (stream copy)"},
        206: {"content": {"video/mp4": {}}, "description": "The byte range asked"},
    },
)
def incident_clip(
    incident_id: IncidentId,
    camera_id: CameraId,
    request: Request,
    ctx: Ctx,
    principal: RecordingReader,
    part: Annotated[int, Query(ge=0, le=999, description="File number of the clip")] = 0,
) -> FileResponse:
    """The pre/post-alarm clip: media time 0 is `X-Start-Time`. Range requests are
    answered (206), so a browser's player seeks; each request is journaled."""
    camera, row = _media_row(ctx, principal, incident_id, camera_id, "clip", part)
    path = inside(ctx.data_dir, row.path, INCIDENTS_DIR)
    if path is None or not path.is_file():
        raise _gone("the clip")
    journal_action(
        request,
        principal,
        "recording.play",
        camera=camera_id,
        commune=camera.commune_id,
        start_ms=row.start_ms,
        end_ms=row.end_ms,
        detail={
            "incident": incident_id,
            "format": "incident-clip",
            "part": part,
            "range": request.headers.get("range", "")[:100] or None,
        },
    )
    return FileResponse(
        path,
        media_type="video/mp4",
        headers={
            "X-Start-Time": from_ms(row.start_ms).isoformat(),
            "Cache-Control": "private, no-store",
        },
    )


def _step(
    request: Request,
    ctx: Ctx,
    principal: Principal,
    incident_id: int,
    action: str,
    move: Callable[[IncidentService, Actor, Connection], None],
    detail: dict[str, Any],
) -> IncidentDetail:
    """Scope first (404), then the guarded transition (409) and its journal entry, in
    one transaction: an incident's state never changes without its trace."""
    found = _visible(ctx, principal, incident_id)
    actor = Actor(principal.user_id, principal.username)
    try:
        with register_change(request, principal) as change:
            move(IncidentService(ctx.engine, ctx.clock), actor, change.conn)
            change.journal(
                action, commune=found.commune, detail={"incident": incident_id, **detail}
            )
    except IllegalTransitionError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except UnknownIncidentError:
        raise _unknown(incident_id) from None
    return _shown(ctx, principal, incident_id)


@router.post("/{incident_id}/acknowledge", response_model=IncidentDetail)
def incident_acknowledge(
    incident_id: IncidentId, request: Request, ctx: Ctx, principal: Manager
) -> IncidentDetail:
    return _step(
        request,
        ctx,
        principal,
        incident_id,
        "incident.acknowledge",
        lambda service, actor, conn: service.acknowledge(incident_id, actor, conn),
        {},
    )


@router.post("/{incident_id}/close", response_model=IncidentDetail)
def incident_close(
    incident_id: IncidentId, body: CloseIn, request: Request, ctx: Ctx, principal: Manager
) -> IncidentDetail:
    return _step(
        request,
        ctx,
        principal,
        incident_id,
        "incident.close",
        lambda service, actor, conn: service.close(
            incident_id,
            actor,
            body.disposition,
            notes=body.notes,
            police_called_at=body.police_called_at,
            conn=conn,
        ),
        {"disposition": body.disposition.value},
    )
