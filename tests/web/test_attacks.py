"""Path traversal and id guessing on every route that takes a camera id."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.guard import flat_routes
from tests.web.conftest import token_for

TRAVERSALS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..%2Fbeffroi.sqlite3",
    "%2e%2e%2f%2e%2e%2farchive",
    "jlt-001%2F..%2Fcha-001",
    "jlt-001%00",
    "cha-001%2F",
]


def camera_routes(ctx: AppContext) -> list[str]:
    return [
        path
        for path, route, _ in flat_routes(create_app(ctx))
        if isinstance(route, APIRoute) and "{camera_id}" in path and "GET" in route.methods
    ]


@pytest.mark.parametrize("evil", TRAVERSALS)
def test_traversal_in_a_camera_id_reaches_nothing(
    ctx: AppContext, client: TestClient, evil: str
) -> None:
    headers = token_for(ctx, "agent")
    params = {"start": "2026-11-01T07:00:00Z", "end": "2026-11-01T08:00:00Z"}
    params["at"] = "2026-11-01T07:30:00Z"
    routes = camera_routes(ctx)
    assert routes
    for path in routes:
        r = client.get(path.replace("{camera_id}", evil), params=params, headers=headers)
        assert r.status_code in (404, 422), f"{path} with {evil}: {r.status_code}"
        assert "root:" not in r.text and "SQLite" not in r.text


def test_guessing_camera_ids_tells_nothing(ctx: AppContext, client: TestClient) -> None:
    """An operator of Joué probing ids: Chambray's real camera answers like an invented one."""
    headers = token_for(ctx, "agent")
    answers = {
        cid: client.get(f"/api/cameras/{cid}", headers=headers)
        for cid in ("cha-001", "cha-002", "cha-999")
    }
    shapes = {(r.status_code, r.json()["detail"].rsplit(" ", 1)[0]) for r in answers.values()}
    assert shapes == {(404, "unknown camera")}
