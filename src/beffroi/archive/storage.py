"""Storage report: what the archive holds per camera, and how long the disk lasts.

`forecast_days` answers the administrator's question "at today's write rate, how many
days of footage fit on this disk?": the space footage may use (what it uses now, plus
what is free, minus the floor kept free) divided by the bytes written per day across
all cameras over the last 24 hours. If that is shorter than the longest camera
retention, disk pressure will destroy footage before its retention period ends.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select

from beffroi.archive.disk import DiskUsage, disk_usage
from beffroi.archive.retention import DAY_MS, effective_retention_s
from beffroi.archive.tables import segment_garbage, segments
from beffroi.clock import Clock, from_ms, utc_ms
from beffroi.site.tables import cameras


class CameraStorage(BaseModel):
    camera_id: str = Field(description="Camera id")
    retention_days: float = Field(description="Retention in force, days (capped at 30)")
    removed: bool = Field(description="The camera left the site file; its footage ages out")
    segments: int = Field(description="Segments in the index")
    bytes: int = Field(description="Bytes of those segments")
    oldest_ms: int | None = Field(description="Start of the oldest segment, UTC ms")
    newest_ms: int | None = Field(description="End of the newest segment, UTC ms")
    oldest: str | None = Field(description="Start of the oldest segment, ISO 8601 UTC")
    newest: str | None = Field(description="End of the newest segment, ISO 8601 UTC")
    bytes_per_day: float = Field(
        description="Mean write rate over the last 24 h (over the recorded span if shorter)"
    )


class StorageReport(BaseModel):
    generated_ms: int = Field(description="When the report was computed, UTC ms")
    cameras: list[CameraStorage] = Field(description="One entry per camera, by id")
    total_segments: int = Field(description="Segments in the index, all cameras")
    total_bytes: int = Field(description="Bytes of footage in the index, all cameras")
    bytes_per_day: float = Field(description="Current total write rate, bytes per day")
    garbage_pending: int = Field(description="Deleted segments whose files await unlinking")
    disk_total_bytes: int = Field(description="Size of the archive's filesystem")
    disk_free_bytes: int = Field(description="Free bytes on it (usable without privileges)")
    floor_bytes: int = Field(description="Free space kept by disk-pressure deletion")
    forecast_days: float | None = Field(
        description="Days of footage that fit at the current write rate; None when nothing "
        "is being written"
    )
    longest_retention_days: float = Field(
        description="Longest retention of the cameras still in the site file"
    )
    covers_retention: bool | None = Field(
        description="Whether forecast_days covers the longest retention; None if unknown"
    )


def storage_report(
    engine: Engine,
    archive_root: Path,
    clock: Clock,
    floor_bytes: int,
    *,
    disk_usage_fn: Callable[[Path], DiskUsage] = disk_usage,
) -> StorageReport:
    now_ms = utc_ms(clock.now())
    since = now_ms - DAY_MS
    with engine.connect() as conn:
        cams = {
            r.id: r
            for r in conn.execute(select(cameras.c.id, cameras.c.retention_s, cameras.c.removed_ms))
        }
        totals = {
            r.camera_id: r
            for r in conn.execute(
                select(
                    segments.c.camera_id,
                    func.count().label("n"),
                    func.coalesce(func.sum(segments.c.bytes), 0).label("bytes"),
                    func.min(segments.c.start_ms).label("oldest"),
                    func.max(segments.c.end_ms).label("newest"),
                ).group_by(segments.c.camera_id)
            )
        }
        # Reads only the last day through ix_segments_start.
        recent = {
            r.camera_id: int(r.bytes)
            for r in conn.execute(
                select(segments.c.camera_id, func.sum(segments.c.bytes).label("bytes"))
                .where(segments.c.start_ms >= since)
                .group_by(segments.c.camera_id)
            )
        }
        garbage = conn.execute(select(func.count()).select_from(segment_garbage)).scalar_one()
    entries: list[CameraStorage] = []
    for camera_id in sorted(set(cams) | set(totals)):
        cam = cams.get(camera_id)
        t = totals.get(camera_id)
        oldest = int(t.oldest) if t is not None else None
        newest = int(t.newest) if t is not None else None
        rate = 0.0
        if oldest is not None and camera_id in recent:
            # A camera recording for less than a day is measured over what it recorded.
            span = now_ms - max(since, oldest)
            rate = recent[camera_id] * DAY_MS / span if span > 0 else 0.0
        entries.append(
            CameraStorage(
                camera_id=camera_id,
                retention_days=effective_retention_s(cam.retention_s if cam else None) / 86_400,
                removed=cam is None or cam.removed_ms is not None,
                segments=int(t.n) if t is not None else 0,
                bytes=int(t.bytes) if t is not None else 0,
                oldest_ms=oldest,
                newest_ms=newest,
                oldest=_iso(oldest),
                newest=_iso(newest),
                bytes_per_day=round(rate, 1),
            )
        )
    usage = disk_usage_fn(Path(archive_root))
    total_bytes = sum(e.bytes for e in entries)
    per_day = sum(e.bytes_per_day for e in entries)
    forecast = max(0.0, (total_bytes + usage.free - floor_bytes) / per_day) if per_day > 0 else None
    active = [e.retention_days for e in entries if not e.removed] or [
        e.retention_days for e in entries
    ]
    longest = max(active, default=0.0)
    return StorageReport(
        generated_ms=now_ms,
        cameras=entries,
        total_segments=sum(e.segments for e in entries),
        total_bytes=total_bytes,
        bytes_per_day=round(per_day, 1),
        garbage_pending=int(garbage),
        disk_total_bytes=usage.total,
        disk_free_bytes=usage.free,
        floor_bytes=floor_bytes,
        forecast_days=None if forecast is None else round(forecast, 2),
        longest_retention_days=longest,
        covers_retention=None if forecast is None else forecast >= longest,
    )


def _iso(ms: int | None) -> str | None:
    return None if ms is None else from_ms(ms).isoformat().replace("+00:00", "Z")


def for_cameras(report: StorageReport, keep: Callable[[str], bool]) -> StorageReport:
    """`report` limited to the cameras `keep` accepts (a commune-scoped reader's): their
    rows and totals. The disk's figures and forecast stay the installation's: one disk
    is shared, and how long it lasts is everyone's concern."""
    entries = [e for e in report.cameras if keep(e.camera_id)]
    return report.model_copy(
        update={
            "cameras": entries,
            "total_segments": sum(e.segments for e in entries),
            "total_bytes": sum(e.bytes for e in entries),
            "bytes_per_day": round(sum(e.bytes_per_day for e in entries), 1),
        }
    )
