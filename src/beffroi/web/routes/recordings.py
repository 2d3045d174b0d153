"""Recorded footage of one camera: the timeline of a window, and a still frame."""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Annotated

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
    build_timeline,
    footage_spans,
    resolve_live_path,
    span_at,
)
from beffroi.web.context import AppContext
from beffroi.web.deps import Ctx, require
from beffroi.web.footage import FootageWindow, instant_of, window_of

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/cameras", tags=["recordings"])

_Reader = Annotated[Principal, Depends(require(Permission.RECORDING_READ))]
_SnapshotReader = Annotated[Principal, Depends(require(Permission.SNAPSHOT_READ))]
TimelineWindow = Annotated[FootageWindow, Depends(window_of(_Reader, timeline=True))]
SnapshotInstant = Annotated[FootageWindow, Depends(instant_of(_SnapshotReader))]


class Range(BaseModel):
    start: datetime = Field(description="Start of continuous recording (UTC)")
    end: datetime = Field(description="End of continuous recording (UTC)")


class Gap(BaseModel):
    start: datetime = Field(description="Start of the interval without footage (UTC)")
    end: datetime = Field(description="End of the interval without footage (UTC)")
    seconds: float = Field(description="Length of the gap in seconds")


class SegmentOut(BaseModel):
    id: int | None = Field(
        description="Index row id; null for the segment being written, and for one just "
        "finished whose row is not written yet"
    )
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


def window_footage(
    ctx: AppContext, camera_id: str, start_ms: int, end_ms: int
) -> tuple[list[Span], Span | None]:
    """The finished segments of the window, sorted, and the segment being written
    (`playback.timeline.footage_spans`: the recorder read first, then the index)."""
    state = ctx.recorder.camera_states().get(camera_id)
    with ctx.engine.connect() as conn:
        return footage_spans(conn, camera_id, start_ms, end_ms, state, ctx.archive_root)


@router.get("/{camera_id}/recordings", response_model=Recordings)
def recordings(
    request: Request,
    ctx: Ctx,
    footage: TimelineWindow,
    segments: Annotated[
        bool,
        Query(
            description="List every segment too. A timeline over days only needs ranges "
            "and gaps: 15 days of one camera are 21,600 one-minute segments."
        ),
    ] = True,
) -> Recordings:
    camera_id, start_ms, end_ms = footage.camera_id, footage.start_ms, footage.end_ms
    finished, live = window_footage(ctx, camera_id, start_ms, end_ms)
    journal_action(
        request,
        footage.principal,
        "recording.read",
        camera=camera_id,
        commune=footage.commune,
        start_ms=start_ms,
        end_ms=end_ms,
    )
    timeline = build_timeline(finished, live, start_ms, end_ms, utc_ms(ctx.clock.now()))
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


def recorded_frame(ctx: AppContext, at: FootageWindow) -> FrameAt:
    """The last frame recorded at or before the instant `at`; 404 if none."""
    camera_id, at_ms = at.camera_id, at.start_ms
    finished, live = window_footage(ctx, camera_id, at_ms, at_ms + 1)
    span = span_at(finished, at_ms)
    path = ctx.archive_root / span.path if span is not None and span.path else None
    if span is None and live is not None and live.path and span_at([live], at_ms):
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
        return locate_frame_at(path, span.start_ms, at_ms)
    except NoFrameError:
        raise missing from None


def frame_response(
    request: Request, at: FootageWindow, found: FrameAt, image: ImageFormat
) -> Response:
    journal_action(
        request,
        at.principal,
        "snapshot.read",
        camera=at.camera_id,
        commune=at.commune,
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
    request: Request,
    ctx: Ctx,
    at: SnapshotInstant,
    format: Annotated[
        ImageFormat, Query(description="png (lossless: for saving evidence) or jpeg")
    ] = ImageFormat.png,
) -> Response:
    """The last frame recorded at or before `at`. `X-Frame-Time` is the frame's own
    capture time (≤ `at`), to the millisecond."""
    return frame_response(request, at, recorded_frame(ctx, at), format)


@router.get(
    "/{camera_id}/snapshot",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "The recorded frame"}},
)
def snapshot(request: Request, ctx: Ctx, at: SnapshotInstant) -> Response:
    """The last frame recorded at or before `at`, as JPEG (see /frame for PNG). Sync
    route: FastAPI runs it in its threadpool, so decoding never blocks the event loop."""
    return frame_response(request, at, recorded_frame(ctx, at), ImageFormat.jpeg)
