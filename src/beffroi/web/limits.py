"""Request bodies are bounded before they are read: a client that sends megabytes to
the login form, or streams without end, costs the server nothing but the refusal.

`BodyLimit` is an ASGI middleware: a declared `Content-Length` over the limit of the
path is answered 413 at once, unread; a body without one (chunked) is counted as it
arrives and cut at the limit. Limits by path prefix, the longest first:
the login a few KiB (a user name, a password, a code), the alarm webhook its own
(`alarms.webhook.MAX_BODY` is what it accepts; a little more is read so that an
oversized alarm is still logged as refused), everything else 1 MiB (the largest
legitimate bodies are site-file-sized JSON: layouts, requisitions).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from beffroi.alarms.webhook import MAX_BODY as WEBHOOK_MAX_BODY

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_LIMIT = 1024 * 1024
LIMITS: dict[str, int] = {
    "/api/auth/login": 4 * 1024,
    "/api/auth/password": 4 * 1024,
    "/api/auth/access-code": 4 * 1024,
    "/api/auth/access-code/redeem": 4 * 1024,
    "/api/alarms": 4 * WEBHOOK_MAX_BODY,
}


class _TooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit. An HTTPException, so that
    FastAPI, which turns any other error while reading a body into a 400, answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit))


def limit_for(path: str) -> int:
    for prefix in sorted(LIMITS, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return LIMITS[prefix]
    return DEFAULT_LIMIT


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _detail(limit: int) -> str:
    return f"request body too large: at most {limit} bytes"


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": _detail(limit)}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
