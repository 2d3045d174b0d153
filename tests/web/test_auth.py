"""Login, logout, bearer tokens, and the route guard."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from beffroi.access.enrolment import set_totp
from beffroi.access.secrets_box import TotpKey
from beffroi.access.sessions import IDLE
from beffroi.access.tables import users
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock
from beffroi.db.migrate import head_revision
from beffroi.web.app import UnguardedRouteError, create_app
from beffroi.web.context import AppContext
from beffroi.web.deps import public
from beffroi.web.guard import DOC_PATHS, PUBLIC_PATHS, flat_routes, unguarded_routes
from tests.web.conftest import PW

PROTECTED = [
    ("GET", "/api/cameras"),
    ("GET", "/api/cameras/jlt-001"),
    ("GET", "/api/cameras/jlt-001/recordings?start=2026-11-01T07:00:00Z&end=2026-11-01T08:00:00Z"),
    ("GET", "/api/cameras/jlt-001/snapshot?at=2026-11-01T07:59:00Z"),
    ("GET", "/api/storage"),
    ("GET", "/metrics"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/session"),
    ("POST", "/api/auth/totp/enroll"),
    ("POST", "/api/auth/totp/confirm"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("DELETE", "/api/tokens/1"),
    ("GET", "/api/users/expiring"),
    ("POST", "/api/users/agent/unlock"),
    ("POST", "/api/users/agent/access"),
    ("GET", "/api/access-requests"),
    ("POST", "/api/access-requests/1/approve"),
    ("DELETE", "/api/access-requests/1"),
    ("POST", "/api/auth/password"),
]


def police_with_totp(ctx: AppContext, username: str) -> str:
    """Make a seeded user municipal police with TOTP enrolled; returns the secret."""
    with ctx.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == username).values(is_police=True))
    return set_totp(ctx.engine, username, totp_key=TotpKey.load(ctx.data_dir)).secret


def login_totp(client: TestClient, clock: FakeClock, username: str, secret: str) -> dict[str, str]:
    clock.advance(30)  # a fresh step: each code is accepted once
    body = {"username": username, "password": PW, "totp": code_at(secret, clock.now())}
    r = client.post("/api/auth/login", json=body)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_health_is_open(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["version"]
    assert r.json()["schema_revision"] == head_revision()  # an upgrade checked from outside


def test_login_returns_token_and_expiry(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    r = client.post("/api/auth/login", json={"username": "admin", "password": PW})
    assert r.status_code == 200
    body = r.json()
    assert len(body["token"]) >= 43 and body["csrf_token"] is None
    assert body["expires_at"].startswith("2026-11-01T20:00:00")  # 12 h absolute
    assert body["idle_expires_at"].startswith("2026-11-01T08:30:00")  # 30 min idle
    assert body["enroll_required"] is False and body["warnings"] == []
    ok = client.get("/api/cameras", headers={"Authorization": f"Bearer {body['token']}"})
    assert ok.status_code == 200


@pytest.mark.parametrize("username", ["agent", "admin", "nobody"])
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
        forged_api = {"Authorization": "Bearer bft_forged"}
        assert client.request(method, url, headers=forged_api).status_code == 401, url


def test_logout_kills_the_token_and_replay_fails(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    secret = police_with_totp(ctx, "agent")
    headers = login_totp(client, clock, "agent", secret)
    assert client.get("/api/auth/session", headers=headers).json()["username"] == "agent"
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/cameras", headers=headers).status_code == 401
    assert client.post("/api/auth/logout", headers=headers).status_code == 401


def test_idle_session_expires_and_cannot_be_replayed(client: TestClient, clock: FakeClock) -> None:
    r = client.post("/api/auth/login", json={"username": "admin", "password": PW})
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    clock.advance(IDLE + timedelta(seconds=1))
    r = client.get("/api/cameras", headers=headers)
    assert r.status_code == 401 and "log in again" in r.json()["detail"]
    clock.advance(-IDLE)  # even with the clock back, the expired session is gone
    assert client.get("/api/cameras", headers=headers).status_code == 401


def test_role_without_permission_gets_403(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    patrol = login_totp(client, clock, "patrol", police_with_totp(ctx, "patrol"))
    url = "/api/cameras/jlt-001/recordings?start=2026-11-01T07:00:00Z&end=2026-11-01T08:00:00Z"
    r = client.get(url, headers=patrol)
    assert r.status_code == 403 and "recording.read" in r.json()["detail"]
    assert client.get("/metrics", headers=patrol).status_code == 403
    assert client.get("/api/tokens", headers=patrol).status_code == 403
    assert client.get("/api/cameras", headers=patrol).status_code == 200


def test_admin_sees_no_video(client: TestClient, admin: dict[str, str]) -> None:
    url = "/api/cameras/jlt-001/recordings?start=2026-11-01T07:00:00Z&end=2026-11-01T08:00:00Z"
    assert client.get(url, headers=admin).status_code == 403
    snap = "/api/cameras/jlt-001/snapshot?at=2026-11-01T07:59:00Z"
    assert client.get(snap, headers=admin).status_code == 403


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
    from beffroi.web.routes import liveness

    @liveness.router.get("/api/unguarded-for-test")
    def unguarded() -> dict[str, str]:
        return {}

    try:
        with pytest.raises(UnguardedRouteError, match="/api/unguarded-for-test"):
            create_app(ctx)
    finally:
        liveness.router.routes.pop()
    create_app(ctx)  # and starts again once the route is gone
