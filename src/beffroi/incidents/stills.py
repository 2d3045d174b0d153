"""What readers take of an incident's media: the snapshot a notification carries, and
the lossless frame the snapshot route serves. `media` makes them; this only reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from beffroi.incidents.footage import Footage, frame_near
from beffroi.incidents.media import CLIP, INCIDENTS_DIR, READY, SNAPSHOT
from beffroi.incidents.tables import incident_cameras, incident_media
from beffroi.paths import inside
from beffroi.playback.snapshot import NoFrameError, encode_png, locate_frame_at


def snapshot_jpeg(engine: Engine, data_dir: Path, incident_id: int) -> bytes | None:
    """The incident's first ready snapshot (a `oncall.notify.SnapshotSource`, bound to
    its engine and data directory); None while none is ready."""
    with engine.connect() as conn:
        path = conn.scalar(
            select(incident_media.c.path)
            .join(
                incident_cameras,
                (incident_cameras.c.incident_id == incident_media.c.incident_id)
                & (incident_cameras.c.camera_id == incident_media.c.camera_id),
            )
            .where(
                incident_media.c.incident_id == incident_id,
                incident_media.c.kind == SNAPSHOT,
                incident_media.c.state == READY,
            )
            .order_by(incident_cameras.c.position)
            .limit(1)
        )
    confined = inside(data_dir, path, INCIDENTS_DIR)
    try:
        return confined.read_bytes() if confined is not None else None
    except FileNotFoundError:
        return None


def frame_png(media: Footage, row: Any) -> bytes | None:
    """The snapshot's frame, lossless: decoded again from the archive, or from the
    incident's clip once the archive has let it go; None when neither holds it."""
    try:
        found = frame_near(media, row.camera_id, row.start_ms, late=True)
    except NoFrameError:
        found = None
    if found is None:
        with media.engine.connect() as conn:
            clip = conn.execute(
                select(incident_media).where(
                    incident_media.c.incident_id == row.incident_id,
                    incident_media.c.camera_id == row.camera_id,
                    incident_media.c.kind == CLIP,
                    incident_media.c.state == READY,
                    incident_media.c.start_ms <= row.start_ms,
                    incident_media.c.end_ms > row.start_ms,
                )
            ).first()
        if clip is None:
            return None
        try:
            found = locate_frame_at(media.data_dir / clip.path, clip.start_ms, row.start_ms)
        except NoFrameError:
            return None
    return encode_png(found.frame)
