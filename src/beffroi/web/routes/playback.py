"""Playback of the archive by stream copy: an HLS playlist and a fragmented MP4 stream
for a window, seeking to an instant, and short-lived links for standard players.

Media routes take no path from the client: a segment is named by its index id (or
`live-<start>` for the one being written) and must belong to the camera of the URL,
which must be in the caller's scope. Playback is journaled once per playlist, stream or
link (`recording.play`), never per media part.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from sqlalchemy import select

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.archive.tables import segments
from beffroi.clock import from_ms, utc_ms
from beffroi.journal.http import client_address, journal_action
from beffroi.playback.grants import resolve_grant
from beffroi.playback.hls import MAX_PLAYLIST_MS, build_playlist, program_date_time, segment_key
from beffroi.playback.stream import (
    NoMediaError,
    Piece,
    WindowPlan,
    iter_mp4,
    iter_pieces_spans,
    piece_of,
    plan_window,
    read_fragment,
    read_init,
)
from beffroi.playback.timeline import (
    Span,
    recorder_spans,
    spans_from_rows,
)
from beffroi.web.camera_info import footage_camera_row, visible_camera_row
from beffroi.web.context import AppContext
from beffroi.web.deps import GUARD_ATTR, Ctx, _bearer, _cookie, authenticate, require
from beffroi.web.footage import FootageWindow, instant_of, window, window_of
from beffroi.web.routes.recordings import window_footage

router = APIRouter(prefix="/api/cameras", tags=["playback"])

MP4 = "video/mp4"
M3U8 = "application/vnd.apple.mpegurl"
NO_STORE = {"Cache-Control": "private, no-store"}
SEEK_WINDOW_MS = 3_600_000  # the media a seek URL covers from the instant
SEGMENT_HELP = "Segment as named by the playlist: its index id, or live-<start ms>"
GRANT_HELP = "Playback link token (from POST playback-links), for players without a header"


class SeekOut(BaseModel):
    url: str = Field(description="Media (fMP4) starting at the keyframe at or before `at`")
    playlist: str = Field(description="The same window as an HLS playlist")
    keyframe_at: datetime = Field(description="Wall time of the first frame of the media (UTC)")
    offset_s: float = Field(
        description="Seconds from `keyframe_at` to `at`: where a player should seek to"
    )


_require_read = require(Permission.RECORDING_READ)


def playback_reader(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
    grant: Annotated[str | None, Query(description=GRANT_HELP)] = None,
) -> Principal:
    """A session (header or cookie) as everywhere, or a playback link's `grant`: VLC and
    ffplay cannot send a header. A grant is valid only with the camera and window it was
    issued for (`start`, `end` as in the link), and only as its user is now."""
    if grant is None:
        principal = authenticate(request, ctx, credentials, cookie)
    else:
        q = request.query_params
        camera_id = str(request.path_params.get("camera_id", ""))
        try:
            start_ms, end_ms = window(q.get("start", ""), q.get("end", ""))
        except HTTPException:
            found = None  # a grant is only ever valid with the window it was issued for
        else:
            found = resolve_grant(
                ctx.engine, ctx.clock, grant, camera_id, start_ms, end_ms, client_address(request)
            )
        if found is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="playback link expired, revoked, or not for this camera and window",
            )
        request.state.grant_window = (start_ms, end_ms)
        principal = found
    return _require_read(principal)


setattr(playback_reader, GUARD_ATTR, Permission.RECORDING_READ)
PlaybackReader = Annotated[Principal, Depends(playback_reader)]
HlsWindow = Annotated[FootageWindow, Depends(window_of(PlaybackReader, max_ms=MAX_PLAYLIST_MS))]
Mp4Window = Annotated[FootageWindow, Depends(window_of(PlaybackReader))]
SeekInstant = Annotated[
    FootageWindow, Depends(instant_of(Annotated[Principal, Depends(_require_read)]))
]


def no_recording(camera_id: str, start_ms: int, end_ms: int) -> HTTPException:
    return HTTPException(
        status.HTTP_404_NOT_FOUND,
        detail=f"no recording of {camera_id} between {from_ms(start_ms).isoformat()} "
        f"and {from_ms(end_ms).isoformat()}",
    )


def window_spans(ctx: AppContext, camera_id: str, start_ms: int, end_ms: int) -> list[Span]:
    finished, live = window_footage(ctx, camera_id, start_ms, end_ms)
    return finished + ([live] if live is not None else [])


def plan_or_404(
    ctx: AppContext, camera_id: str, start_ms: int, end_ms: int, limit: int | None = None
) -> tuple[WindowPlan, list[Span]]:
    """The plan of the window (the first `limit` segments indexed) and the spans left."""
    spans = iter_pieces_spans(window_spans(ctx, camera_id, start_ms, end_ms), start_ms, end_ms)
    try:
        plan = plan_window(camera_id, spans, start_ms, end_ms, ctx.archive_root, limit=limit)
    except NoMediaError:
        raise no_recording(camera_id, start_ms, end_ms) from None
    last = plan.pieces[-1].span.start_ms
    return plan, [s for s in spans if s.start_ms > last]


def journal_play(request: Request, footage: FootageWindow, how: str) -> None:
    journal_action(
        request,
        footage.principal,
        "recording.play",
        camera=footage.camera_id,
        commune=footage.commune,
        start_ms=footage.start_ms,
        end_ms=footage.end_ms,
        detail={"format": how},
    )


def iso_ms(wall_ms: float) -> str:
    return program_date_time(math.floor(wall_ms))


def window_query(start_ms: int, end_ms: int, **extra: str) -> str:
    return urlencode({"start": iso_ms(start_ms), "end": iso_ms(end_ms), **extra})


def media_query(request: Request, **extra: object) -> str:
    """The query a media part repeats: the window and grant it was listed under."""
    keep = {k: v for k, v in request.query_params.items() if k in ("start", "end", "grant")}
    keep.update({k: str(v) for k, v in extra.items()})
    return urlencode(keep)


@router.get(
    "/{camera_id}/playback.m3u8",
    response_class=Response,
    responses={200: {"content": {M3U8: {}}, "description": "HLS media playlist"}},
)
def playlist(request: Request, ctx: Ctx, footage: HlsWindow) -> Response:
    """HLS (version 7, fMP4) of the window, from the keyframe at or before `start`."""
    camera_id, start_ms, end_ms = footage.camera_id, footage.start_ms, footage.end_ms
    plan, _ = plan_or_404(ctx, camera_id, start_ms, end_ms)
    journal_play(request, footage, "hls")

    def init_uri(piece: Piece) -> str:
        return f"playback/{segment_key(piece)}/init.mp4?{media_query(request)}"

    def part_uri(piece: Piece, index: int, base: int, count: int) -> str:
        query = media_query(request, base=base, count=count)
        return f"playback/{segment_key(piece)}/{index}.m4s?{query}"

    closed = end_ms <= utc_ms(ctx.clock.now())
    text = build_playlist(plan, closed, init_uri, part_uri)
    return Response(content=text, media_type=M3U8, headers=NO_STORE)


def segment_span(ctx: AppContext, camera_id: str, segment: str) -> Span:
    """The span a media URL names, if it belongs to `camera_id`; 404 otherwise."""
    missing = HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown segment {segment}")
    if segment.isdigit() and len(segment) < 19:
        c = segments.c
        with ctx.engine.connect() as conn:
            rows = conn.execute(
                select(c.id, c.start_ms, c.end_ms, c.bytes, c.sha256, c.path).where(
                    c.id == int(segment), c.camera_id == camera_id
                )
            ).all()
        if rows:
            return spans_from_rows(rows)[0]
    elif segment.startswith("live-"):
        # The segment being written, or the same one just finished (a player asks for
        # it by the name it had when the plan was made).
        state = ctx.recorder.camera_states().get(camera_id)
        for span in recorder_spans(state, ctx.archive_root)[::-1]:
            if span is not None and segment == f"live-{span.start_ms}":
                return span
    raise missing


def media_piece(
    request: Request, ctx: AppContext, reader: Principal, camera_id: str, segment: str
) -> Piece:
    with ctx.engine.connect() as conn:
        visible_camera_row(conn, reader, camera_id)  # first: scope before any lookup
    span = segment_span(ctx, camera_id, segment)
    with ctx.engine.connect() as conn:
        footage_camera_row(conn, reader, camera_id, span.start_ms, span.end_ms)
    granted = getattr(request.state, "grant_window", None)
    if granted is not None and not (span.end_ms > granted[0] and span.start_ms < granted[1]):
        # A link opens its own window only, not the camera's whole archive.
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown segment {segment}")
    piece = piece_of(span, ctx.archive_root, span.start_ms, span.end_ms + 1, first=False)
    if piece is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"segment {segment} unreadable")
    return piece


@router.get(
    "/{camera_id}/playback/{segment}/init.mp4",
    response_class=Response,
    responses={200: {"content": {MP4: {}}, "description": "Init part (ftyp+moov)"}},
)
def init_part(
    camera_id: str,
    request: Request,
    ctx: Ctx,
    reader: PlaybackReader,
    segment: Annotated[str, Path(description=SEGMENT_HELP, max_length=40)],
) -> Response:
    """The init part of a segment, as listed by a playlist (not journaled: the playlist
    was)."""
    piece = media_piece(request, ctx, reader, camera_id, segment)
    return Response(content=read_init(piece), media_type=MP4, headers=NO_STORE)


@router.get(
    "/{camera_id}/playback/{segment}/{index}.m4s",
    response_class=Response,
    responses={200: {"content": {MP4: {}}, "description": "Fragments (moof+mdat)…"}},
)
def media_part(
    camera_id: str,
    request: Request,
    ctx: Ctx,
    reader: PlaybackReader,
    segment: Annotated[str, Path(description=SEGMENT_HELP, max_length=40)],
    index: Annotated[int, Path(ge=0, le=100_000, description="Fragment number in the segment")],
    base: Annotated[
        int,
        Query(
            ge=-(2**53),
            le=2**53,
            description="Decode time of the segment's first frame on the playlist's clock",
        ),
    ] = 0,
    count: Annotated[
        int, Query(ge=1, le=256, description="Fragments from `index` on: one media segment")
    ] = 1,
) -> Response:
    """A media segment: `count` fragments of a segment from `index` (one GOP, as the
    playlist lists them), decode times moved onto the playlist's clock."""
    piece = media_piece(request, ctx, reader, camera_id, segment)
    frags = piece.file.fragments
    if index + count > len(frags):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no fragment {index + count - 1}")
    data = b"".join(
        read_fragment(piece.file, frags[i], base, i + 1) for i in range(index, index + count)
    )
    return Response(content=data, media_type=MP4, headers=NO_STORE)


