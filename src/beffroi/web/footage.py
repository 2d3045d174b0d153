"""The one way a route names footage: a camera and a window (or an instant) of it.

Every route that serves recorded video or images takes `camera_id` from the path and
`start`/`end` (or `at`) from the query, checks the window, then checks the camera is in
the caller's scope and, for an investigator, that the window lies in a requisition
assigned to him. `window_of` and `instant_of` make that one FastAPI dependency, so a
route declares what it reads and gets a `FootageWindow` it may serve:

    Mp4Window = Annotated[FootageWindow, Depends(window_of(PlaybackReader))]

    def stream(request: Request, ctx: Ctx, footage: Mp4Window) -> StreamingResponse: ...

Order of answers, the same for every such route: an unreadable or too long window is a
422 whatever the camera; then a camera outside the scope, or footage outside an
investigator's requisitions, is a 404 (never a 403: it must not be told apart from a
camera that does not exist).
"""

# No `from __future__ import annotations`: FastAPI reads the dependencies' annotations
# at run time, and those made below refer to the `reader` each call is given.

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query

from beffroi.access.principal import Principal
from beffroi.playback.timeline import WindowError, check_window
from beffroi.web.camera_info import footage_camera_row
from beffroi.web.context import AppContext
from beffroi.web.deps import Ctx
from beffroi.web.timeparams import INSTANT_HELP, parse_instant, unprocessable


@dataclass(frozen=True)
class FootageWindow:
    """[start_ms, end_ms] of `camera_id`'s footage, which `principal` may see."""

    camera_id: str
    start_ms: int
    end_ms: int
    commune: str  # the camera's commune, for the journal
    principal: Principal

    @property
    def range(self) -> tuple[int, int]:
        return self.start_ms, self.end_ms


def window(start: str, end: str, max_ms: int | None = None) -> tuple[int, int]:
    """UTC milliseconds of a `start`/`end` query; 422 with the reason in words."""
    start_ms, end_ms = parse_instant("start", start), parse_instant("end", end)
    try:
        check_window(start_ms, end_ms, *(() if max_ms is None else (max_ms,)))
    except WindowError as e:
        raise unprocessable(str(e)) from None
    return start_ms, end_ms


def window_of(
    reader: Any, *, max_ms: int | None = None, timeline: bool = False
) -> Callable[..., FootageWindow]:
    """The dependency of a route parameter: a window of the path's camera, read by `reader`
    (an `Annotated[Principal, Depends(...)]` that carries the permission). A `timeline`
    only needs to overlap an investigator's requisitions, not lie within one."""

    def footage_window(
        camera_id: str,
        ctx: Ctx,
        principal: reader,
        start: Annotated[str, Query(description=INSTANT_HELP)],
        end: Annotated[str, Query(description=INSTANT_HELP)],
    ) -> FootageWindow:
        start_ms, end_ms = window(start, end, max_ms)
        return check_footage(ctx, principal, camera_id, start_ms, end_ms, timeline=timeline)

    return footage_window


def instant_of(reader: Any) -> Callable[..., FootageWindow]:
    """The dependency of a route parameter: one instant `at` of the path's camera."""

    def footage_instant(
        camera_id: str,
        ctx: Ctx,
        principal: reader,
        at: Annotated[str, Query(description=INSTANT_HELP)],
    ) -> FootageWindow:
        at_ms = parse_instant("at", at)
        return check_footage(ctx, principal, camera_id, at_ms, at_ms)

    return footage_instant


def check_footage(
    ctx: AppContext,
    principal: Principal,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    *,
    timeline: bool = False,
) -> FootageWindow:
    """The window, if `principal` may see it; 404 otherwise (see the module's doc)."""
    with ctx.engine.connect() as conn:
        row = footage_camera_row(conn, principal, camera_id, start_ms, end_ms, timeline=timeline)
    return FootageWindow(camera_id, start_ms, end_ms, row.commune_id, principal)
