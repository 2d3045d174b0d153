"""Recorded footage of one camera: the timeline of a window, and a still frame."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.clock import from_ms, utc_ms
from beffroi.journal.http import journal_action
from beffroi.playback.snapshot import (
    FrameAt,
    NoFrameError,
    encode_jpeg,
    encode_png,
    locate_frame_at,
)
from beffroi.playback.timeline import (
    Span,
    WindowError,
    build_timeline,
    check_window,
    live_span,
    query_spans,
    resolve_live_path,
    span_at,
)
from beffroi.web.camera_info import footage_camera_row
from beffroi.web.context import AppContext
from beffroi.web.deps import Ctx, require
from beffroi.web.timeparams import parse_instant, unprocessable

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/cameras", tags=["recordings"])

INSTANT_HELP = "ISO 8601 with a time zone (Z or an offset), e.g. 2026-11-01T08:00:00Z"


class Range(BaseModel):
    start: datetime = Field(description="Start of continuous recording (UTC)")
    end: datetime = Field(description="End of continuous recording (UTC)")


class Gap(BaseModel):
    start: datetime = Field(description="Start of the interval without footage (UTC)")
    end: datetime = Field(description="End of the interval without footage (UTC)")
    seconds: float = Field(description="Length of the gap in seconds")


class SegmentOut(BaseModel):
    id: int | None = Field(description="Index row id; null for the segment being written")
    start: datetime = Field(description="Time of the first frame (UTC)")
    end: datetime = Field(
        description="Time after the last frame; for the segment being written, the end "
        "of its last fragment on disk (UTC)"
    )
    bytes: int | None = Field(description="File size in bytes")
    sha256: str | None = Field(description="SHA-256 of the file; null while being written")
    in_progress: bool = Field(description="True for the segment being written")


class Recordings(BaseModel):
    camera: str = Field(description="Camera identifier")
    start: datetime = Field(description="Start of the window asked (UTC)")
    end: datetime = Field(description="End of the window asked (UTC)")
    ranges: list[Range] = Field(description="Continuous recorded ranges within the window")
    gaps: list[Gap] = Field(
        description="Intervals without footage within the window, up to now (or to the "
        "last flushed fragment of the segment being written)"
    )
    segments: list[SegmentOut] = Field(
        description="Segments overlapping the window (empty when `segments=false`)"
    )


def live_of(ctx: AppContext, camera_id: str) -> Span | None:
    state = ctx.recorder.camera_states().get(camera_id)
    return live_span(state.live if state else None, ctx.archive_root)


@router.get("/{camera_id}/recordings", response_model=Recordings)
def recordings(
    camera_id: str,
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.RECORDING_READ))],
    start: Annotated[str, Query(description=INSTANT_HELP)],
    end: Annotated[str, Query(description=INSTANT_HELP)],
    segments: Annotated[
        bool,
        Query(
            description="List every segment too. A timeline over days only needs ranges "
            "and gaps: 15 days of one camera are 21,600 one-minute segments."
        ),
    ] = True,
) -> Recordings:
    start_ms, end_ms = parse_instant("start", start), parse_instant("end", end)
    try:
        check_window(start_ms, end_ms)
    except WindowError as e:
        raise unprocessable(str(e)) from None
    with ctx.engine.connect() as conn:
        row = footage_camera_row(conn, principal, camera_id, start_ms, end_ms, timeline=True)
        finished = query_spans(conn, camera_id, start_ms, end_ms)
    journal_action(
        request,
        principal,
        "recording.read",
        camera=camera_id,
        commune=row.commune_id,
        start_ms=start_ms,
        end_ms=end_ms,
    )
    timeline = build_timeline(
        finished, live_of(ctx, camera_id), start_ms, end_ms, utc_ms(ctx.clock.now())
    )
    return Recordings(
        camera=camera_id,
        start=from_ms(start_ms),
        end=from_ms(end_ms),
        ranges=[Range(start=from_ms(s), end=from_ms(e)) for s, e in timeline.ranges],
        gaps=[
            Gap(start=from_ms(s), end=from_ms(e), seconds=(e - s) / 1000) for s, e in timeline.gaps
        ],
        segments=[
            SegmentOut(
                id=s.id,
                start=from_ms(s.start_ms),
                end=from_ms(s.end_ms),
                bytes=s.bytes,
                sha256=s.sha256,
                in_progress=s.in_progress,
            )
            for s in (timeline.spans if segments else [])
        ],
    )


class ImageFormat(StrEnum):
    png = "png"
    jpeg = "jpeg"


def recorded_frame(
    ctx: AppContext, principal: Principal, camera_id: str, at_ms: int
) -> tuple[FrameAt, Any]:
    """(the last frame recorded at or before `at_ms`, the camera's row); 404 if none."""
    with ctx.engine.connect() as conn:
        row = footage_camera_row(conn, principal, camera_id, at_ms, at_ms)
        finished = query_spans(conn, camera_id, at_ms, at_ms + 1)
    span = span_at(finished, at_ms)
    path = ctx.archive_root / span.path if span is not None and span.path else None
    if span is None:
        live = live_of(ctx, camera_id)
        if live is not None and live.path and span_at([live], at_ms) is not None:
            span, path = live, resolve_live_path(ctx.archive_root, live.path)
    missing = HTTPException(
        status.HTTP_404_NOT_FOUND,
        detail=f"no recording of {camera_id} at {from_ms(at_ms).isoformat()}",
    )
    if span is None or path is None:
        raise missing
    if not path.is_file():
        # An index row without its file is an integrity fault for `beffroi check`, not
        # something to hide: log it loudly, and answer what the viewer can use.
        log.error("%s: segment file missing: %s", camera_id, path)
        raise missing
    try:
        return locate_frame_at(path, span.start_ms, at_ms), row
    except NoFrameError:
        raise missing from None


def frame_response(
    request: Request,
    principal: Principal,
    camera_id: str,
    found: FrameAt,
    row: Any,
    image: ImageFormat,
) -> Response:
    journal_action(
        request,
        principal,
        "snapshot.read",
        camera=camera_id,
        commune=row.commune_id,
        start_ms=found.wall_ms,
        end_ms=found.wall_ms,
        detail={"format": image.value},
    )
    content = encode_png(found.frame) if image is ImageFormat.png else encode_jpeg(found.frame)
    return Response(
        content=content,
        media_type=f"image/{image.value}",
        headers={
            "X-Frame-Time": from_ms(found.wall_ms).isoformat(),
            "X-Frame-Size": f"{found.frame.width}x{found.frame.height}",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/{camera_id}/frame",
    response_class=Response,
    responses={
        200: {
            "content": {"image/png": {}, "image/jpeg": {}},
            "description": "The recorded frame, at the camera's size; PNG is lossless",
        }
    },
)
def frame(
    camera_id: str,
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.SNAPSHOT_READ))],
    at: Annotated[str, Query(description=INSTANT_HELP)],
    format: Annotated[
        ImageFormat, Query(description="png (lossless: for saving evidence) or jpeg")
    ] = ImageFormat.png,
) -> Response:
    """The last frame recorded at or before `at`. `X-Frame-Time` is the frame's own
    capture time (≤ `at`), to the millisecond."""
    found, row = recorded_frame(ctx, principal, camera_id, parse_instant("at", at))
    return frame_response(request, principal, camera_id, found, row, format)


@router.get(
    "/{camera_id}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The recorded frame"}},
)
def snapshot(
    camera_id: str,
    request: Request,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(Permission.SNAPSHOT_READ))],
    at: Annotated[str, Query(description=INSTANT_HELP)],
) -> Response:
    """The last frame recorded at or before `at`, as JPEG (see /frame for PNG). Sync
    route: FastAPI runs it in its threadpool, so decoding never blocks the event loop."""
    found, row = recorded_frame(ctx, principal, camera_id, parse_instant("at", at))
    return frame_response(request, principal, camera_id, found, row, ImageFormat.jpeg)
