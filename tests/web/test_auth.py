"""Login, logout, bearer tokens, and the route guard."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient

from beffroi.access.sessions import IDLE
from beffroi.clock import FakeClock
from beffroi.web.app import UnguardedRouteError, create_app
from beffroi.web.context import AppContext
from beffroi.web.deps import public
from beffroi.web.guard import DOC_PATHS, PUBLIC_PATHS, flat_routes, unguarded_routes
from tests.web.conftest import PW, login

PROTECTED = [
    ("GET", "/api/cameras"),
    ("GET", "/api/cameras/jlt-001"),
    ("GET", "/api/cameras/jlt-001/recordings?start=2026-11-01T07:00:00Z&end=2026-11-01T08:00:00Z"),
    ("GET", "/api/cameras/jlt-001/snapshot?at=2026-11-01T07:59:00Z"),
    ("GET", "/api/storage"),
    ("GET", "/metrics"),
    ("POST", "/api/auth/logout"),
]


def test_health_is_open(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["version"]


def test_login_returns_token_and_expiry(client: TestClient, clock: FakeClock) -> None:
    r = client.post("/api/auth/login", json={"username": "agent", "password": PW, "totp": "123456"})
    assert r.status_code == 200
    body = r.json()
    assert len(body["token"]) >= 43
    assert body["expires_at"].startswith("2026-11-01T20:00:00")  # 12 h absolute
    assert body["idle_expires_at"].startswith("2026-11-01T08:30:00")  # 30 min idle
    ok = client.get("/api/cameras", headers={"Authorization": f"Bearer {body['token']}"})
    assert ok.status_code == 200


@pytest.mark.parametrize("username", ["agent", "nobody"])
def test_wrong_credentials_get_one_generic_401(client: TestClient, username: str) -> None:
    r = client.post("/api/auth/login", json={"username": username, "password": "wrong password!"})
    assert r.status_code == 401
    assert r.json() == {"detail": "invalid username or password"}


def test_every_protected_route_needs_a_token(client: TestClient) -> None:
    for method, url in PROTECTED:
        assert client.request(method, url).status_code == 401, url
        bad = {"Authorization": "Bearer forged-token"}
        assert client.request(method, url, headers=bad).status_code == 401, url
        basic = {"Authorization": "Basic YWdlbnQ6eA=="}
        assert client.request(method, url, headers=basic).status_code == 401, url


def test_logout_kills_the_token(client: TestClient) -> None:
    headers = login(client)
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/cameras", headers=headers).status_code == 401


def test_idle_session_expires(client: TestClient, clock: FakeClock) -> None:
    headers = login(client)
    clock.advance(IDLE + timedelta(seconds=1))
    r = client.get("/api/cameras", headers=headers)
    assert r.status_code == 401 and "log in again" in r.json()["detail"]


def test_role_without_permission_gets_403(client: TestClient) -> None:
    patrol = login(client, "patrol")
    url = "/api/cameras/jlt-001/recordings?start=2026-11-01T07:00:00Z&end=2026-11-01T08:00:00Z"
    r = client.get(url, headers=patrol)
    assert r.status_code == 403 and "recording.read" in r.json()["detail"]
    assert client.get("/metrics", headers=patrol).status_code == 403
    assert client.get("/api/cameras", headers=patrol).status_code == 200


def test_every_route_is_guarded(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    paths = {path for path, _route, _dep in flat_routes(app)}
    assert paths >= PUBLIC_PATHS
    assert unguarded_routes(app) == []
    # The guard really looks: every route not public/doc has a permission marker.
    assert len(paths - PUBLIC_PATHS - DOC_PATHS) >= 7


def test_guard_catches_a_forgotten_permission(ctx: AppContext) -> None:
    app = create_app(ctx)
    router = APIRouter()

    @router.get("/api/oops")
    def oops() -> dict[str, str]:
        return {}

    @router.get("/api/sneaky")
    def sneaky(_: Annotated[None, Depends(public())]) -> dict[str, str]:
        return {}

    app.include_router(router)
    problems = unguarded_routes(app)
    assert any("/api/oops" in p and "no permission" in p for p in problems)
    assert any("/api/sneaky" in p and "PUBLIC_PATHS" in p for p in problems)


def test_create_app_refuses_unguarded_routes(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from beffroi.web.routes import health

    @health.router.get("/api/unguarded-for-test")
    def unguarded() -> dict[str, str]:
        return {}

    try:
        with pytest.raises(UnguardedRouteError, match="/api/unguarded-for-test"):
            create_app(ctx)
    finally:
        health.router.routes.pop()
    create_app(ctx)  # and starts again once the route is gone
