"""WebSocket routes obey the route guard like HTTP ones: no permission, no start."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, WebSocket
from fastapi.routing import APIWebSocketRoute

from beffroi.access.permissions import Permission, Role, has_permission
from beffroi.access.principal import Principal
from beffroi.web.app import UnguardedRouteError, create_app
from beffroi.web.context import AppContext
from beffroi.web.deps import require
from beffroi.web.guard import flat_routes, unguarded_routes
from beffroi.web.routes import live as live_routes
from tests.live.conftest import H264, add_user, bearer, close_code, session_token


def _with_extra(route_maker: str) -> APIRouter:
    router = APIRouter()
    router.include_router(live_routes.router)
    if route_maker == "bare":

        @router.websocket("/api/bare")
        async def bare(websocket: WebSocket) -> None:
            await websocket.accept()

    else:

        @router.websocket("/api/http-guarded")
        async def http_guarded(
            websocket: WebSocket,
            _: Annotated[Principal, Depends(require(Permission.CAMERA_VIEW_LIVE))],
        ) -> None:
            await websocket.accept()  # `require` reads HTTP headers: never a WS guard

    return router


@pytest.mark.parametrize(("kind", "path"), [("bare", "/api/bare"), ("http", "/api/http-guarded")])
def test_a_websocket_route_without_a_websocket_guard_stops_the_app(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch, kind: str, path: str
) -> None:
    monkeypatch.setattr(live_routes, "router", _with_extra(kind))
    with pytest.raises(UnguardedRouteError, match=path):
        create_app(ctx)


def test_the_live_route_is_examined_and_passes(ctx: AppContext) -> None:
    app = create_app(ctx)
    routes = {p: (r, d) for p, r, d in flat_routes(app)}
    route, dependant = routes["/api/cameras/{camera_id}/live"]
    assert isinstance(route, APIWebSocketRoute) and dependant is not None
    assert unguarded_routes(app) == []


@pytest.mark.parametrize("role", list(Role))
def test_every_role_gets_live_view_exactly_as_the_matrix_says(
    ctx: AppContext, client, role: Role
) -> None:
    add_user(ctx, "u", role.value, "joue-les-tours", (H264,) if role is Role.PATROL else ())
    headers = bearer(session_token(ctx, "u"))
    if has_permission(role, Permission.CAMERA_VIEW_LIVE):
        with client.websocket_connect(f"/api/cameras/{H264}/live", **headers) as ws:
            assert ws.receive_json()["type"] == "init"
    else:
        assert close_code(client, f"/api/cameras/{H264}/live", **headers) == 4403
