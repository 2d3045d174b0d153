"""Cameras as the API shows them: site metadata + live recorder status + legal checks.

Commune scope is applied here, in the query: a camera outside the principal's communes
is never loaded, so it can neither be listed nor told apart from a missing one (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import Connection, Select, select

from beffroi.access.principal import Principal
from beffroi.clock import from_ms
from beffroi.ingest.state import CameraState, Reason, Status
from beffroi.playback.minima import LegalMinima, below_minima, legal_minima
from beffroi.requisitions import assignments
from beffroi.site.tables import cameras, communes


class Location(BaseModel):
    lat: float = Field(description="Latitude, WGS 84 degrees")
    lon: float = Field(description="Longitude, WGS 84 degrees")


class FieldOfView(BaseModel):
    bearing: float = Field(description="Direction the camera looks, degrees from north")
    angle: float | None = Field(description="Horizontal opening, degrees; null when unknown")
    range_m: float | None = Field(description="Useful depth, metres; null when unknown")


class Authorisation(BaseModel):
    ref: str | None = Field(description="Prefectoral authorisation reference")
    expires: str | None = Field(description="Expiry date of the authorisation (ISO date)")


class CameraOut(BaseModel):
    id: str = Field(description="Stable camera identifier, e.g. jlt-001")
    name: str = Field(description="Human name of the camera")
    commune: str = Field(description="Identifier of the commune the camera belongs to")
    commune_name: str = Field(description="Name of that commune")
    district: str | None = Field(description="District (quartier)")
    location: Location | None = Field(description="Position, when known")
    field_of_view: FieldOfView | None = Field(
        description="What the camera looks at (drawn on the map); null when unknown"
    )
    view: str = Field(description="close-up | general | traffic: sets the legal minima")
    status: Status = Field(description="recording | connecting | offline | disabled")
    reason: Reason | None = Field(description="Why the camera is not recording")
    detail: str | None = Field(description="The underlying error, for the administrator")
    since: datetime | None = Field(description="When the status last changed (UTC)")
    codec: str | None = Field(description="Video codec of the stream (h264, hevc)")
    width: int | None = Field(description="Picture width in pixels, as received")
    height: int | None = Field(description="Picture height in pixels, as received")
    fps: float | None = Field(description="Measured frame rate over the last seconds")
    bitrate_bps: float | None = Field(description="Measured bitrate, bits per second")
    last_packet_at: datetime | None = Field(description="When the last packet arrived (UTC)")
    below_legal_minima: bool = Field(
        description="The measured resolution or frame rate is below the legal minimum "
        "for this view (arrêté du 3 août 2007, art. 2); false when not measured"
    )
    legal_minima: LegalMinima = Field(description="The legal minima for this view")
    retention_days: float = Field(description="Authorised retention of recordings, days")
    authorisation: Authorisation | None = Field(description="Prefectoral authorisation")


def _scoped(principal: Principal) -> Select[Any]:
    query = select(cameras, communes.c.name.label("commune_name")).join(
        communes, communes.c.id == cameras.c.commune_id
    )
    if principal.communes is not None:
        query = query.where(cameras.c.commune_id.in_(sorted(principal.communes)))
    if principal.cameras is not None:  # a patrol agent: designated cameras only
        query = query.where(cameras.c.id.in_(sorted(principal.cameras)))
    return query


def visible_camera_rows(conn: Connection, principal: Principal) -> list[Any]:
    return list(conn.execute(_scoped(principal).order_by(cameras.c.id)).all())


def visible_camera_row(conn: Connection, principal: Principal, camera_id: str) -> Any:
    """The camera's row, or 404 whether it does not exist or lies outside the scope."""
    row = conn.execute(_scoped(principal).where(cameras.c.id == camera_id)).first()
    if row is None:
        raise unknown_camera(camera_id)
    return row


def footage_camera_row(
    conn: Connection,
    principal: Principal,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    *,
    timeline: bool = False,
) -> Any:
    """`visible_camera_row`, and for an investigator, 404 unless `[start_ms, end_ms]`
    lies within a requisition assigned to him (overlaps one, for a `timeline`)."""
    row = visible_camera_row(conn, principal, camera_id)
    allowed = (assignments.may_see_timeline if timeline else assignments.may_view)(
        conn, principal, camera_id, start_ms, end_ms
    )
    if not allowed:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"no footage of {camera_id} at that time in the requisitions assigned to you",
        )
    return row


def unknown_camera(camera_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown camera {camera_id}")


def _ms(value: int | None) -> datetime | None:
    return from_ms(value) if value else None


def camera_out(r: Any, state: CameraState | None) -> CameraOut:
    """`r`: a row of `cameras` plus `commune_name`."""
    minima = legal_minima(r.view)
    st = state or CameraState(camera_id=r.id)
    status_, reason, detail, since = st.status, st.reason, st.detail, st.since_ms
    # The site file outranks the recorder: a removed or disabled camera is shown as
    # such even while the recorder is still winding its session down.
    if r.removed_ms is not None:
        status_, reason, detail, since = (Status.DISABLED, Reason.REMOVED, None, r.removed_ms)
    elif not r.enabled:
        status_, reason, detail, since = (Status.DISABLED, Reason.DISABLED, None, r.updated_ms)
    elif state is None:
        reason, since = None, 0
    if status_ == Status.RECORDING:
        reason = None
    location = None
    if r.lat is not None and r.lon is not None:
        location = Location(lat=r.lat, lon=r.lon)
    field_of_view = None
    if r.direction_deg is not None:
        field_of_view = FieldOfView(
            bearing=r.direction_deg, angle=r.fov_angle_deg, range_m=r.fov_range_m
        )
    authorisation = None
    if r.authorisation_ref or r.authorisation_expires:
        authorisation = Authorisation(
            ref=r.authorisation_ref,
            expires=r.authorisation_expires,
        )
    return CameraOut(
        id=r.id,
        name=r.name,
        commune=r.commune_id,
        commune_name=r.commune_name,
        district=r.district,
        location=location,
        field_of_view=field_of_view,
        view=r.view,
        status=status_,
        reason=reason,
        detail=detail,
        since=_ms(since),
        codec=st.codec,
        width=st.width,
        height=st.height,
        fps=st.fps,
        bitrate_bps=st.bitrate_bps,
        last_packet_at=_ms(st.last_packet_ms),
        below_legal_minima=below_minima(minima, st.width, st.height, st.fps),
        legal_minima=minima,
        retention_days=r.retention_s / 86_400,
        authorisation=authorisation,
    )
