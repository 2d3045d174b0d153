"""The route guard: no route may exist without a declared permission.

`create_app` calls `unguarded_routes` and refuses to start if it finds any; the test
suite calls it too. A route passes when its dependency tree holds a `require(...)`
dependency, or a `public()` one AND its path is in `PUBLIC_PATHS`. A WebSocket route
follows the same rule, with a guard made for WebSockets (marked `WS_GUARD_ATTR`, e.g.
`beffroi.web.routes.live.require_ws`): the HTTP guards read headers a WebSocket
handshake does not reach them with, and no WebSocket route may be public.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import BaseRoute

from beffroi.web.deps import GUARD_ATTR, PUBLIC

# Set (True) on the dependencies that guard WebSocket routes.
WS_GUARD_ATTR = "__beffroi_ws_guard__"
# The console's static files (`routes/console.py`) hold no data: the page must load to sign in.
# The API documentation's page and Swagger UI's files (`routes/docs.py`) hold no data.
PUBLIC_PATHS = frozenset(
    {
        "/api/health",
        "/api/auth/login",
        # An agent with an access code has no password yet: the code is the credential.
        "/api/auth/access-code",
        "/api/auth/access-code/redeem",
        "/",
        "/incidents/{incident_id}",
        "/assets/{name}",
        "/docs",
        "/docs/assets/{name}",
    }
)
# FastAPI's own OpenAPI schema route: it describes the API, it serves no data.
DOC_PATHS = frozenset({"/openapi.json"})


def _guards(dependant: Dependant, websocket: bool = False) -> list[Any]:
    """The guard markers in `dependant`'s tree; for a WebSocket route, only those of
    WebSocket guards count."""
    found: list[Any] = []
    for dep in dependant.dependencies:
        marker = getattr(dep.call, GUARD_ATTR, None)
        if marker is not None and (not websocket or getattr(dep.call, WS_GUARD_ATTR, False)):
            found.append(marker)
        found.extend(_guards(dep, websocket))
    return found


def flat_routes(app: FastAPI) -> Iterator[tuple[str, BaseRoute, Dependant | None]]:
    """(full path, route, effective dependant) of every route, included routers expanded.

    FastAPI ≥ 0.160 includes routers lazily (`app.routes` holds the included routers);
    `iter_route_contexts` resolves them. Older versions list the routes themselves."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        for route in app.routes:
            dependant = None
            if isinstance(route, (APIRoute, APIWebSocketRoute)):
                dependant = route.dependant
            yield getattr(route, "path", repr(route)), route, dependant
        return
    for context in iter_contexts(app.routes):
        original = context.original_route
        dependant = getattr(context, "dependant", None)
        if dependant is None and isinstance(original, (APIRoute, APIWebSocketRoute)):
            dependant = original.dependant
        yield context.path or repr(original), original, dependant


def unguarded_routes(app: FastAPI) -> list[str]:
    """Descriptions of the routes that break the rule (empty when all is well)."""
    problems: list[str] = []
    for path, route, dependant in flat_routes(app):
        websocket = isinstance(route, APIWebSocketRoute)
        if not (isinstance(route, APIRoute) or websocket) or dependant is None:
            if path not in DOC_PATHS:
                problems.append(f"{path}: not an API route, cannot be guarded")
            continue
        guards = _guards(dependant, websocket)
        permissions = [g for g in guards if g != PUBLIC]
        if websocket and not permissions:
            problems.append(f"{path}: WebSocket route without a WebSocket permission guard")
        elif PUBLIC in guards and path not in PUBLIC_PATHS:
            problems.append(f"{path}: declared public but not in PUBLIC_PATHS")
        elif PUBLIC not in guards and not permissions:
            problems.append(f"{path}: no permission dependency")
    return problems
