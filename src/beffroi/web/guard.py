"""The route guard: no route may exist without a declared permission.

`create_app` calls `unguarded_routes` and refuses to start if it finds any; the test
suite calls it too. A route passes when its dependency tree holds a `require(...)`
dependency, or a `public()` one AND its path is in `PUBLIC_PATHS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from beffroi.web.deps import GUARD_ATTR, PUBLIC

PUBLIC_PATHS = frozenset({"/api/health", "/api/auth/login"})
# FastAPI's own documentation routes: they describe the API, they serve no data.
DOC_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def _guards(dependant: Dependant) -> list[Any]:
    found: list[Any] = []
    for dep in dependant.dependencies:
        marker = getattr(dep.call, GUARD_ATTR, None)
        if marker is not None:
            found.append(marker)
        found.extend(_guards(dep))
    return found


def flat_routes(app: FastAPI) -> Iterator[tuple[str, BaseRoute, Dependant | None]]:
    """(full path, route, effective dependant) of every route, included routers expanded.

    FastAPI ≥ 0.160 includes routers lazily (`app.routes` holds the included routers);
    `iter_route_contexts` resolves them. Older versions list the routes themselves."""
    iter_contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if iter_contexts is None:
        for route in app.routes:
            dependant = route.dependant if isinstance(route, APIRoute) else None
            yield getattr(route, "path", repr(route)), route, dependant
        return
    for context in iter_contexts(app.routes):
        original = context.original_route
        dependant = getattr(context, "dependant", None)
        if dependant is None and isinstance(original, APIRoute):
            dependant = original.dependant
        yield context.path or repr(original), original, dependant


def unguarded_routes(app: FastAPI) -> list[str]:
    """Descriptions of the routes that break the rule (empty when all is well)."""
    problems: list[str] = []
    for path, route, dependant in flat_routes(app):
        if not isinstance(route, APIRoute) or dependant is None:
            if path not in DOC_PATHS:
                problems.append(f"{path}: not an API route, cannot be guarded")
            continue
        guards = _guards(dependant)
        permissions = [g for g in guards if g != PUBLIC]
        if PUBLIC in guards and path not in PUBLIC_PATHS:
            problems.append(f"{path}: declared public but not in PUBLIC_PATHS")
        elif PUBLIC not in guards and not permissions:
            problems.append(f"{path}: no permission dependency")
    return problems
