"""Wall layouts (`/api/layouts`): one's own and the shared ones, commune scope on write
(422) and on read (null), `layout.share` for shared ones, every write journaled."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.web.conftest import token_for

# name, role, commune: besides the web fixtures' agent (operator, Joué), patrol, admin.
PEOPLE = [
    ("chef", "supervisor", "joue-les-tours"),
    ("chef-cha", "supervisor", "chambray"),
    ("agent-cha", "operator", "chambray"),
    ("chef-deux", "supervisor", None),  # Joué and Chambray
]


@pytest.fixture
def who(ctx: AppContext, client: TestClient) -> dict[str, dict[str, str]]:
    with ctx.engine.begin() as conn:
        for name, role, commune in PEOPLE:
            uid = conn.execute(
                insert(users)
                .values(username=name, password_hash="x", role=role, disabled=False, created_ms=0)
                .returning(users.c.id)
            ).scalar_one()
            for c in [commune] if commune else ["joue-les-tours", "chambray"]:
                conn.execute(insert(user_communes).values(user_id=uid, commune_id=c))
        patrol = conn.execute(select(users.c.id).where(users.c.username == "patrol")).scalar_one()
        conn.execute(insert(user_cameras).values(user_id=patrol, camera_id="jlt-002"))
    names = ["agent", "patrol", "admin", *(p[0] for p in PEOPLE)]
    return {n: token_for(ctx, n) for n in names}


def _journal(ctx: AppContext, action: str) -> list[dict]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(journal_entries.c.username, journal_entries.c.detail).where(
                journal_entries.c.action == action
            )
        ).all()
    return [{"user": r.username, **json.loads(r.detail)} for r in rows]


def test_own_layouts_are_written_read_replaced_and_deleted(
    ctx: AppContext, client: TestClient, who: dict[str, dict[str, str]]
) -> None:
    body = {"grid": 4, "cameras": ["jlt-001", None, "jlt-002"]}
    r = client.put("/api/layouts/Centre Joué – nuit", json=body, headers=who["agent"])
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["name"] == "Centre Joué – nuit" and out["shared"] is False
    assert out["cameras"] == ["jlt-001", None, "jlt-002", None]  # padded to the grid
    assert out["updated_by"] == "agent" and out["updated_at"].endswith("Z")
    r = client.put(
        "/api/layouts/Centre Joué – nuit",
        json={"grid": 1, "cameras": ["jlt-002"]},
        headers=who["agent"],
    )
    assert r.status_code == 200 and r.json()["cameras"] == ["jlt-002"]
    listed = client.get("/api/layouts", headers=who["agent"]).json()
    assert [(x["name"], x["grid"]) for x in listed] == [("Centre Joué – nuit", 1)]
    # Another user's own layouts are not listed, nor deletable.
    assert client.get("/api/layouts", headers=who["chef"]).json() == []
    assert client.delete("/api/layouts/Centre Joué – nuit", headers=who["chef"]).status_code == 404
    assert client.delete("/api/layouts/Centre Joué – nuit", headers=who["agent"]).status_code == 204
    assert client.get("/api/layouts", headers=who["agent"]).json() == []
    writes = _journal(ctx, "layout.write")
    assert [(w["user"], w["created"], w["grid"]) for w in writes] == [
        ("agent", True, 4),
        ("agent", False, 1),
    ]
    assert _journal(ctx, "layout.delete") == [
        {"user": "agent", "name": "Centre Joué – nuit", "shared": False}
    ]


def test_shared_layouts_need_layout_share_to_write_and_anyone_reads_them(
    ctx: AppContext, client: TestClient, who: dict[str, dict[str, str]]
) -> None:
    shared = {"grid": 4, "cameras": ["jlt-001", "cha-001"], "shared": True}
    r = client.put("/api/layouts/Ronde", json=shared, headers=who["agent"])
    assert r.status_code == 403
    r = client.put("/api/layouts/Ronde", json=shared, headers=who["chef-deux"])
    assert r.status_code == 201, r.text
    # An own layout of the same name lives beside the shared one.
    mine = {"grid": 1, "cameras": ["jlt-001"]}
    assert client.put("/api/layouts/Ronde", json=mine, headers=who["agent"]).status_code == 201
    listed = client.get("/api/layouts", headers=who["agent"]).json()
    assert [(x["name"], x["shared"], x["cameras"]) for x in listed] == [
        ("Ronde", False, ["jlt-001"]),
        # cha-001 is outside the operator's communes: an empty tile to him.
        ("Ronde", True, ["jlt-001", None, None, None]),
    ]
    cha = client.get("/api/layouts", headers=who["agent-cha"]).json()
    assert cha[0]["cameras"] == [None, "cha-001", None, None]
    # The patrol agent sees only its designated camera (jlt-002): nothing here.
    patrol = client.get("/api/layouts", headers=who["patrol"]).json()
    assert patrol[0]["cameras"] == [None, None, None, None]
    assert client.get("/api/layouts", headers=who["admin"]).status_code == 403  # no video
    r = client.delete("/api/layouts/Ronde", params={"shared": True}, headers=who["agent"])
    assert r.status_code == 403
    r = client.delete("/api/layouts/Ronde", params={"shared": True}, headers=who["chef"])
    assert r.status_code == 204
    assert [x["shared"] for x in client.get("/api/layouts", headers=who["agent"]).json()] == [False]
    assert [(w["user"], w["shared"]) for w in _journal(ctx, "layout.write")] == [
        ("chef-deux", True),
        ("agent", False),
    ]


def test_cameras_outside_the_writer_s_scope_are_refused(
    client: TestClient, who: dict[str, dict[str, str]]
) -> None:
    r = client.put(
        "/api/layouts/Mur",
        json={"grid": 4, "cameras": ["jlt-001", None, "cha-001"]},
        headers=who["agent"],
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "cameras", 2]
    r = client.put("/api/layouts/Mur", json={"grid": 4, "cameras": ["nope"]}, headers=who["chef"])
    assert r.status_code == 422
    r = client.put(
        "/api/layouts/Mur",
        json={"grid": 1, "cameras": ["jlt-001"], "shared": True},
        headers=who["chef-cha"],
    )
    assert r.status_code == 422  # a shared layout too
    # A patrol agent writes only its designated cameras.
    r = client.put(
        "/api/layouts/Mur", json={"grid": 1, "cameras": ["jlt-001"]}, headers=who["patrol"]
    )
    assert r.status_code == 422
    r = client.put(
        "/api/layouts/Mur", json={"grid": 1, "cameras": ["jlt-002"]}, headers=who["patrol"]
    )
    assert r.status_code == 201
    assert client.get("/api/layouts", headers=who["agent"]).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"grid": 6, "cameras": []},
        {"grid": 1, "cameras": ["jlt-001", "jlt-002"]},
        {"grid": 4, "cameras": [""]},
        {"grid": 4},
    ],
)
def test_bad_bodies_are_422(client: TestClient, who: dict[str, dict[str, str]], body: dict) -> None:
    assert client.put("/api/layouts/Mur", json=body, headers=who["agent"]).status_code == 422


@pytest.mark.parametrize("name", ["%20", "a%0Ab", "x" * 101])
def test_bad_names_are_422(client: TestClient, who: dict[str, dict[str, str]], name: str) -> None:
    body = {"grid": 1, "cameras": []}
    assert client.put(f"/api/layouts/{name}", json=body, headers=who["agent"]).status_code == 422


def test_without_a_session_nothing(client: TestClient) -> None:
    assert client.get("/api/layouts").status_code == 401
    assert client.put("/api/layouts/Mur", json={"grid": 1, "cameras": []}).status_code == 401
