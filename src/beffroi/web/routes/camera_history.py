"""Camera health history: a camera's samples for its charts, and every camera's
availability for the health page. Same permission and commune scope as the camera
list (`camera.list`): status, frame rate and bitrate are the camera's metadata, not
its images."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.camera_history.queries import Summary, samples_of, summaries
from beffroi.camera_history.sampler import INTERVAL_S, KEEP
from beffroi.clock import from_ms, utc_ms
from beffroi.web.camera_info import camera_out, visible_camera_row, visible_camera_rows
from beffroi.web.deps import Ctx, require

router = APIRouter(tags=["cameras"])

CameraList = Annotated[Principal, Depends(require(Permission.CAMERA_LIST))]
MAX_HOURS = int(KEEP.total_seconds() // 3600)
Hours = Annotated[
    int, Query(ge=1, le=MAX_HOURS, description=f"The window, hours back from now (≤ {MAX_HOURS})")
]
INTERVAL_MS = int(INTERVAL_S * 1000)


class SampleOut(BaseModel):
    at: datetime = Field(description="Start of the sampled minute (UTC)")
    status: str = Field(description="recording | connecting | offline | disabled | unknown")
    reason: str | None = Field(description="Why the camera was not recording")
    fps: float | None = Field(description="Measured frame rate; null when not recording")
    bitrate_bps: float | None = Field(description="Measured bitrate, bits per second")


class HealthSummaryOut(BaseModel):
    camera: str = Field(description="Camera id")
    name: str = Field(description="Camera name")
    commune: str = Field(description="Commune id")
    status: str = Field(description="Status now, as GET /api/cameras says")
    samples: int = Field(description="Samples in the window")
    expected_samples: int = Field(description="Minutes in the window")
    recording_samples: int = Field(description="Samples in which the camera recorded")
    availability_percent: float | None = Field(
        description="Recording samples among those where the camera was meant to record "
        "(not disabled), percent; null without such samples"
    )
    coverage_percent: float = Field(
        description="Minutes of the window with a sample, percent (the server was running)"
    )
    fps_mean: float | None = Field(description="Mean measured frame rate while recording")
    bitrate_mean_bps: float | None = Field(description="Mean bitrate while recording")


class CameraHealthOut(BaseModel):
    start: datetime = Field(description="Start of the window (UTC)")
    end: datetime = Field(description="End of the window: now (UTC)")
    interval_s: float = Field(description="Sampling interval, seconds")
    summary: HealthSummaryOut = Field(description="The camera's summary over the window")
    samples: list[SampleOut] = Field(description="Samples, oldest first")


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 2)


def _summary_out(row: Any, status: str, s: Summary) -> HealthSummaryOut:
    """`row`: a camera row (`visible_camera_rows`)."""
    return HealthSummaryOut(
        camera=row.id,
        name=row.name,
        commune=row.commune_id,
        status=status,
        samples=s.samples,
        expected_samples=s.expected,
        recording_samples=s.recording,
        availability_percent=_pct(s.availability),
        coverage_percent=_pct(s.coverage) or 0.0,
        fps_mean=None if s.fps_mean is None else round(s.fps_mean, 2),
        bitrate_mean_bps=None if s.bitrate_mean_bps is None else round(s.bitrate_mean_bps),
    )


def _window(ctx: Ctx, hours: int) -> tuple[int, int]:
    end_ms = utc_ms(ctx.clock.now())
    return end_ms - hours * 3_600_000, end_ms


@router.get("/api/cameras/{camera_id}/health", response_model=CameraHealthOut)
def camera_history(
    camera_id: str, ctx: Ctx, principal: CameraList, hours: Hours = 24
) -> CameraHealthOut:
    """The camera's status, frame rate and bitrate, one sample a minute (kept 8 days)."""
    start_ms, end_ms = _window(ctx, hours)
    with ctx.engine.connect() as conn:
        row = visible_camera_row(conn, principal, camera_id)
        rows = samples_of(conn, camera_id, start_ms, end_ms)
        summary = summaries(conn, [camera_id], start_ms, end_ms, INTERVAL_MS)[camera_id]
    status = camera_out(row, ctx.recorder.camera_states().get(camera_id)).status.value
    return CameraHealthOut(
        start=from_ms(start_ms),
        end=from_ms(end_ms),
        interval_s=INTERVAL_S,
        summary=_summary_out(row, status, summary),
        samples=[
            SampleOut(
                at=from_ms(s.at_ms),
                status=s.status,
                reason=s.reason,
                fps=s.fps,
                bitrate_bps=s.bitrate_bps,
            )
            for s in rows
        ],
    )


@router.get("/api/camera-health", response_model=list[HealthSummaryOut])
def cameras_health(ctx: Ctx, principal: CameraList, hours: Hours = 24) -> list[HealthSummaryOut]:
    """Every camera of the caller's communes: availability over the window, status now."""
    start_ms, end_ms = _window(ctx, hours)
    with ctx.engine.connect() as conn:
        rows = [r for r in visible_camera_rows(conn, principal) if r.removed_ms is None]
        found = summaries(conn, [r.id for r in rows], start_ms, end_ms, INTERVAL_MS)
    states = ctx.recorder.camera_states()
    return [
        _summary_out(r, camera_out(r, states.get(r.id)).status.value, found[r.id]) for r in rows
    ]
