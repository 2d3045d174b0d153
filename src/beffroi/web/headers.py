"""Security headers on every HTTP response, not only the console's.

- `Strict-Transport-Security: max-age=31536000` when the request came over HTTPS
  (directly, or from a trusted proxy saying `X-Forwarded-Proto: https`,
  `beffroi.web.proxies`): the browser then never tries plain HTTP for a year. Not for
  `localhost` (browsers would apply it to every local development server; they ignore
  it for IP addresses anyway).
- `Content-Security-Policy: frame-ancestors 'none'` and `X-Frame-Options: DENY`: no
  page of Beffroi in another site's frame (clickjacking). A response with a policy of
  its own (the console, `/docs`) keeps it; `frame-ancestors 'none'` is added to it if
  it lacks one.
- `X-Content-Type-Options: nosniff`: a JSON answer or a download is never run as a
  script or a page.
- `Referrer-Policy: no-referrer`: the console's addresses (an incident's signed link)
  never leave in a `Referer`.

A header the route set itself is kept. Only `http` scopes are touched: the live
WebSocket passes as is, and streamed responses are untouched past their first message.
"""

from __future__ import annotations

from beffroi.web.limits import ASGIApp, Message, Receive, Scope, Send

HSTS = b"max-age=31536000"
FRAME_ANCESTORS = b"frame-ancestors 'none'"
DEFAULTS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_CSP = b"content-security-policy"
_HSTS = b"strict-transport-security"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hsts = scope.get("scheme") == "https" and not _local_host(scope)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = secured(list(message.get("headers", [])), hsts)
            await send(message)

        await self.app(scope, receive, with_headers)


def secured(headers: list[tuple[bytes, bytes]], hsts: bool) -> list[tuple[bytes, bytes]]:
    """`headers` (raw ASGI pairs) with the security headers added where missing."""
    names = {name.lower() for name, _ in headers}
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        if name.lower() == _CSP and b"frame-ancestors" not in value.lower():
            value = value.rstrip().rstrip(b";") + b"; " + FRAME_ANCESTORS
        out.append((name, value))
    if _CSP not in names:
        out.append((_CSP, FRAME_ANCESTORS))
    out.extend((name, value) for name, value in DEFAULTS if name not in names)
    if hsts and _HSTS not in names:
        out.append((_HSTS, HSTS))
    return out


def _local_host(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"host":
            host = value.decode("latin-1").lower()
            host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            return host == "localhost" or host.endswith(".localhost")
    return False
