"""Live view over WebSocket: `GET /api/cameras/{id}/live`.

The socket carries, in order: a JSON text frame describing the stream (codec string,
MIME type, picture size, frame rate, `epoch_ms`), the init part (binary), then media
fragments (binary), for as long as the socket stays open. Another JSON text frame
announces a new init part when the camera's stream changes. The bytes are fragmented
MP4 for Media Source Extensions, straight from the recorder (`beffroi.live`).

Authentication, in this order:
- an `Authorization: Bearer` header (API clients, machine tokens);
- a bearer token offered as a WebSocket subprotocol `bearer.<token>`, next to
  `beffroi.live` (browsers cannot set headers on a WebSocket);
- the `beffroi_session` cookie, only if `Origin` names this very host: a page of
  another site could otherwise open the socket with the operator's cookie
  (cross-site WebSocket hijacking).

The socket is accepted before these checks so that a refusal reaches the browser as a
close code it can read: 4401 (log in again), 4403 (not allowed), 4404 (no such camera,
or not in the user's scope: the two are indistinguishable, as for HTTP), 1011 (the
journal could not record the viewing, so nothing is shown), 1013 (live view is not
running). No media frame is sent before every check passed and `live.start` is
journaled.

An open socket is checked again every `AppContext.live_recheck_s` (30 s): once its
viewer has logged out, is disabled, has another role or no longer sees the camera, or
the session has expired, it closes with 4401, within a minute of the change.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Depends, HTTPException, WebSocket, WebSocketException
from starlette.concurrency import run_in_threadpool

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.access.sessions import resolve_session
from beffroi.access.tokens import is_api_token, resolve_token
from beffroi.clock import utc_ms
from beffroi.journal.http import principal_entry
from beffroi.journal.service import Journal
from beffroi.live.hub import Viewer
from beffroi.live.tailer import StreamInit
from beffroi.web.camera_info import visible_camera_row
from beffroi.web.context import AppContext
from beffroi.web.deps import COOKIE_NAME, GUARD_ATTR
from beffroi.web.guard import WS_GUARD_ATTR

router = APIRouter(prefix="/api/cameras", tags=["live"])

SUBPROTOCOL = "beffroi.live"
BEARER_SUBPROTOCOL = "bearer."
ROUTE = "/api/cameras/{camera_id}/live"

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_JOURNAL_FAILED = 1011
CLOSE_UNAVAILABLE = 1013
DENIED_OUTCOMES = {CLOSE_FORBIDDEN: "denied", CLOSE_NOT_FOUND: "not_found"}


def _ctx(websocket: WebSocket) -> AppContext:
    ctx: AppContext = websocket.app.state.ctx
    return ctx


def _journal(websocket: WebSocket) -> Journal:
    journal: Journal = websocket.app.state.journal
    return journal


def _source(websocket: WebSocket) -> str | None:
    return websocket.client.host[:64] if websocket.client else None


def offered_bearer(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for protocol in websocket.scope.get("subprotocols") or []:
        if protocol.startswith(BEARER_SUBPROTOCOL):
            return str(protocol[len(BEARER_SUBPROTOCOL) :])
    return None


def same_origin(websocket: WebSocket) -> bool:
    """The page that opened the socket was served by this host (scheme aside: TLS may
    end at a proxy). Browsers always send `Origin` on a WebSocket handshake."""
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def _authenticate(ctx: AppContext, websocket: WebSocket) -> tuple[Principal | None, bool]:
    """(principal, whether it came from the cookie)."""
    token = offered_bearer(websocket)
    if token is not None:
        if is_api_token(token):
            return resolve_token(ctx.engine, token, ctx.clock), False
        return resolve_session(ctx.engine, token, ctx.clock, kind="bearer"), False
    cookie = websocket.cookies.get(COOKIE_NAME)
    if cookie:
        return resolve_session(ctx.engine, cookie, ctx.clock, kind="cookie"), True
    return None, False


def _record_denied(
    websocket: WebSocket, principal: Principal, code: int, reason: str, camera: str | None
) -> None:
    """The WebSocket twin of the HTTP 403/404 journaling (`routes.journal`)."""
    entry = principal_entry(
        principal,
        "request.denied",
        source=_source(websocket),
        camera=camera,
        outcome=DENIED_OUTCOMES[code],
        detail={
            "method": "WEBSOCKET",
            "path": websocket.url.path,
            "route": ROUTE,
            "close_code": code,
            "reason": reason,
        },
    )
    _journal(websocket).record(entry)


async def refuse(
    websocket: WebSocket, principal: Principal | None, code: int, reason: str
) -> WebSocketException:
    """Journal a refusal of a known user (as HTTP does) and give the close to raise."""
    if principal is not None and code in DENIED_OUTCOMES:
        camera = websocket.path_params.get("camera_id")
        await run_in_threadpool(
            _record_denied,
            websocket,
            principal,
            code,
            reason,
            camera if isinstance(camera, str) else None,
        )
    return WebSocketException(code, reason)


def require_ws(permission: Permission) -> Callable[[WebSocket], Coroutine[Any, Any, Principal]]:
    """The WebSocket counterpart of `beffroi.web.deps.require`: accept, authenticate,
    check the origin of cookie sessions and `permission`; close with 4401/4403 else."""

    async def dependency(websocket: WebSocket) -> Principal:
        offered = websocket.scope.get("subprotocols") or []
        await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        principal, by_cookie = await run_in_threadpool(_authenticate, _ctx(websocket), websocket)
        if principal is None:
            raise WebSocketException(CLOSE_UNAUTHENTICATED, "authentication required")
        if by_cookie and not same_origin(websocket):
            raise await refuse(websocket, principal, CLOSE_FORBIDDEN, "cross-site request")
        if not principal.can(permission):
            raise await refuse(
                websocket, principal, CLOSE_FORBIDDEN, f"permission required: {permission.value}"
            )
        return principal

    setattr(dependency, GUARD_ATTR, permission)
    setattr(dependency, WS_GUARD_ATTR, True)
    dependency.__name__ = f"require_ws_{permission.name.lower()}"
    return dependency


LiveViewer = Annotated[Principal, Depends(require_ws(Permission.CAMERA_VIEW_LIVE))]


@dataclass
class _Viewing:
    camera_id: str
    commune_id: str
    principal: Principal
    started_ms: int | None = None


def _visible_commune(ctx: AppContext, principal: Principal, camera_id: str) -> str | None:
    try:
        with ctx.engine.connect() as conn:
            row = visible_camera_row(conn, principal, camera_id)
    except HTTPException as exc:  # missing and out of scope alike
        if exc.status_code == 404:
            return None
        raise
    return str(row.commune_id)


def _record(websocket: WebSocket, viewing: _Viewing, action: str, **kw: Any) -> None:
    entry = principal_entry(
        viewing.principal,
        action,
        source=_source(websocket),
        camera=viewing.camera_id,
        commune=viewing.commune_id,
        **kw,
    )
    _journal(websocket).record(entry)


@router.websocket("/{camera_id}/live")
async def live_view(websocket: WebSocket, camera_id: str, principal: LiveViewer) -> None:
    """Live video of one camera (fragmented MP4 for Media Source Extensions)."""
    ctx = _ctx(websocket)
    commune = await run_in_threadpool(_visible_commune, ctx, principal, camera_id)
    if commune is None:
        raise await refuse(websocket, principal, CLOSE_NOT_FOUND, f"unknown camera {camera_id}")
    if ctx.live is None:
        raise WebSocketException(CLOSE_UNAVAILABLE, "live view is not running")
    viewing = _Viewing(camera_id, commune, principal)
    async with ctx.live.watch(camera_id) as viewer:
        sender = asyncio.create_task(_send(websocket, viewer, viewing))
        closed = asyncio.create_task(_until_closed(websocket))
        revoked = asyncio.create_task(_until_revoked(websocket, viewing, ctx))
        tasks = (sender, closed, revoked)
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Even when the server cancels this handler (shutdown), the viewing's end
            # is journaled: a start without a stop would misstate what was watched.
            with anyio.CancelScope(shield=True):
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                if viewing.started_ms is not None:
                    await run_in_threadpool(_record_stop, websocket, viewing, viewer, ctx)
    for task in (revoked, sender):
        failure = task.exception() if task.done() and not task.cancelled() else None
        if isinstance(failure, WebSocketException):
            raise failure  # the viewer's right ended, the journal refused live.start


def _record_stop(websocket: WebSocket, viewing: _Viewing, viewer: Viewer, ctx: AppContext) -> None:
    assert viewing.started_ms is not None
    end_ms = max(utc_ms(ctx.clock.now()), viewing.started_ms)
    _record(
        websocket,
        viewing,
        "live.stop",
        start_ms=viewing.started_ms,
        end_ms=end_ms,
        detail={
            "duration_s": round((end_ms - viewing.started_ms) / 1000, 3),
            "dropped": viewer.dropped,
        },
    )


async def _until_revoked(websocket: WebSocket, viewing: _Viewing, ctx: AppContext) -> None:
    """Return only by raising 4401, once the viewer may no longer watch this camera."""
    while True:
        await asyncio.sleep(ctx.live_recheck_s)
        if not await run_in_threadpool(_still_allowed, websocket, viewing, ctx):
            raise WebSocketException(CLOSE_UNAUTHENTICATED, "session ended or rights changed")


def _still_allowed(websocket: WebSocket, viewing: _Viewing, ctx: AppContext) -> bool:
    now, _ = _authenticate(ctx, websocket)  # the same credentials, checked afresh
    was = viewing.principal
    return (
        now is not None
        and (now.user_id, now.username, now.role) == (was.user_id, was.username, was.role)
        and now.can(Permission.CAMERA_VIEW_LIVE)
        and _visible_commune(ctx, now, viewing.camera_id) is not None
    )


async def _until_closed(websocket: WebSocket) -> None:
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # the viewer has nothing to say; this only notices that it left


async def _send(websocket: WebSocket, viewer: Viewer, viewing: _Viewing) -> None:
    ctx = _ctx(websocket)
    while True:
        message = await viewer.next()
        if isinstance(message, StreamInit):
            if viewing.started_ms is None:
                await _start(websocket, viewing, message, ctx)
            header = message.header()
            if header["fps"] is None:  # not measured yet when the file opened
                state = ctx.recorder.camera_states().get(viewing.camera_id)
                header["fps"] = state.fps if state is not None else None
            await websocket.send_text(json.dumps(header))
        await websocket.send_bytes(message.data)
        viewer.sent(len(message.data))


async def _start(
    websocket: WebSocket, viewing: _Viewing, init: StreamInit, ctx: AppContext
) -> None:
    """Journal the viewing before its first byte; fail closed."""
    started = utc_ms(ctx.clock.now())
    try:
        await run_in_threadpool(
            _record,
            websocket,
            viewing,
            "live.start",
            start_ms=started,
            detail={"codec": init.track.codec, "auth": viewing.principal.auth},
        )
    except Exception as exc:
        raise WebSocketException(CLOSE_JOURNAL_FAILED, "journal unavailable") from exc
    viewing.started_ms = started
