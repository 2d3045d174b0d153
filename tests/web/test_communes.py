"""GET /api/communes: the caller's communes only, with their outlines and districts,
and the map's settings; GET /api/cameras gives each camera's field of view. Both
databases, through the real API."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.site.tables import (
    cameras,
    communes,
    convention_communes,
    conventions,
    districts,
    map_settings,
)
from beffroi.web.context import AppContext


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


JOUE = square(0.62, 47.30, 0.08)
CHAMBRAY = square(0.70, 47.29, 0.06)
CENTRE = square(0.65, 47.34)


def draw_map(ctx: AppContext, tiles: str | None = None) -> None:
    """What applying a site file with a `map` section stores (see tests/site)."""
    with ctx.engine.begin() as conn:
        for ident, shape in (("joue-les-tours", JOUE), ("chambray", CHAMBRAY)):
            conn.execute(
                update(communes).where(communes.c.id == ident).values(outline=json.dumps(shape))
            )
        conn.execute(
            insert(districts),
            [
                {
                    "commune_id": "joue-les-tours",
                    "name": "Centre",
                    "position": 0,
                    "outline": json.dumps(CENTRE),
                },
                {"commune_id": "joue-les-tours", "name": "Morier", "position": 1, "outline": None},
                {
                    "commune_id": "chambray",
                    "name": "La Vrillonnerie",
                    "position": 0,
                    "outline": json.dumps(square(0.70, 47.32)),
                },
            ],
        )
        conn.execute(
            insert(map_settings).values(
                id=1,
                tiles_url=tiles,
                tiles_attribution="© test" if tiles else None,
                tiles_max_zoom=18 if tiles else None,
                center_lat=47.34,
                center_lon=0.66,
                zoom=12,
                updated_ms=0,
            )
        )


def user(
    ctx: AppContext, name: str, role: str, communes_: tuple[str, ...], cams: tuple[str, ...] = ()
) -> dict[str, str]:
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username=name, password_hash="x", role=role, disabled=False, created_ms=0)
            .returning(users.c.id)
        ).scalar_one()
        for commune in communes_:
            conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
        for cam in cams:
            conn.execute(insert(user_cameras).values(user_id=uid, camera_id=cam))
    return {"Authorization": f"Bearer {open_session(ctx.engine, uid, ctx.clock).token}"}


def listed(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get("/api/communes", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def ids(body: dict[str, Any]) -> list[str]:
    return [c["id"] for c in body["communes"]]


def test_an_agent_gets_his_commune_with_outline_and_districts(
    ctx: AppContext, client: TestClient, agent: dict[str, str]
) -> None:
    draw_map(ctx)
    body = listed(client, agent)
    [joue] = body["communes"]
    assert joue["id"] == "joue-les-tours" and joue["name"] == "Joué-lès-Tours"
    assert joue["districts"] == ["Centre", "Morier"]
    assert joue["outline"] == {
        "type": "Feature",
        "properties": {"commune": "joue-les-tours", "name": "Joué-lès-Tours"},
        "geometry": JOUE,
    }
    # Morier has no outline: listed, not drawn.
    assert joue["district_outlines"] == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "commune": "joue-les-tours",
                    "name": "Joué-lès-Tours",
                    "district": "Centre",
                },
                "geometry": CENTRE,
            }
        ],
    }
    assert body["map"] == {"tiles": None, "center": {"lat": 47.34, "lon": 0.66}, "zoom": 12}
    # Chambray's outline is nowhere in the answer, not even its name.
    assert "Chambray" not in json.dumps(body, ensure_ascii=False)


def test_the_administrator_gets_every_commune(
    ctx: AppContext, client: TestClient, admin: dict[str, str]
) -> None:
    draw_map(ctx, tiles="https://tiles.example.fr/{z}/{x}/{y}.png")
    body = listed(client, admin)
    assert ids(body) == ["chambray", "joue-les-tours"]
    assert body["communes"][0]["district_outlines"]["features"][0]["properties"] == {
        "commune": "chambray",
        "name": "Chambray-lès-Tours",
        "district": "La Vrillonnerie",
    }
    assert body["map"]["tiles"] == {
        "url": "https://tiles.example.fr/{z}/{x}/{y}.png",
        "attribution": "© test",
        "max_zoom": 18,
    }


def test_a_convention_widens_the_communes(ctx: AppContext, client: TestClient) -> None:
    draw_map(ctx)
    joue = user(ctx, "op-joue", "operator", ("joue-les-tours",))
    assert ids(listed(client, joue)) == ["joue-les-tours"]
    with ctx.engine.begin() as conn:
        conn.execute(insert(conventions).values(id="csu-sud", name="CSU Sud", updated_ms=0))
        conn.execute(
            insert(convention_communes),
            [
                {"convention_id": "csu-sud", "commune_id": "joue-les-tours"},
                {"convention_id": "csu-sud", "commune_id": "chambray"},
            ],
        )
    assert ids(listed(client, joue)) == ["chambray", "joue-les-tours"]


def test_a_patrol_agent_gets_the_communes_of_his_designated_cameras(
    ctx: AppContext, client: TestClient
) -> None:
    draw_map(ctx)
    both = ("joue-les-tours", "chambray")
    on_foot = user(ctx, "pat-joue", "patrol", both, ("jlt-002",))
    assert ids(listed(client, on_foot)) == ["joue-les-tours"]
    nobody = user(ctx, "pat-none", "patrol", both)
    assert listed(client, nobody)["communes"] == []
    # A designation outside his communes shows nothing of that commune.
    stray = user(ctx, "pat-stray", "patrol", ("joue-les-tours",), ("cha-001",))
    assert listed(client, stray)["communes"] == []


def test_without_map_the_communes_come_without_outlines(
    client: TestClient, agent: dict[str, str]
) -> None:
    body = listed(client, agent)
    [joue] = body["communes"]
    assert (joue["outline"], joue["districts"]) == (None, [])
    assert joue["district_outlines"] == {"type": "FeatureCollection", "features": []}
    assert body["map"] == {"tiles": None, "center": None, "zoom": None}


def test_communes_need_a_session(client: TestClient) -> None:
    assert client.get("/api/communes").status_code == 401


def test_cameras_carry_their_field_of_view(
    ctx: AppContext, client: TestClient, agent: dict[str, str]
) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(
            update(cameras)
            .where(cameras.c.id == "jlt-001")
            .values(direction_deg=135, fov_angle_deg=60, fov_range_m=80)
        )
        conn.execute(update(cameras).where(cameras.c.id == "jlt-004").values(direction_deg=90))
    listed_ = {c["id"]: c for c in client.get("/api/cameras", headers=agent).json()}
    assert listed_["jlt-001"]["field_of_view"] == {"bearing": 135, "angle": 60, "range_m": 80}
    assert listed_["jlt-004"]["field_of_view"] == {"bearing": 90, "angle": None, "range_m": None}
    assert listed_["jlt-002"]["field_of_view"] is None
    one = client.get("/api/cameras/jlt-001", headers=agent).json()
    assert one["field_of_view"]["bearing"] == 135
