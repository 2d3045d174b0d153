"""Intercommunal conventions widen a user's communes; patrol agents see only their
designated cameras. Both through the real API on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import insert

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.site.apply import apply_site
from beffroi.site.models import Site
from beffroi.site.tables import convention_communes, conventions
from beffroi.web.context import AppContext


def user(ctx: AppContext, name: str, role: str, commune: str, cams: tuple[str, ...] = ()) -> dict:
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username=name, password_hash="x", role=role, disabled=False, created_ms=0)
            .returning(users.c.id)
        ).scalar_one()
        conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
        for cam in cams:
            conn.execute(insert(user_cameras).values(user_id=uid, camera_id=cam))
    return {"Authorization": f"Bearer {open_session(ctx.engine, uid, ctx.clock).token}"}


def visible(client: TestClient, headers: dict) -> set[str]:
    return {c["id"] for c in client.get("/api/cameras", headers=headers).json()}


def test_a_convention_shares_its_members_cameras(ctx: AppContext, client: TestClient) -> None:
    joue = user(ctx, "op-joue", "operator", "joue-les-tours")
    assert "cha-001" not in visible(client, joue)
    with ctx.engine.begin() as conn:
        conn.execute(insert(conventions).values(id="csu-sud", name="CSU Sud", updated_ms=0))
        conn.execute(
            insert(convention_communes),
            [
                {"convention_id": "csu-sud", "commune_id": "joue-les-tours"},
                {"convention_id": "csu-sud", "commune_id": "chambray"},
            ],
        )
    assert {"jlt-001", "cha-001"} <= visible(client, joue)
    assert client.get("/api/cameras/cha-001", headers=joue).status_code == 200


def test_a_patrol_agent_sees_only_designated_cameras(ctx: AppContext, client: TestClient) -> None:
    patrol = user(ctx, "pat-1", "patrol", "joue-les-tours", ("jlt-002",))
    assert visible(client, patrol) == {"jlt-002"}
    assert client.get("/api/cameras/jlt-001", headers=patrol).status_code == 404
    nobody = user(ctx, "pat-2", "patrol", "joue-les-tours")
    assert visible(client, nobody) == set(), "no designation, no camera"


def test_apply_site_stores_conventions_and_replaces_them(ctx: AppContext) -> None:
    base = {
        "communes": [
            {"id": "joue-les-tours", "name": "Joué-lès-Tours"},
            {"id": "chambray", "name": "Chambray-lès-Tours"},
        ],
        "cameras": [],
    }
    site = Site.model_validate(
        {
            **base,
            "conventions": [
                {"id": "csu", "name": "CSU", "communes": ["joue-les-tours", "chambray"]}
            ],
        }
    )
    assert apply_site(ctx.engine, site, ctx.clock).conventions_changed == ["csu"]
    assert apply_site(ctx.engine, site, ctx.clock).conventions_changed == [], "idempotent"
    with ctx.engine.connect() as conn:
        members = set(conn.execute(convention_communes.select()).all())
    assert {m.commune_id for m in members} == {"joue-les-tours", "chambray"}
    assert apply_site(ctx.engine, Site.model_validate(base), ctx.clock).conventions_changed == [
        "csu"
    ]
    with ctx.engine.connect() as conn:
        assert conn.execute(conventions.select()).first() is None