@router.get(
    "/{camera_id}/playback.mp4",
    response_class=StreamingResponse,
    responses={200: {"content": {MP4: {}}, "description": "Fragmented MP4, stream copy"}},
)
def stream(request: Request, ctx: Ctx, footage: Mp4Window) -> StreamingResponse:
    """One fragmented MP4 of the window, from the keyframe at or before `start`; media
    time 0 is `X-Start-Time`. Gaps advance media time by their length."""
    # Index the first segments now (the keyframe, a 404 for nothing); the rest as sent.
    plan, rest = plan_or_404(ctx, footage.camera_id, footage.start_ms, footage.end_ms, limit=2)
    journal_play(request, footage, "mp4")
    chunks: Iterator[bytes] = iter_mp4(plan, rest, ctx.archive_root)
    return StreamingResponse(
        chunks,
        media_type=MP4,
        headers={
            **NO_STORE,
            "X-Start-Time": iso_ms(plan.keyframe_wall_ms),
        },
    )


@router.get("/{camera_id}/seek", response_model=SeekOut)
def seek(request: Request, ctx: Ctx, at: SeekInstant) -> SeekOut:
    """Where playback of `at` starts: the keyframe at or before it, and the offset."""
    camera_id, at_ms = at.camera_id, at.start_ms
    found = seek_plan(ctx, camera_id, at_ms)
    journal_action(
        request,
        at.principal,
        "recording.seek",
        camera=camera_id,
        commune=at.commune,
        start_ms=at_ms,
        end_ms=at_ms,
    )
    keyframe_ms = math.floor(found.keyframe_wall_ms)
    query = window_query(at_ms, at_ms + SEEK_WINDOW_MS)
    base = str(request.url_for("stream", camera_id=camera_id))
    return SeekOut(
        url=f"{base}?{query}",
        playlist=f"{base.removesuffix('.mp4')}.m3u8?{query}",
        keyframe_at=from_ms(keyframe_ms),
        offset_s=(at_ms - keyframe_ms) / 1000,
    )


def seek_plan(ctx: AppContext, camera_id: str, at_ms: int) -> WindowPlan:
    """The plan of the segment holding `at_ms` (404 if none): what a seek reads."""
    plan, _ = plan_or_404(ctx, camera_id, at_ms, at_ms + 1, limit=1)
    if plan.keyframe_wall_ms > at_ms:  # `at` falls in a gap: nothing at or before it
        raise no_recording(camera_id, at_ms, at_ms + 1)
    return plan
