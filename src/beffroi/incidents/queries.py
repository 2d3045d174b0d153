"""Reading the incident queue, always within a set of communes.

Scope is applied in the query, as for cameras: an incident of another commune is never
loaded, so it cannot be told apart from a missing one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine, Select, select

from beffroi.clock import from_ms
from beffroi.incidents.tables import (
    incident_alarms,
    incident_cameras,
    incident_faults,
    incident_history,
    incident_media,
    incidents,
)
from beffroi.site.tables import building_zones, buildings


class IncidentOut(BaseModel):
    id: int = Field(description="Incident number")
    state: str = Field(description="new | notified | acknowledged | closed")
    kind: str = Field(description="intrusion, fire, panic, holdup, tamper, technical, ...")
    commune: str = Field(description="Commune of the building")
    building: str | None = Field(description="Building id, e.g. gymnase-jean-bigot")
    building_name: str | None = Field(description="Name of the building")
    zone: int | None = Field(description="Zone number of the first alarm")
    zone_name: str | None = Field(description="Name of that zone")
    cameras: list[str] = Field(description="Cameras that show the alarm's zones")
    opened_at: datetime = Field(description="When the first alarm arrived (UTC)")
    last_alarm_at: datetime = Field(description="When the latest grouped alarm arrived")
    alarms: int = Field(description="Number of alarms grouped in the incident")
    acknowledged_at: datetime | None = Field(description="When someone took it in charge")
    acknowledged_by: str | None = Field(description="Who acknowledged it")
    closed_at: datetime | None = Field(description="When it was closed")
    closed_by: str | None = Field(description="Who closed it")
    disposition: str | None = Field(
        description="false_alarm | technical_fault | confirmed_intrusion | other"
    )
    police_called_at: datetime | None = Field(description="Confirmed intrusion: police call")


class AlarmOut(BaseModel):
    received_at: datetime = Field(description="When the centre received it (UTC)")
    event_at: datetime | None = Field(description="The panel's own timestamp")
    account: str | None = Field(description="Panel account")
    code: str = Field(description="SIA code (BA) or Contact ID qualifier+event (1130)")
    kind: str = Field(description="What it means for the incident")
    zone: int | None = Field(description="Zone number")
    partition: int | None = Field(description="Partition (area) number")
    text: str | None = Field(description="Free text sent by the panel")


class HistoryOut(BaseModel):
    at: datetime = Field(description="When (UTC)")
    action: str = Field(description="opened | alarm | notified | acknowledged | closed")
    by: str | None = Field(description="User name, or system")
    detail: dict[str, Any] | None = Field(description="What the step carried")


class IncidentDetail(IncidentOut):
    notes: str | None = Field(description="The agent's notes at closing")
    procedure: list[str] = Field(description="Steps to follow: the building's, then the zone's")
    alarm_list: list[AlarmOut] = Field(description="The grouped alarms, oldest first")
    history: list[HistoryOut] = Field(description="Every step, oldest first")
    fault: FaultOut | None = Field(
        default=None, description="For a camera or system fault: what, and whether it cleared"
    )
    media: list[CameraMediaOut] = Field(
        default_factory=list,
        description="Per camera: the snapshot at the alarm instant, the pre/post-alarm "
        "clip and the live view; URLs only where the reader may see the images",
    )


def _ms(value: int | None) -> datetime | None:
    return from_ms(value) if value is not None else None


def _scoped(communes: frozenset[str] | None) -> Select[Any]:
    query = select(incidents, buildings.c.name.label("building_name")).outerjoin(
        buildings, buildings.c.id == incidents.c.building_id
    )
    if communes is not None:
        query = query.where(incidents.c.commune_id.in_(sorted(communes)))
    return query


def _cameras(engine: Engine, ids: Iterable[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    ids = list(ids)
    if not ids:
        return out
    with engine.connect() as conn:
        rows = conn.execute(
            select(incident_cameras)
            .where(incident_cameras.c.incident_id.in_(ids))
            .order_by(incident_cameras.c.incident_id, incident_cameras.c.position)
        )
        for r in rows:
            out.setdefault(r.incident_id, []).append(r.camera_id)
    return out


def _out(r: Any, cameras: list[str]) -> dict[str, Any]:
    return {
        "id": r.id,
        "state": r.state,
        "kind": r.kind,
        "commune": r.commune_id,
        "building": r.building_id,
        "building_name": r.building_name,
        "zone": r.zone,
        "zone_name": r.zone_name,
        "cameras": cameras,
        "opened_at": from_ms(r.opened_ms),
        "last_alarm_at": from_ms(r.last_alarm_ms),
        "alarms": r.alarm_count,
        "acknowledged_at": _ms(r.acknowledged_ms),
        "acknowledged_by": r.acknowledged_by,
        "closed_at": _ms(r.closed_ms),
        "closed_by": r.closed_by,
        "disposition": r.disposition,
        "police_called_at": _ms(r.police_called_ms),
    }


def list_incidents(
    engine: Engine,
    communes: frozenset[str] | None,
    *,
    state: str | None = None,
    kind: str | None = None,
    commune: str | None = None,
    since_ms: int | None = None,
    limit: int = 100,
) -> list[IncidentOut]:
    """Newest first; `communes` None means every commune (the administrator)."""
    query = _scoped(communes)
    if state is not None:
        query = query.where(incidents.c.state == state)
    if kind is not None:
        query = query.where(incidents.c.kind == kind)
    if commune is not None:
        query = query.where(incidents.c.commune_id == commune)
    if since_ms is not None:
        query = query.where(incidents.c.opened_ms >= since_ms)
    query = query.order_by(incidents.c.opened_ms.desc(), incidents.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    cameras = _cameras(engine, (r.id for r in rows))
    return [IncidentOut(**_out(r, cameras.get(r.id, []))) for r in rows]


def get_incident(
    engine: Engine, communes: frozenset[str] | None, incident_id: int
) -> IncidentDetail | None:
    with engine.connect() as conn:
        r = conn.execute(_scoped(communes).where(incidents.c.id == incident_id)).first()
        if r is None:
            return None
        alarms = conn.execute(
            select(incident_alarms)
            .where(incident_alarms.c.incident_id == incident_id)
            .order_by(incident_alarms.c.id)
        ).all()
        history = conn.execute(
            select(incident_history)
            .where(incident_history.c.incident_id == incident_id)
            .order_by(incident_history.c.id)
        ).all()
        procedure: list[str] = json.loads(
            conn.scalar(select(buildings.c.procedure).where(buildings.c.id == r.building_id))
            or "[]"
        )
        if r.zone is not None:
            zone_steps = conn.scalar(
                select(building_zones.c.procedure).where(
                    building_zones.c.building_id == r.building_id,
                    building_zones.c.zone == r.zone,
                )
            )
            procedure += json.loads(zone_steps or "[]")
    return IncidentDetail(
        **_out(r, _cameras(engine, [incident_id]).get(incident_id, [])),
        notes=r.notes,
        procedure=procedure,
        alarm_list=[
            AlarmOut(
                received_at=from_ms(a.received_ms),
                event_at=_ms(a.event_ms),
                account=a.account,
                code=a.code,
                kind=a.kind,
                zone=a.zone,
                partition=a.partition,
                text=a.text,
            )
            for a in alarms
        ],
        history=[
            HistoryOut(
                at=from_ms(h.at_ms),
                action=h.action,
                by=h.username,
                detail=json.loads(h.detail) if h.detail else None,
            )
            for h in history
        ],
        fault=incident_fault(engine, incident_id),
    )


# --- what an incident shows: media and fault -------------------------------------------


class GapOut(BaseModel):
    start: datetime = Field(description="Start of the interval without footage (UTC)")
    end: datetime = Field(description="End of it (UTC)")
    seconds: float = Field(description="Its length in seconds")


class SnapshotOut(BaseModel):
    state: str = Field(description="pending | ready | no_footage | failed | destroyed")
    at: datetime | None = Field(description="Capture time of the frame (≤ the alarm instant)")
    width: int | None = Field(description="Picture width in pixels")
    height: int | None = Field(description="Picture height in pixels")
    sha256: str | None = Field(description="SHA-256 of the stored JPEG")
    url: str | None = Field(
        description="The JPEG; add ?format=png for the lossless frame. Null without the "
        "right to see recorded images of this camera, or while not ready"
    )


class ClipOut(BaseModel):
    part: int = Field(description="File number: a gap in the recording splits the clip")
    state: str = Field(description="pending | ready | no_footage | failed | destroyed")
    requested_start: datetime = Field(description="Alarm instant minus the pre-alarm time")
    requested_end: datetime = Field(description="Alarm instant plus the post-alarm time")
    start: datetime | None = Field(description="Wall-clock time of media time 0 (UTC)")
    end: datetime | None = Field(description="Wall-clock time of the end of the file")
    frames: int | None = Field(description="Frames in the file")
    bytes: int | None = Field(description="File size")
    sha256: str | None = Field(description="SHA-256 of the MP4 file")
    gaps: list[GapOut] = Field(description="Intervals of the requested window without footage")
    error: str | None = Field(description="Why it failed, for the administrator")
    url: str | None = Field(
        description="The MP4 (stream copy; Range requests for seeking). Null without the "
        "right to play recordings of this camera, or while not ready"
    )


class CameraMediaOut(BaseModel):
    camera: str = Field(description="Camera id")
    snapshot: SnapshotOut | None = Field(description="The frame at the alarm instant")
    clips: list[ClipOut] = Field(description="The pre/post-alarm clip, in parts")
    live: str | None = Field(description="Live view of the camera, if you may watch it")


class FaultOut(BaseModel):
    kind: str = Field(description="camera_offline | below_minima | storage_low | ...")
    object: str = Field(description="The camera id, or archive | retention | clock")
    raised_at: datetime = Field(description="When it was (last) raised")
    resolved_at: datetime | None = Field(description="When it cleared; null while it lasts")
    occurrences: int = Field(description="How many times it was raised while open")
    message: str = Field(description="What is wrong, in words")


@dataclass(frozen=True)
class MediaRights:
    """The cameras whose snapshot, clip and live view the reader may open."""

    snapshots: frozenset[str] = frozenset()
    clips: frozenset[str] = frozenset()
    live: frozenset[str] = frozenset()


def incident_fault(engine: Engine, incident_id: int) -> FaultOut | None:
    with engine.connect() as conn:
        r = conn.execute(
            select(incident_faults).where(incident_faults.c.incident_id == incident_id)
        ).first()
    if r is None:
        return None
    return FaultOut(
        kind=r.kind,
        object=r.object,
        raised_at=from_ms(r.raised_ms),
        resolved_at=_ms(r.resolved_ms),
        occurrences=r.occurrences,
        message=r.message,
    )


def media_rows(engine: Engine, incident_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(incident_media)
                .where(incident_media.c.incident_id == incident_id)
                .order_by(incident_media.c.camera_id, incident_media.c.kind, incident_media.c.part)
            ).all()
        )


def incident_media_out(
    engine: Engine, incident_id: int, camera_ids: list[str], rights: MediaRights
) -> list[CameraMediaOut]:
    base = f"/api/incidents/{incident_id}"
    rows = media_rows(engine, incident_id)
    out = []
    for cam in camera_ids:
        snap = next((r for r in rows if r.camera_id == cam and r.kind == "snapshot"), None)
        clips = [r for r in rows if r.camera_id == cam and r.kind == "clip"]
        out.append(
            CameraMediaOut(
                camera=cam,
                snapshot=None
                if snap is None
                else SnapshotOut(
                    state=snap.state,
                    at=_ms(snap.start_ms),
                    width=snap.width,
                    height=snap.height,
                    sha256=snap.sha256,
                    url=f"{base}/snapshots/{cam}"
                    if snap.state == "ready" and cam in rights.snapshots
                    else None,
                ),
                clips=[_clip_out(base, r, cam in rights.clips) for r in clips],
                live=f"/api/cameras/{cam}/live" if cam in rights.live else None,
            )
        )
    return out


def _clip_out(base: str, r: Any, may_play: bool) -> ClipOut:
    gaps = [(s, e) for s, e in json.loads(r.gaps or "[]")]
    query = f"?part={r.part}" if r.part else ""
    return ClipOut(
        part=r.part,
        state=r.state,
        requested_start=from_ms(r.want_start_ms),
        requested_end=from_ms(r.want_end_ms),
        start=_ms(r.start_ms),
        end=_ms(r.end_ms),
        frames=r.frames,
        bytes=r.bytes,
        sha256=r.sha256,
        gaps=[GapOut(start=from_ms(s), end=from_ms(e), seconds=(e - s) / 1000) for s, e in gaps],
        error=r.error,
        url=f"{base}/clip/{r.camera_id}{query}" if r.state == "ready" and may_play else None,
    )


IncidentDetail.model_rebuild()  # its media and fault models are defined below it
