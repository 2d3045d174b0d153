"""The cameras as stored: what the recorder and the API work from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from beffroi.site.models import legal_minima
from beffroi.site.tables import cameras


@dataclass(frozen=True)
class CameraRow:
    """A camera as stored: what the recorder and the API work from."""

    id: str
    name: str
    commune_id: str
    district: str | None
    lat: float | None
    lon: float | None
    direction: float | None
    fov_angle: float | None
    fov_range_m: float | None
    stream_url: str
    transport: str  # tcp | udp
    reader: str  # ffmpeg | native
    username: str | None
    password_env: str | None
    retention_s: int
    view: str
    authorisation_ref: str | None
    authorisation_expires: date | None
    enabled: bool
    removed_ms: int | None
    updated_ms: int

    @property
    def retention(self) -> timedelta:
        return timedelta(seconds=self.retention_s)

    @property
    def legal_minima(self) -> tuple[int, int, int]:
        """(width, height, fps) this camera must reach by law."""
        return legal_minima(self.view)

    @property
    def removed(self) -> bool:
        return self.removed_ms is not None


def _row(r: Any) -> CameraRow:
    return CameraRow(
        id=r.id,
        name=r.name,
        commune_id=r.commune_id,
        district=r.district,
        lat=r.lat,
        lon=r.lon,
        direction=r.direction_deg,
        fov_angle=r.fov_angle_deg,
        fov_range_m=r.fov_range_m,
        stream_url=r.stream_url,
        transport=r.transport,
        reader=r.reader,
        username=r.username,
        password_env=r.password_env,
        retention_s=r.retention_s,
        view=r.view,
        authorisation_ref=r.authorisation_ref,
        authorisation_expires=(
            date.fromisoformat(r.authorisation_expires) if r.authorisation_expires else None
        ),
        enabled=bool(r.enabled),
        removed_ms=r.removed_ms,
        updated_ms=r.updated_ms,
    )


def list_cameras(
    engine: Engine, *, include_removed: bool = False, only_enabled: bool = False
) -> list[CameraRow]:
    """Stored cameras by id; removed ones only on request (their footage may remain)."""
    query = select(cameras).order_by(cameras.c.id)
    if not include_removed:
        query = query.where(cameras.c.removed_ms.is_(None))
    if only_enabled:
        query = query.where(cameras.c.enabled.is_(True))
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def active_cameras(engine: Engine) -> list[CameraRow]:
    """The cameras of the current site file, by id, disabled ones included (`enabled`)."""
    return list_cameras(engine)


def get_camera(engine: Engine, camera_id: str) -> CameraRow | None:
    """One stored camera, removed or not."""
    with engine.connect() as conn:
        row = conn.execute(select(cameras).where(cameras.c.id == camera_id)).first()
    return _row(row) if row is not None else None
