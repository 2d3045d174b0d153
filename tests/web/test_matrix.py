"""The permission matrix is the single source of truth, and this test proves the API
obeys it: one case per (role × route × own/other commune), generated from the matrix
and the app's own routes, so a new route is covered the day it is added."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import insert

from beffroi.access.permissions import MATRIX, Permission, Role, sees_all_communes
from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.deps import GUARD_ATTR, PUBLIC
from beffroi.web.guard import _guards, flat_routes

OWN, OTHER = "jlt-001", "cha-001"  # Joué-lès-Tours is the users' commune, Chambray is not
QUERY = {
    "start": "2026-11-01T07:00:00Z",
    "end": "2026-11-01T08:00:00Z",
    "at": "2026-11-01T07:30:00Z",
}


def guarded_routes(app: Any) -> list[tuple[str, str, Permission]]:
    out = []
    for path, route, dependant in flat_routes(app):
        if not isinstance(route, APIRoute) or dependant is None:
            continue
        perms = [g for g in _guards(dependant) if g != PUBLIC]
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            out.extend((method, path, p) for p in perms)
    return out


def make_user(ctx: AppContext, role: Role) -> dict[str, str]:
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(
                username=f"u-{role.value}",
                password_hash="x",
                role=role.value,
                disabled=False,
                created_ms=0,
            )
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(insert(user_communes).values(user_id=uid, commune_id="joue-les-tours"))
    return {"Authorization": f"Bearer {open_session(ctx.engine, uid, ctx.clock).token}"}


def call(client: TestClient, method: str, path: str, camera: str, headers: dict[str, str]):
    url = re.sub(r"\{camera_id\}|\{id\}", camera, path)
    if "{" in url:  # a route keyed by something else than a camera: a harmless id
        url = re.sub(r"\{[^}]+\}", "1", url)
    if method == "GET":
        return client.get(url, params=QUERY, headers=headers)
    return client.request(method, url, params=QUERY, json={}, headers=headers)


def test_every_guarded_route_is_in_the_matrix_test(ctx: AppContext) -> None:
    routes = guarded_routes(create_app(ctx))
    assert len(routes) >= 6, "the generated cases must cover the app's routes"
    assert all(isinstance(p, Permission) for _, _, p in routes)
    assert GUARD_ATTR  # the marker the guard and this test share


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_x_route_x_commune_follows_the_matrix(ctx: AppContext, role: Role) -> None:
    app = create_app(ctx)
    headers = make_user(ctx, role)
    failures = []
    with TestClient(app) as client:
        for (method, path, perm), camera in itertools.product(guarded_routes(app), (OWN, OTHER)):
            if method != "GET" and "auth" in path:
                continue  # logging out would end the session the other cases use
            r = call(client, method, path, camera, headers)
            allowed = perm in MATRIX[role]
            about_camera = "{camera_id}" in path or ("{id}" in path and "cameras" in path)
            if not allowed:
                expected = {403}
            elif about_camera and camera == OTHER and not sees_all_communes(role):
                expected = {404}  # outside the user's communes: as if it did not exist
            else:
                expected = {200, 201, 202, 204, 404, 422}  # passes the guard; 404 = no footage
            if r.status_code not in expected or r.status_code >= 500:
                failures.append(f"{role} {method} {path} {camera}: {r.status_code} {r.text[:80]}")
            if about_camera and camera == OTHER and not sees_all_communes(role) and allowed:
                # Not even the wording may tell an existing camera from a missing one.
                ghost = call(client, method, path, "nope-000", headers)
                seen = (ghost.status_code, ghost.text.replace("nope-000", OTHER))
                if seen != (r.status_code, r.text):
                    failures.append(f"{role} {method} {path}: differs from a missing camera")
    assert failures == []


def test_lists_never_include_another_commune_s_camera(ctx: AppContext, client) -> None:
    for role in (Role.OPERATOR, Role.AUDITOR, Role.SUPERVISOR, Role.INVESTIGATOR):
        headers = make_user(ctx, role)
        ids = {c["id"] for c in client.get("/api/cameras", headers=headers).json()}
        assert OTHER not in ids and OWN in ids, role
    # A patrol agent sees designated cameras only (tests/web/test_scope_conventions.py).
    patrol = {
        c["id"] for c in client.get("/api/cameras", headers=make_user(ctx, Role.PATROL)).json()
    }
    assert patrol == set()
